package io.etlstream.sink.snowflake;

import static io.etlstream.testkit.snowflake.EmulatedSnowflake.MANUAL_MERGES;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.SOURCE_OPTIONS;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCaughtUp;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCopied;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.connector;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.OversizePolicy;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dates and timestamps at the ends of Snowflake's range (years 1 to 9999), through real PostgreSQL, PgSource,
 * SnowflakeSink, the real SDK and the emulator, in the copy and in the stream: they land unchanged. PostgreSQL values
 * Snowflake cannot hold (±infinity, years after 9999 or before 1, timestamps up to PostgreSQL's last one in 294276 AD,
 * past what Arrow's microseconds hold) follow the pipeline's value policy, with an event.
 */
@ExtendWith(PostgresExtension.class)
class ExtremeDatesTest {

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass("X");

    static final String VALUES = "(%d, '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '0001-01-01'),"
            + " (%d, '1500-06-15 12:00:00.123456', '1500-06-15 12:00:00.123456+00', '1500-06-15'),"
            + " (%d, '1969-12-31 23:59:59.5', '1969-12-31 23:59:59.5-07:30', '1969-12-31'),"
            + " (%d, '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00', '9999-12-31')";

    /** PostgreSQL's last timestamp: past Arrow's microseconds since 1970 (294247-01-10 AD), copied and streamed. */
    static final String LAST = "'294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00', '294276-12-31'";

    static List<String> sf(String sql) {
        return SF.joined(sql, "X");
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
        ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open("X")) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink("xd", MANUAL_MERGES.withOversize(OversizePolicy.NULL_WITH_EVENT),
                    (l, t, m) -> events.add(l + " " + t + " " + m));
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource source = new PgSource(conn, "xd", List.of(edge, beyond), sink, ledger, SOURCE_OPTIONS)) {
                source.start();
                awaitCopied(source, ledger, 2, Duration.ofSeconds(120));
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
