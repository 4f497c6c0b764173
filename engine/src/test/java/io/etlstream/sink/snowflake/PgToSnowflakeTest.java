package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.Destination;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.emulator.SqlResult;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.source.pg.Lsn;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/** Real PostgreSQL → PgSource → SnowflakeSink → real SDK → emulator; the mirror must equal the source. */
@ExtendWith(PostgresExtension.class)
class PgToSnowflakeTest {

    static SnowflakeEmulator emu;
    static KeyPair key;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
        emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("ETL", key.getPublic()));
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    static void await(BooleanSupplier c, Duration timeout, Supplier<String> what) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out: " + what.get());
            }
            Thread.sleep(50);
        }
    }

    static void awaitCaughtUp(PgDatabase db, PgSource source) throws InterruptedException {
        long target = Lsn.parse(db.queryOne("SELECT pg_logical_emit_message(true, 'etl-stream-test', 'caught up')"));
        await(() -> source.status().durableLsn() > target || source.failure().isPresent(), Duration.ofSeconds(90),
                () -> "caught up to " + Lsn.format(target) + ": " + source.status());
        if (source.failure().isPresent()) {
            throw new AssertionError("source failed", source.failure().get());
        }
    }

    static List<String> pgRows(PgDatabase db, String sql) {
        return db.queryColumn(sql);
    }

    static List<String> sfRows(String sql, String schema) {
        SqlResult r = emu.sql(sql, "DB", schema);
        List<String> out = new ArrayList<>();
        for (List<String> row : r.rows()) {
            out.add(String.join("|", row.stream().map(v -> v == null ? "null" : v).toList()));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void snapshotAndChangesReachTheMirror(PgDatabase db) throws Exception {
        String schema = "PG" + db.major();
        emu.sql("CREATE DATABASE IF NOT EXISTS DB");
        emu.sql("CREATE SCHEMA IF NOT EXISTS DB." + schema);
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
        Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", "DB", schema, "k");
        ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        try (PgPassword pw = PgPassword.none();
                SnowflakeDestination dest = SnowflakeDestination.open(d, key.getPrivate(), SnowpipeTuning.DEFAULT,
                        new FlushLimiter(2))) {
            PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            SnowflakeSink sink = dest.openSink("e2e" + db.major(), io.etlstream.sink.SinkOptions.DEFAULT
                    .withMergeInterval(Duration.ofHours(1)), (l, t, m) -> events.add(l + " " + m));
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource source = new PgSource(conn, "e2e" + db.major(), List.of(orders, logs), sink, ledger,
                    PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1))
                            .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2))
                            .withHeartbeatInterval(Duration.ZERO))) {
                source.start();
                await(() -> ledger.completed().size() == 2 || source.failure().isPresent(), Duration.ofSeconds(90),
                        source::toString);
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
                .isEqualTo(pgRows(db, "SELECT concat_ws('|', id, coalesce(note, 'null'), coalesce(amount::text, 'null'),"
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
        emu.sql("CREATE DATABASE IF NOT EXISTS DB");
        emu.sql("CREATE SCHEMA IF NOT EXISTS DB." + schema);
        db.execute("CREATE TABLE acct (id int PRIMARY KEY, balance numeric(12,2), note text)",
                "INSERT INTO acct SELECT g, 100, 'start' FROM generate_series(1, 300) g");
        TableId acct = new TableId("public", "acct");
        Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", "DB", schema, "k");
        // stands for the catalog's record of finished snapshots, which outlives the process
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        String pipeline = "resume" + db.major();
        PgSource.Options opts = PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1))
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)).withHeartbeatInterval(Duration.ZERO);
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            // run 1: snapshot, some transactions, then the process "dies": the sink is abandoned, not drained
            SnowflakeDestination d1 = SnowflakeDestination.open(d, key.getPrivate(), SnowpipeTuning.DEFAULT,
                    new FlushLimiter(2));
            SnowflakeSink s1 = d1.openSink(pipeline, io.etlstream.sink.SinkOptions.DEFAULT
                    .withMergeInterval(Duration.ofHours(1)), (l, t, m) -> { });
            SnapshotLedger ledger1 = ledger;
            try (PgSource source = new PgSource(conn, pipeline, List.of(acct), s1, ledger1, opts)) {
                source.start();
                await(() -> ledger1.completed().size() == 1 || source.failure().isPresent(), Duration.ofSeconds(90),
                        source::toString);
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
            try (SnowflakeDestination d2 = SnowflakeDestination.open(d, key.getPrivate(), SnowpipeTuning.DEFAULT,
                    new FlushLimiter(2))) {
                SnowflakeSink s2 = d2.openSink(pipeline, io.etlstream.sink.SinkOptions.DEFAULT
                        .withMergeInterval(Duration.ofHours(1)), (l, t, m) -> { });
                SnapshotLedger ledger2 = ledger;
                assertThat(ledger2.completed()).containsExactly(acct);
                try (PgSource source = new PgSource(conn, pipeline, List.of(acct), s2, ledger2, opts)) {
                    source.start();
                    awaitCaughtUp(db, source);
                    s2.mergeNow(true);
                }
                s2.close();
            }
            try {
                d1.close();
            } catch (Exception fenced) {
                // the first client's channels were taken over; closing it may report that
            }
            PgSource.removePipeline(conn, pipeline);
        }
        assertThat(sfRows("SELECT ID, BALANCE, NOTE FROM ACCT ORDER BY ID", schema))
                .isEqualTo(pgRows(db, "SELECT concat_ws('|', id, balance, note) FROM acct ORDER BY id"));
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
        emu.sql("CREATE DATABASE IF NOT EXISTS DB");
        emu.sql("CREATE SCHEMA IF NOT EXISTS DB." + schema);
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
        Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", "DB", schema, "k");
        String pipeline = "names" + db.major();
        try (PgPassword pw = PgPassword.none();
                SnowflakeDestination dest = SnowflakeDestination.open(d, key.getPrivate(), SnowpipeTuning.DEFAULT,
                        new FlushLimiter(2))) {
            PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            SnowflakeSink sink = dest.openSink(pipeline, io.etlstream.sink.SinkOptions.DEFAULT
                    .withMergeInterval(Duration.ofHours(1)), (l, t, m) -> { });
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource source = new PgSource(conn, pipeline, List.of(orders, mixed), sink, ledger,
                    PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1))
                            .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2))
                            .withHeartbeatInterval(Duration.ZERO))) {
                source.start();
                await(() -> ledger.completed().size() == 2 || source.failure().isPresent(), Duration.ofSeconds(90),
                        source::toString);
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
        SqlResult typed = emu.sql("SELECT STIMMUNGEN, ZAHLEN FROM \"Ördérs\" WHERE ID = 1", "DB", schema);
        assertThat(json.readTree(typed.rows().get(0).get(0)))
                .isEqualTo(json.readTree("[\"froh\", null, \"a,b\", \"q\\\"t\", \"{x}\", \"NULL\"]"));
        assertThat(json.readTree(typed.rows().get(0).get(1))).isEqualTo(json.readTree("[1, null, 7]"));
        SqlResult second = emu.sql("SELECT STIMMUNGEN, ZAHLEN FROM \"Ördérs\" WHERE ID = 2", "DB", schema);
        assertThat(json.readTree(second.rows().get(0).get(0))).isEqualTo(json.readTree("[\"müde\"]"));
        assertThat(json.readTree(second.rows().get(0).get(1))).isEqualTo(json.readTree("[]"));
        assertThat(arrays).hasSize(2);
    }
}
