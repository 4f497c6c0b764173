package io.etlstream.sink.snowflake;

import static io.etlstream.sink.snowflake.PgToSnowflakeTest.await;
import static io.etlstream.sink.snowflake.PgToSnowflakeTest.awaitCaughtUp;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.OversizePolicy;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.emulator.SqlResult;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkOptions;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Dates and timestamps at the ends of Snowflake's range (years 1 to 9999), through real PostgreSQL, PgSource,
 * SnowflakeSink, the real SDK and the emulator, in the copy and in the stream: they land unchanged. PostgreSQL values
 * Snowflake cannot hold (±infinity, years after 9999 or before 1, timestamps up to PostgreSQL's last one in 294276 AD,
 * past what Arrow's microseconds hold) follow the pipeline's value policy, with an event.
 */
@ExtendWith(PostgresExtension.class)
class ExtremeDatesTest {

    static SnowflakeEmulator emu;
    static KeyPair key;

    static final String VALUES = "(%d, '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '0001-01-01'),"
            + " (%d, '1500-06-15 12:00:00.123456', '1500-06-15 12:00:00.123456+00', '1500-06-15'),"
            + " (%d, '1969-12-31 23:59:59.5', '1969-12-31 23:59:59.5-07:30', '1969-12-31'),"
            + " (%d, '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00', '9999-12-31')";

    /** PostgreSQL's last timestamp: past Arrow's microseconds since 1970 (294247-01-10 AD), copied and streamed. */
    static final String LAST = "'294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00', '294276-12-31'";

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
        emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("ETL", key.getPublic()));
        emu.sql("CREATE DATABASE IF NOT EXISTS DB");
        emu.sql("CREATE SCHEMA IF NOT EXISTS DB.X");
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    static List<String> sf(String sql) {
        SqlResult r = emu.sql(sql, "DB", "X");
        List<String> out = new ArrayList<>();
        for (List<String> row : r.rows()) {
            out.add(String.join("|", row.stream().map(v -> v == null ? "null" : v).toList()));
        }
        return out;
    }

    @Test
    void yearsOneToNineThousandNineHundredNinetyNineLandUnchangedAndTheRestFollowsThePolicy(PgDatabase db)
            throws Exception {
        db.execute("CREATE TABLE edge (id int PRIMARY KEY, ts timestamp, tstz timestamptz, d date)",
                "CREATE TABLE beyond (id int PRIMARY KEY, ts timestamp, tstz timestamptz, d date)",
                "INSERT INTO edge VALUES " + VALUES.formatted(1, 2, 3, 4),
                "INSERT INTO beyond VALUES (1, 'infinity', '-infinity', 'infinity'),"
                        + " (2, '10000-01-01 00:00:00', '10000-01-01 00:00:00+00', '10000-01-01'),"
                        + " (3, '0001-12-31 23:00:00 BC', '0001-12-31 23:00:00+00 BC', '0001-12-31 BC'),"
                        + " (4, '2026-11-26 12:00:00', '2026-11-26 12:00:00+00', '2026-11-26'),"
                        + " (5, " + LAST + ")");
        TableId edge = new TableId("public", "edge");
        TableId beyond = new TableId("public", "beyond");
        Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", "DB", "X", "k");
        ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        try (PgPassword pw = PgPassword.none();
                SnowflakeDestination dest = SnowflakeDestination.open(d, key.getPrivate(), SnowpipeTuning.DEFAULT,
                        new FlushLimiter(2))) {
            PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            SnowflakeSink sink = dest.openSink("xd", SinkOptions.DEFAULT.withOversize(OversizePolicy.NULL_WITH_EVENT)
                    .withMergeInterval(Duration.ofHours(1)), (l, t, m) -> events.add(l + " " + t + " " + m));
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource source = new PgSource(conn, "xd", List.of(edge, beyond), sink, ledger,
                    PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1))
                            .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2))
                            .withHeartbeatInterval(Duration.ZERO))) {
                source.start();
                await(() -> ledger.completed().size() == 2 || source.failure().isPresent(), Duration.ofSeconds(120),
                        source::toString);
                db.execute("INSERT INTO edge VALUES " + VALUES.formatted(11, 12, 13, 14),
                        "INSERT INTO beyond VALUES (11, '-infinity', 'infinity', '-infinity'),"
                                + " (12, '200000-06-01 00:00:00', '200000-06-01 00:00:00+00',"
                                + " '5874897-12-31'), (13, " + LAST + ")");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertThat(sink.stoppedTables()).isEmpty();
            }
            sink.close();
        }
        // The SQL API's encoding: NTZ as epoch seconds, TZ as "epoch seconds, offset minutes + 1440" (the sink writes
        // UTC), DATE as epoch days; PostgreSQL computes the same numbers from its own values.
        String expected = "SELECT concat_ws('|', id, extract(epoch FROM ts), extract(epoch FROM tstz) || ' 1440',"
                + " d - date '1970-01-01') FROM edge ORDER BY id";
        assertThat(sf("SELECT ID, TS, TSTZ, D FROM EDGE ORDER BY ID")).isEqualTo(db.queryColumn(expected))
                .hasSize(8);
        assertThat(sf("SELECT ID, TS, TSTZ, D FROM EDGE_HISTORY ORDER BY ID")).isEqualTo(db.queryColumn(expected));
        assertThat(sf("SELECT ID, TS FROM EDGE WHERE ID IN (1, 4) ORDER BY ID"))
                .containsExactly("1|-62135596800.000000", "4|253402300799.999999");

        assertThat(sf("SELECT ID, TS, TSTZ, D FROM BEYOND ORDER BY ID")).containsExactly(
                "1|null|null|null", "2|null|null|null", "3|null|null|null",
                "4|1795694400.000000|1795694400.000000 1440|20783", "5|null|null|null", "11|null|null|null",
                "12|null|null|null", "13|null|null|null");
        List<String> nulled = events.stream().filter(e -> e.contains("written as null")).toList();
        assertThat(nulled).as("one event per value written as null: " + events).hasSize(21)
                .anyMatch(e -> e.contains("beyond.ts") && e.contains("after 294247-01-10 AD"))
                .anyMatch(e -> e.contains("beyond.tstz") && e.contains("after 294247-01-10 AD"))
                .anyMatch(e -> e.contains("beyond.ts") && e.toLowerCase(java.util.Locale.ROOT).contains("infinity"))
                .anyMatch(e -> e.contains("beyond.d") && e.contains("10000-01-01"))
                .anyMatch(e -> e.contains("beyond.tstz") && e.contains("years 1 to 9999"));
    }
}
