package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Values of every mapped type arrive the same through the snapshot (COPY text) and the stream (pgoutput text): one
 * conversion path. Spot checks pin exact values that text handling could damage.
 */
class PgSourceTypesTest {

    @TempDir
    Path dir;

    static final String VALUES = "true, 32767, 2147483647, 9223372036854775807, 1.5::real, 3.141592653589793::float8,"
            + " 12345678901234567890.123456789, 'tab\there' || chr(10) || 'line \\ back', 'vc', 'bp', '\\x00ff10'::bytea,"
            + " '2024-02-29', '23:59:59.999999', '12:00:00+05:30', '2024-02-29 12:34:56.789012',"
            + " '2024-02-29 12:34:56.789012+02', '1 year 2 mons 3 days 04:05:06.7', '123e4567-e89b-12d3-a456-426614174000',"
            + " '{\"a\": [1, 2]}'::json, '{\"b\": {\"c\": null}}'::jsonb, '192.168.0.1/24'::inet, '10.0.0.0/8'::cidr,"
            + " ARRAY[1, NULL, 3], ARRAY['x', 'y,z'], 'infinity'::timestamp, NULL";

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void snapshotAndStreamDeliverTheSameExactValues(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE ty (id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 real, f8 float8,"
                        + " n numeric(38,9), t text, vc varchar(10), bp char(4), by bytea, d date, tm time, ttz timetz,"
                        + " ts timestamp, tstz timestamptz, iv interval, u uuid, j json, jb jsonb, ip inet, cd cidr,"
                        + " ai int[], at text[], tinf timestamp, nul text)",
                "INSERT INTO ty VALUES (1, " + VALUES + ")");
        TableId t = new TableId("public", "ty");
        Path rec = dir.resolve("types.rec");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "types", List.of(t), sink, ledger, fastOptions())) {
                SourceFixture.await(() -> ledger.completed().contains(t), Duration.ofSeconds(60), source::toString);
                db.execute("INSERT INTO ty VALUES (2, " + VALUES + ")");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
            } finally {
                PgSource.removePipeline(conn, "types");
            }
        }
        List<RecordingSink.Row> rows = RecordingSink.read(rec);
        assertThat(rows).hasSize(2);
        Map<String, String> snap = new LinkedHashMap<>(rows.get(0).values());
        Map<String, String> stream = new LinkedHashMap<>(rows.get(1).values());
        assertThat(snap.remove("id")).isEqualTo("1");
        assertThat(stream.remove("id")).isEqualTo("2");
        assertThat(stream).as("stream vs snapshot").isEqualTo(snap);
        assertThat(snap.get("n")).isEqualTo("12345678901234567890.123456789");
        assertThat(snap.get("t")).isEqualTo("tab\there\nline \\ back");
        assertThat(snap.get("i8")).isEqualTo("9223372036854775807");
        assertThat(snap.get("f8")).isEqualTo("3.141592653589793");
        assertThat(snap.get("by")).isEqualTo("\\x00ff10");
        assertThat(snap.get("u")).as("uuid as its 16 bytes").isEqualTo("\\x123e4567e89b12d3a456426614174000");
        assertThat(snap.get("bp")).isEqualTo("bp  ");
        assertThat(snap.get("nul")).isNull();
    }
}
