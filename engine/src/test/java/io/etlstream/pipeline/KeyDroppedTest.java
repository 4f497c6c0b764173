package io.etlstream.pipeline;

import static io.etlstream.pipeline.ManagedPipelines.awaitCaughtUp;
import static io.etlstream.pipeline.ManagedPipelines.createPipeline;
import static io.etlstream.pipeline.ManagedPipelines.keyRecordingRuntime;
import static io.etlstream.pipeline.ManagedPipelines.manager;
import static io.etlstream.pipeline.ManagedPipelines.phase;
import static io.etlstream.pipeline.ManagedPipelines.send;
import static io.etlstream.pipeline.ManagedPipelines.state;
import static io.etlstream.pipeline.ManagedPipelines.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.home.EtlHome;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowflakeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table whose key is dropped entirely (REPLICA IDENTITY DEFAULT, primary key dropped: it turns keyless) is handled
 * like every other key change: the changes written up to the drop are merged on the old key (the mirror equals the
 * source as of just before the drop), then the table stops with the resync action, whether the drop comes while the
 * pipeline streams or while it is stopped. And the other way round: a keyless REPLICA IDENTITY FULL table that gains
 * a primary key: it had no key to merge on, so it stops without a merge. Real PostgreSQL, the pipeline actor on the
 * H2 catalog, the real SDK against the emulator; the runtime and pipeline helpers are {@link ManagedPipelines}'.
 */
@ExtendWith(PostgresExtension.class)
class KeyDroppedTest {

    static final Duration WAIT = Duration.ofSeconds(120);
    static final String SCHEMA = "KEYDROP";

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass(SCHEMA);

    @TempDir
    Path dir;

    @Test
    void aKeyDroppedWhileStreamingMergesUpToTheDropThenStopsTheTable(PgDatabase db) throws Exception {
        String name = "kdlive";
        db.execute("CREATE TABLE kd (id int PRIMARY KEY, v text)", "CREATE TABLE oa (id int PRIMARY KEY, note text)",
                "INSERT INTO kd SELECT g, 'v' || g FROM generate_series(1, 6) g", "INSERT INTO oa VALUES (1, 'o1')");
        TableRef kd = TableRef.parse("public.kd");
        TableRef oa = TableRef.parse("public.oa");
        try (Harness h = new Harness(db, name, List.of(kd, oa)); Catalog catalog = Catalog.open(h.home);
                PipelineManager manager = h.manager(catalog)) {
            h.startStreaming(manager);
            awaitCaughtUp(db, manager, name, WAIT);
            h.sink.get().mergeNow(true);
            assertThat(SF.joined("SELECT ID, V FROM KD ORDER BY ID", SCHEMA)).as("the copy, merged")
                    .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, v) FROM kd ORDER BY id"));
            // earlier transactions: committed in history, not merged (merges run only when the test asks)
            db.execute("UPDATE kd SET v = 'v1b' WHERE id = 1", "DELETE FROM kd WHERE id = 2");
            awaitCaughtUp(db, manager, name, WAIT);
            // the drop's own transaction: an update, a delete and a key change before it
            List<String> beforeDrop = inOneTransaction(db, "SELECT concat_ws('|', id, v) FROM kd ORDER BY id",
                    "UPDATE kd SET v = 'v3b' WHERE id = 3", "DELETE FROM kd WHERE id = 4",
                    "UPDATE kd SET id = 50, v = 'v5 moved' WHERE id = 5", "ALTER TABLE kd DROP CONSTRAINT kd_pkey");
            assertThat(beforeDrop).containsExactly("1|v1b", "3|v3b", "6|v6", "50|v5 moved");
            // keyless under REPLICA IDENTITY DEFAULT: only inserts are possible now; the first brings the Relation
            db.execute("INSERT INTO kd VALUES (7, 'after the drop')", "INSERT INTO oa VALUES (2, 'o2')");
            await(() -> phase(manager, name, kd) == TablePhase.ERRORED, "kd stopped");
            assertDropMessage(h, manager, kd, "id");
            awaitCaughtUp(db, manager, name, WAIT);
            assertThat(phase(manager, name, oa)).isEqualTo(TablePhase.STREAMING);
            assertThat(h.sink.get().stoppedTables()).containsExactly(id(kd));
            // no mergeNow before this: the stop itself merged what history held up to the drop
            assertThat(SF.joined("SELECT ID, V FROM KD ORDER BY ID", SCHEMA)).as("the source just before the drop")
                    .isEqualTo(beforeDrop);
            h.sink.get().mergeNow(true);
            assertThat(SF.joined("SELECT ID, V FROM KD ORDER BY ID", SCHEMA)).as("nothing merged after the drop")
                    .isEqualTo(beforeDrop);
            assertThat(SF.joined("SELECT ID, NOTE FROM OA ORDER BY ID", SCHEMA))
                    .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, note) FROM oa ORDER BY id"));
            assertThat(h.keyOf(catalog, kd)).as("the key Snowflake was merged on stays recorded")
                    .contains(List.of("id"));

