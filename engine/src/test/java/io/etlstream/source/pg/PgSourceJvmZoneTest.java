package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * timestamptz arrives as the same instant whatever the JVM's zone: pgjdbc gives the walsender session the JVM's zone,
 * so the stream's text carries that zone's offsets (here Amsterdam's: +01/+02 with DST, and +00:19:32 local mean time
 * before 1937). Every other integration test runs in a UTC JVM, where every offset is +00.
 */
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class PgSourceJvmZoneTest {

    static final List<String> VALUES = List.of("'2024-07-01 12:00:00.123456+00'", "'2024-03-31 01:30:00+00'",
            "'1900-01-01 00:00:00+00'", "'0044-03-15 12:00:00+00 BC'", "'2024-10-27 01:00:00.000001+00'");

    @TempDir
    Path dir;

    @Test
    void timestamptzIsTheSameInstantInANonUtcJvm(PgDatabase db) throws Exception {
        TimeZone before = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Europe/Amsterdam"));
        try {
            db.execute("CREATE TABLE zone_t (id int PRIMARY KEY, tz timestamptz)");
            for (int i = 0; i < VALUES.size(); i++) {
                db.execute("INSERT INTO zone_t VALUES (" + (i + 1) + ", " + VALUES.get(i) + ")");
            }
            TableId t = new TableId("public", "zone_t");
            Path rec = dir.resolve("zone.rec");
            try (PgPassword pw = PgPassword.none()) {
                PgConnector conn = connector(db, pw);
                try (java.sql.Connection c = conn.connect("zone-check"); java.sql.Statement st = c.createStatement();
                        java.sql.ResultSet rs = st.executeQuery("SHOW TimeZone")) {
                    rs.next();
                    assertThat(rs.getString(1)).as("pgjdbc hands the JVM's zone to the session").isEqualTo("Europe/Amsterdam");
                }
                SnapshotLedger ledger = SnapshotLedger.inMemory();
                try (RecordingSink sink = new RecordingSink(rec);
                        PgSource source = SourceFixture.start(conn, "zone", List.of(t), sink, ledger, fastOptions())) {
                    SourceFixture.await(() -> ledger.completed().contains(t), Duration.ofSeconds(60), source::toString);
                    for (int i = 0; i < VALUES.size(); i++) {
                        db.execute("INSERT INTO zone_t VALUES (" + (i + 101) + ", " + VALUES.get(i) + ")");
                    }
                    awaitCaughtUp(db, source, Duration.ofSeconds(60));
                } finally {
                    PgSource.removePipeline(conn, "zone");
                }
            }
            Map<String, String> expected = new TreeMap<>();
            for (String row : db.queryColumn("SELECT id || '=' || (extract(epoch FROM tz) * 1000000)::bigint FROM zone_t")) {
                expected.put(row.substring(0, row.indexOf('=')), row.substring(row.indexOf('=') + 1));
            }
            Map<String, String> got = new TreeMap<>();
            for (RecordingSink.Row r : RecordingSink.read(rec)) {
                got.put(r.values().get("id"), r.values().get("tz"));
            }
            assertThat(got).hasSize(2 * VALUES.size()).isEqualTo(expected);
        } finally {
            TimeZone.setDefault(before);
        }
    }
}
