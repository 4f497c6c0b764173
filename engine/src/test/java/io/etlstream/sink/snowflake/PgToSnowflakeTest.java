package io.etlstream.sink.snowflake;

import static io.etlstream.testkit.snowflake.EmulatedSnowflake.MANUAL_MERGES;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.SOURCE_OPTIONS;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCaughtUp;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCopied;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.closeTakenOver;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.connector;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.emulator.SqlResult;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/** Real PostgreSQL → PgSource → SnowflakeSink → real SDK → emulator; the mirror must equal the source. */
@ExtendWith(PostgresExtension.class)
class PgToSnowflakeTest {

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass();

    static List<String> sfRows(String sql, String schema) {
        return SF.joined(sql, schema);
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void snapshotAndChangesReachTheMirror(PgDatabase db) throws Exception {
        String schema = "PG" + db.major();
        SF.createSchema(schema);
        db.execute("CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric(10,2), doc jsonb,"
                        + " ts timestamptz, big text)",
                "ALTER TABLE orders ALTER COLUMN big SET STORAGE EXTERNAL",
                "CREATE TABLE logs (id int PRIMARY KEY, msg text)",
                "INSERT INTO orders SELECT g, 'n' || g, g * 1.25, jsonb_build_object('g', g),"
                        + " '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', NULL"
                        + " FROM generate_series(1, 1000) g",
                "UPDATE orders SET big = repeat('x', 200000) WHERE id = 7",
                "INSERT INTO logs SELECT g, 'm' || g FROM generate_series(1, 50) g");
        TableId orders = new TableId("public", "orders");
        TableId logs = new TableId("public", "logs");
        ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open(schema)) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink("e2e" + db.major(), MANUAL_MERGES, (l, t, m) -> events.add(l + " " + m));
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource source = new PgSource(conn, "e2e" + db.major(), List.of(orders, logs), sink, ledger,
                    SOURCE_OPTIONS)) {
                source.start();
                awaitCopied(source, ledger, 2, Duration.ofSeconds(90));
                db.execute("UPDATE orders SET note = 'changed' WHERE id = 7", // big: unchanged TOAST
                        "UPDATE orders SET amount = amount + 1, note = NULL WHERE id BETWEEN 10 AND 20",
                        "DELETE FROM orders WHERE id > 990",
                        "BEGIN; INSERT INTO orders (id, note) VALUES (5000, 'new'); UPDATE orders SET note = 'twice'"
                                + " WHERE id = 5000; COMMIT",
                        "TRUNCATE logs",
                        "INSERT INTO logs VALUES (1, 'after truncate')",
                        "ALTER TABLE orders ADD COLUMN extra int",
                        "INSERT INTO orders (id, note, extra) VALUES (6000, 'with extra', 42)");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
            }
            sink.close();
        }
        assertThat(sfRows("SELECT ID, NOTE, AMOUNT, EXTRA FROM ORDERS ORDER BY ID", schema))
                .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, coalesce(note, 'null'), coalesce(amount::text, 'null'),"
                        + " coalesce(extra::text, 'null')) FROM orders ORDER BY id"));
        assertThat(sfRows("SELECT LENGTH(BIG), NOTE FROM ORDERS WHERE ID = 7", schema))
                .containsExactly("200000|changed");
        assertThat(sfRows("SELECT ID, MSG FROM LOGS ORDER BY ID", schema)).containsExactly("1|after truncate");
        assertThat(sfRows("SELECT COUNT(*) FROM LOGS_HISTORY WHERE _ETL_OP = 'T'", schema)).containsExactly("1");
        assertThat(events).anyMatch(e -> e.contains("Column extra added"));
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void aCrashedPipelineResumesFromTheSlotWithoutLossOrDuplicates(PgDatabase db) throws Exception {
        String schema = "RESUME" + db.major();
        SF.createSchema(schema);
        db.execute("CREATE TABLE acct (id int PRIMARY KEY, balance numeric(12,2), note text)",
                "INSERT INTO acct SELECT g, 100, 'start' FROM generate_series(1, 300) g");
        TableId acct = new TableId("public", "acct");
        // stands for the catalog's record of finished snapshots, which outlives the process
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        String pipeline = "resume" + db.major();
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            // run 1: snapshot, some transactions, then the process "dies": the sink is abandoned, not drained
            SnowflakeDestination d1 = SF.open(schema);
            SnowflakeSink s1 = d1.openSink(pipeline, MANUAL_MERGES, (l, t, m) -> { });
            SnapshotLedger ledger1 = ledger;
            try (PgSource source = new PgSource(conn, pipeline, List.of(acct), s1, ledger1, SOURCE_OPTIONS)) {
                source.start();
                awaitCopied(source, ledger1, 1, Duration.ofSeconds(90));
                for (int i = 0; i < 30; i++) {
                    db.execute("BEGIN; UPDATE acct SET balance = balance - 1 WHERE id = " + (i + 1)
                            + "; UPDATE acct SET balance = balance + 1, note = 'moved " + i + "' WHERE id = " + (i + 101)
                            + "; INSERT INTO acct VALUES (" + (1000 + i) + ", " + i + ", 'new'); COMMIT");
                }
                Thread.sleep(1500); // let part of it, not necessarily all, become durable
            }
            s1.abandon();
            // while the pipeline is down
            db.execute("DELETE FROM acct WHERE id BETWEEN 200 AND 210", "UPDATE acct SET note = 'later' WHERE id < 5");

            // run 2: a new process, new client (fences the old channels), same slot
            try (SnowflakeDestination d2 = SF.open(schema)) {
                SnowflakeSink s2 = d2.openSink(pipeline, MANUAL_MERGES, (l, t, m) -> { });
                SnapshotLedger ledger2 = ledger;
                assertThat(ledger2.completed()).containsExactly(acct);
                try (PgSource source = new PgSource(conn, pipeline, List.of(acct), s2, ledger2, SOURCE_OPTIONS)) {
                    source.start();
                    awaitCaughtUp(db, source);
                    s2.mergeNow(true);
                }
                s2.close();
            }
            closeTakenOver(d1); // the first client's channels were taken over by the second
            PgSource.removePipeline(conn, pipeline);
        }
        assertThat(sfRows("SELECT ID, BALANCE, NOTE FROM ACCT ORDER BY ID", schema))
                .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, balance, note) FROM acct ORDER BY id"));
        // every streamed change is in history exactly once (snapshot rows share the consistent point's LSN)
        assertThat(sfRows("SELECT COUNT(*), COUNT(DISTINCT _ETL_LSN * 4294967296 + _ETL_SEQ) FROM ACCT_HISTORY"
                + " WHERE _ETL_OP <> 'I' OR ID >= 1000", schema)).singleElement()
                .satisfies(r -> assertThat(r.split("\\|")[0]).isEqualTo(r.split("\\|")[1]).isEqualTo("105"));
        assertThat(sfRows("SELECT COUNT(*) FROM ACCT_HISTORY WHERE ID < 1000 AND _ETL_OP = 'I'", schema))
                .containsExactly("300");
    }

    /**
     * Non-ASCII and mixed-case table and column names through the real SDK: history and mirror are created under
     * the quoted names and the values arrive. The table also carries arrays of an enum and of a domain, which must
     * become Snowflake ARRAYs with their exact elements (NULLs and elements that need quoting in PostgreSQL's text).
     */
    @Test
    void nonAsciiAndMixedCaseNamesAndUserTypeArraysReachHistoryAndMirror(PgDatabase db) throws Exception {
        String schema = "NAMES" + db.major();
        SF.createSchema(schema);
        db.execute("CREATE TYPE stimmung AS ENUM ('froh', 'a,b', 'q\"t', '{x}', 'NULL', 'müde')",
                "CREATE DOMAIN posint AS int CHECK (VALUE > 0)",
                "CREATE TABLE \"Ördérs\" (id int PRIMARY KEY, größe numeric(8,2), \"Menge\" int, \"Straße Nr\" text,"
                        + " stimmungen stimmung[], zahlen posint[])",
                "CREATE TABLE \"MixedCase\" (\"Id\" int PRIMARY KEY, \"Wert\" text)",
                "INSERT INTO \"Ördérs\" VALUES (1, 12.50, 3, 'Hauptstraße 5', ARRAY['froh', NULL, 'a,b', 'q\"t', '{x}',"
                        + " 'NULL']::stimmung[], ARRAY[1, NULL, 7]::posint[])",
                "INSERT INTO \"MixedCase\" VALUES (1, 'eins')");
        TableId orders = new TableId("public", "Ördérs");
        TableId mixed = new TableId("public", "MixedCase");
        String pipeline = "names" + db.major();
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open(schema)) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink(pipeline, MANUAL_MERGES, (l, t, m) -> { });
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource source = new PgSource(conn, pipeline, List.of(orders, mixed), sink, ledger, SOURCE_OPTIONS)) {
                source.start();
                awaitCopied(source, ledger, 2, Duration.ofSeconds(90));
                db.execute("INSERT INTO \"Ördérs\" VALUES (2, 0.05, 1, 'Bahnhofstraße 1', ARRAY['müde']::stimmung[],"
                                + " '{}'::posint[])",
                        "UPDATE \"Ördérs\" SET größe = 99.99, \"Menge\" = 4 WHERE id = 1",
                        "INSERT INTO \"MixedCase\" VALUES (2, 'zwei')");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
            }
            sink.close();
            PgSource.removePipeline(conn, pipeline);
        }
        assertThat(sfRows("SELECT ID, \"größe\", \"Menge\", \"Straße Nr\" FROM \"Ördérs\" ORDER BY ID", schema))
                .containsExactly("1|99.99|4|Hauptstraße 5", "2|0.05|1|Bahnhofstraße 1");
        assertThat(sfRows("SELECT _ETL_OP, ID, \"größe\" FROM \"Ördérs_HISTORY\" ORDER BY _ETL_LSN, _ETL_SEQ", schema))
                .containsExactly("I|1|12.50", "I|2|0.05", "U|1|99.99");
        assertThat(sfRows("SELECT \"Id\", \"Wert\" FROM \"MixedCase\" ORDER BY \"Id\"", schema))
                .containsExactly("1|eins", "2|zwei");
        assertThat(sfRows("SELECT COUNT(*) FROM \"MixedCase_HISTORY\"", schema)).containsExactly("2");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> arrays = sfRows("SELECT STIMMUNGEN, ZAHLEN FROM \"Ördérs\" ORDER BY ID", schema);
        SqlResult typed = SF.sql("SELECT STIMMUNGEN, ZAHLEN FROM \"Ördérs\" WHERE ID = 1", schema);
        assertThat(json.readTree(typed.rows().get(0).get(0)))
                .isEqualTo(json.readTree("[\"froh\", null, \"a,b\", \"q\\\"t\", \"{x}\", \"NULL\"]"));
        assertThat(json.readTree(typed.rows().get(0).get(1))).isEqualTo(json.readTree("[1, null, 7]"));
        SqlResult second = SF.sql("SELECT STIMMUNGEN, ZAHLEN FROM \"Ördérs\" WHERE ID = 2", schema);
        assertThat(json.readTree(second.rows().get(0).get(0))).isEqualTo(json.readTree("[\"müde\"]"));
        assertThat(json.readTree(second.rows().get(0).get(1))).isEqualTo(json.readTree("[]"));
        assertThat(arrays).hasSize(2);
    }
}