            // ---- the way out the message names: the key back, then the resync ----
            db.execute("ALTER TABLE kd ADD PRIMARY KEY (id)");
            h.resync(manager, kd);
            db.execute("UPDATE kd SET v = 'after the resync' WHERE id = 7", "DELETE FROM kd WHERE id = 1");
            awaitCaughtUp(db, manager, name, WAIT);
            h.sink.get().mergeNow(true);
            assertThat(SF.joined("SELECT ID, V FROM KD ORDER BY ID", SCHEMA))
                    .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, v) FROM kd ORDER BY id"));
            assertThat(h.keyOf(catalog, kd)).contains(List.of("id"));
            h.stop(manager);
        }
    }

    @Test
    void aKeyDroppedWhileThePipelineIsStoppedMergesUpToTheDropThenStopsTheTable(PgDatabase db) throws Exception {
        String name = "kdstop";
        db.execute("CREATE TABLE kd1 (id int PRIMARY KEY, v text)", "CREATE TABLE kd2 (id int PRIMARY KEY, v text)",
                "CREATE TABLE ob (id int PRIMARY KEY, note text)",
                "INSERT INTO kd1 SELECT g, 'a' || g FROM generate_series(1, 5) g",
                "INSERT INTO kd2 SELECT g, 'b' || g FROM generate_series(1, 5) g", "INSERT INTO ob VALUES (1, 'o1')");
        TableRef kd1 = TableRef.parse("public.kd1");
        TableRef kd2 = TableRef.parse("public.kd2");
        TableRef ob = TableRef.parse("public.ob");
        try (Harness h = new Harness(db, name, List.of(kd1, kd2, ob))) {
            // ---- first run: the copy merged, then changes committed in history but not merged; the pipeline stops ----
            try (Catalog catalog = Catalog.open(h.home); PipelineManager manager = h.manager(catalog)) {
                h.startStreaming(manager);
                awaitCaughtUp(db, manager, name, WAIT);
                h.sink.get().mergeNow(true);
                assertThat(SF.joined("SELECT ID, V FROM KD2 ORDER BY ID", SCHEMA)).as("the copy, merged")
                        .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, v) FROM kd2 ORDER BY id"));
                db.execute("UPDATE kd1 SET v = 'a1b' WHERE id = 1", "DELETE FROM kd1 WHERE id = 2",
                        "UPDATE kd2 SET v = 'b1b' WHERE id = 1", "DELETE FROM kd2 WHERE id = 2",
                        "UPDATE kd2 SET id = 30 WHERE id = 3");
                awaitCaughtUp(db, manager, name, WAIT);
                h.stop(manager);
            }

            // ---- while stopped: kd1 changes and then loses its key in one transaction; kd2 loses it first thing ----
            List<String> kd1BeforeDrop = inOneTransaction(db, "SELECT concat_ws('|', id, v) FROM kd1 ORDER BY id",
                    "UPDATE kd1 SET v = 'a3b' WHERE id = 3", "DELETE FROM kd1 WHERE id = 4",
                    "ALTER TABLE kd1 DROP CONSTRAINT kd1_pkey");
            assertThat(kd1BeforeDrop).containsExactly("1|a1b", "3|a3b", "5|a5");
            List<String> kd2BeforeDrop = db.queryColumn("SELECT concat_ws('|', id, v) FROM kd2 ORDER BY id");
            assertThat(kd2BeforeDrop).containsExactly("1|b1b", "4|b4", "5|b5", "30|b3");
            db.execute("ALTER TABLE kd2 DROP CONSTRAINT kd2_pkey", "INSERT INTO kd1 VALUES (6, 'after the drop')",
                    "INSERT INTO kd2 VALUES (6, 'after the drop')", "INSERT INTO ob VALUES (2, 'o2')");

            // ---- second run: both stop once merged up to their drop; ob streams ----
            try (Catalog catalog = Catalog.open(h.home); PipelineManager manager = h.manager(catalog)) {
                manager.loadStored();
                send(manager, name, new PipelineCommand.Start());
                await(() -> phase(manager, name, kd1) == TablePhase.ERRORED
                        && phase(manager, name, kd2) == TablePhase.ERRORED, "kd1 and kd2 stopped");
                assertDropMessage(h, manager, kd1, "id");
                assertDropMessage(h, manager, kd2, "id");
                awaitCaughtUp(db, manager, name, WAIT);
                assertThat(phase(manager, name, ob)).isEqualTo(TablePhase.STREAMING);
                assertThat(h.sink.get().stoppedTables()).containsExactlyInAnyOrder(id(kd1), id(kd2));
                assertThat(SF.joined("SELECT ID, V FROM KD1 ORDER BY ID", SCHEMA)).as("kd1 just before its drop")
                        .isEqualTo(kd1BeforeDrop);
                assertThat(SF.joined("SELECT ID, V FROM KD2 ORDER BY ID", SCHEMA)).as("kd2 just before its drop")
                        .isEqualTo(kd2BeforeDrop);
                h.sink.get().mergeNow(true);
                assertThat(SF.joined("SELECT ID, NOTE FROM OB ORDER BY ID", SCHEMA))
                        .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, note) FROM ob ORDER BY id"));
                assertThat(h.keyOf(catalog, kd1)).contains(List.of("id"));
                assertThat(h.keyOf(catalog, kd2)).contains(List.of("id"));

                // ---- kd1 gets its key back and is resynced ----
                db.execute("ALTER TABLE kd1 ADD PRIMARY KEY (id)");
                h.resync(manager, kd1);
                db.execute("UPDATE kd1 SET v = 'after the resync' WHERE id = 6", "DELETE FROM kd1 WHERE id = 1");
                awaitCaughtUp(db, manager, name, WAIT);
                h.sink.get().mergeNow(true);
                assertThat(SF.joined("SELECT ID, V FROM KD1 ORDER BY ID", SCHEMA))
                        .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, v) FROM kd1 ORDER BY id"));
                assertThat(phase(manager, name, kd2)).as("still stopped").isEqualTo(TablePhase.ERRORED);
                h.stop(manager);
            }
        }
    }

    /**
     * A keyless REPLICA IDENTITY FULL table gains a primary key. Its history since the copy was never merged (no key);
     * here that history held two rows with id 1 at once, one of them deleted before the key was added, so merging it
     * on the new key would lose row 1: the table stops like any other key change, and its resync mirrors it exactly.
     */
    @Test
    void aKeylessFullTableThatGainsAKeyStopsUntilItsResync(PgDatabase db) throws Exception {
        String name = "kdgain";
        db.execute("CREATE TABLE fk (id int NOT NULL, v text)", "ALTER TABLE fk REPLICA IDENTITY FULL",
                "INSERT INTO fk VALUES (1, 'a'), (1, 'b'), (2, 'c')");
        TableRef fk = TableRef.parse("public.fk");
        try (Harness h = new Harness(db, name, List.of(fk)); Catalog catalog = Catalog.open(h.home);
                PipelineManager manager = h.manager(catalog)) {
            h.startStreaming(manager);
            db.execute("DELETE FROM fk WHERE v = 'b'", "UPDATE fk SET v = 'c2' WHERE id = 2",
                    "ALTER TABLE fk ADD PRIMARY KEY (id)", "UPDATE fk SET v = 'c3' WHERE id = 2",
                    "INSERT INTO fk VALUES (3, 'd')");
            awaitCaughtUp(db, manager, name, WAIT);
            h.sink.get().mergeNow(true);
            List<String> source = db.queryColumn("SELECT concat_ws('|', id, v) FROM fk ORDER BY id");
            assertThat(source).containsExactly("1|a", "2|c3", "3|d");
            // merged on id, the history's DELETE of (1, b) took id 1 out of the mirror though (1, a) remains
            assertThat(phase(manager, name, fk)).isEqualTo(TablePhase.ERRORED);
            assertThat(table(manager, name, fk).error()).contains("Stopped table public.fk")
                    .contains("the table had no key and now has one (id)")
                    .contains("Nothing was merged into").contains("the table had no key to merge its history on")
                    .doesNotContain("on the old key");
            assertThat(h.events).anyMatch(e -> e.severity() == EngineEvent.Severity.ERROR
                    && e.message().contains("etl-stream pipeline resync " + name + " --table public.fk"));
            h.resync(manager, fk);
            db.execute("UPDATE fk SET v = 'a2' WHERE id = 1", "DELETE FROM fk WHERE id = 3");
            awaitCaughtUp(db, manager, name, WAIT);
            h.sink.get().mergeNow(true);
            assertThat(SF.joined("SELECT ID, V FROM FK ORDER BY ID", SCHEMA))
                    .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, v) FROM fk ORDER BY id"));
            assertThat(h.keyOf(catalog, fk)).contains(List.of("id"));
            h.stop(manager);
        }
    }

    /** The stop's reason says what happened and what to do, with the project's resync command in its event. */
    private static void assertDropMessage(Harness h, PipelineManager manager, TableRef t, String oldKey) {
        String sqlName = t.schema() + "." + t.name();
        assertThat(table(manager, h.name, t).error()).contains("Stopped table " + sqlName)
                .contains("no longer has a key").contains("on the old key (" + oldKey + ")")
                .contains("ALTER TABLE \"" + t.schema() + "\".\"" + t.name() + "\" ADD PRIMARY KEY (\"" + oldKey + "\")")
                .contains("REPLICA IDENTITY USING INDEX");
        assertThat(h.events).anyMatch(e -> e.severity() == EngineEvent.Severity.ERROR
                && e.message().contains("no longer has a key")
                && e.message().contains("etl-stream pipeline resync " + h.name + " --table " + sqlName));
    }

    /**
     * Runs {@code statements} in one transaction; the result of {@code query} is read inside it just before the last
     * statement.
     */
    private static List<String> inOneTransaction(PgDatabase db, String query, String... statements)
            throws SQLException {
        List<String> seen = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            for (int i = 0; i < statements.length; i++) {
                if (i == statements.length - 1) {
                    try (ResultSet rs = st.executeQuery(query)) {
                        while (rs.next()) {
                            seen.add(rs.getString(1));
                        }
                    }
                }
                st.execute(statements[i]);
            }
            c.commit();
        }
        return seen;
    }

    private static TableId id(TableRef t) {
        return new TableId(t.schema(), t.name());
    }

    private static void await(BooleanSupplier c, String what) throws InterruptedException {
        EmulatedSnowflake.await(c, WAIT, () -> "waiting for " + what);
    }

    /** One pipeline {@code name} over {@code tables} of {@code db} into the emulator, its catalog in a home. */
    private final class Harness implements AutoCloseable {
        final String name;
        final List<TableRef> tables;
        final EtlHome home = new EtlHome(dir);
        final SnapshotLedger ledger = SnapshotLedger.inMemory(); // stands for the ledger file that outlives the process
        final AtomicReference<SnowflakeSink> sink = new AtomicReference<>();
        final AtomicReference<Catalog> open = new AtomicReference<>();
        final List<EngineEvent> events = new CopyOnWriteArrayList<>();
        final PgPassword pw = PgPassword.none();
        final SnowflakeDestination dest = SF.open(SCHEMA);
        final PgDatabase db;
        final PgConnector conn;
        final PgSourceRuntime runtime;
        private boolean created;

        Harness(PgDatabase db, String name, List<TableRef> tables) {
            this.db = db;
            this.name = name;
            this.tables = tables;
            this.conn = EmulatedSnowflake.connector(db, pw);
            this.runtime = keyRecordingRuntime(conn, dest, ledger, open, sink);
        }

        /** A manager on {@code catalog}; the pipeline is created in it the first time. */
        PipelineManager manager(Catalog catalog) {
            open.set(catalog);
            if (!created) {
                Destination d = SF.destination(SCHEMA);
                createPipeline(catalog, db, d, name, tables);
                created = true;
            }
            return ManagedPipelines.manager(runtime, catalog, events);
        }

        void startStreaming(PipelineManager manager) throws Exception {
            ManagedPipelines.startStreaming(manager, name, tables, WAIT);
        }

        void resync(PipelineManager manager, TableRef t) throws Exception {
            send(manager, name, new PipelineCommand.ResyncTable(t));
            await(() -> phase(manager, name, t) == TablePhase.STREAMING && !sink.get().stoppedTables().contains(id(t))
                    && ledger.completed().contains(id(t)), t + " copied again");
        }

        void stop(PipelineManager manager) throws Exception {
            send(manager, name, new PipelineCommand.Stop());
            manager.shutdown(Duration.ofSeconds(60));
        }

        Optional<List<String>> keyOf(Catalog catalog, TableRef t) {
            return catalog.tables().keyColumns(catalog.pipelines().require(name).id(), t.schema(), t.name());
        }

        @Override
        public void close() throws Exception {
            try {
                PgSource.removePipeline(conn, name);
            } finally {
                try {
                    dest.close();
                } finally {
                    pw.close();
                }
            }
        }
    }
}
