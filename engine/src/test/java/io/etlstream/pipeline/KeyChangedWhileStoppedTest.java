package io.etlstream.pipeline;

import static io.etlstream.pipeline.ManagedPipelines.awaitCaughtUp;
import static io.etlstream.pipeline.ManagedPipelines.createPipeline;
import static io.etlstream.pipeline.ManagedPipelines.startStreaming;
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
import io.etlstream.emulator.SqlResult;
import io.etlstream.home.EtlHome;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.pipeline.control.StatusCodec;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowflakeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary key changed while the engine is stopped is caught on the next start, as it is while the engine runs: the
 * first Relation message after a start is compared with the key the catalog recorded for the table (Snowflake's
 * DESCRIBE has no key flags). A renamed key column, a key replaced by a new column, a composite key grown by a new
 * column and a key grown by a column the mirror already holds (the history not merged before the stop, a DELETE
 * among it, carries the old key only) stop their table with the resync action, once the history written before the
 * change (by the first run, not merged by it, and on the second run's way to the change) is merged on the old key:
 * each mirror equals its source just before the change. The other tables keep streaming; a resync brings the stopped
 * tables back on their new key;
 * a restart with no change stops nothing. Real PostgreSQL, the pipeline actor on the H2 catalog, the real SDK against
 * the emulator. The runtime and pipeline helpers are {@link ManagedPipelines}'.
 */
@ExtendWith(PostgresExtension.class)
class KeyChangedWhileStoppedTest {

    static final Duration WAIT = Duration.ofSeconds(120);
    static final String NAME = "keystop";
    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass("KEYSTOP");

    @TempDir
    Path dir;

    @Test
    void aKeyChangedWhileTheEngineWasStoppedStopsOnlyItsTableUntilItsResync(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE rk (id int PRIMARY KEY, v text)",
                "CREATE TABLE pk2 (id int PRIMARY KEY, v text)",
                "CREATE TABLE ck (id int PRIMARY KEY, v text)",
                "CREATE TABLE cx (id int PRIMARY KEY, grp int NOT NULL, v text)",
                "CREATE TABLE other (id int PRIMARY KEY, note text)",
                "INSERT INTO rk VALUES (1, 'r1'), (2, 'r2')", "INSERT INTO pk2 VALUES (1, 'p1'), (2, 'p2')",
                "INSERT INTO ck VALUES (1, 'c1'), (2, 'c2')", "INSERT INTO cx VALUES (1, 10, 'x1'), (2, 20, 'x2')",
                "INSERT INTO other VALUES (1, 'o1')");
        List<TableRef> all = List.of(TableRef.parse("public.rk"), TableRef.parse("public.pk2"),
                TableRef.parse("public.ck"), TableRef.parse("public.cx"), TableRef.parse("public.other"));
        TableRef rk = all.get(0);
        TableRef pk2 = all.get(1);
        TableRef ck = all.get(2);
        TableRef cx = all.get(3);
        TableRef other = all.get(4);
        SnapshotLedger ledger = SnapshotLedger.inMemory(); // stands for the ledger file that outlives the process
        AtomicReference<SnowflakeSink> sink = new AtomicReference<>();
        AtomicReference<Catalog> open = new AtomicReference<>();
        List<EngineEvent> events = new CopyOnWriteArrayList<>();
        Destination d = SF.destination("KEYSTOP");
        EtlHome home = new EtlHome(dir);
        try (PgPassword pw = PgPassword.none();
                SnowflakeDestination dest = SF.open("KEYSTOP")) {
            PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            PgSourceRuntime pg = keyRecordingRuntime(conn, dest, ledger, open, sink);
            long pipelineId;

            // ---- first run: every table copied and streaming; the catalog records each table's key ----
            try (Catalog catalog = Catalog.open(home)) {
                open.set(catalog);
                pipelineId = createPipeline(catalog, db, d, NAME, all);
                try (PipelineManager manager = manager(pg, catalog, events)) {
                    startStreaming(manager, NAME, all, WAIT);
                    db.execute("INSERT INTO rk VALUES (3, 'r3')", "INSERT INTO other VALUES (2, 'o2')");
                    awaitCaughtUp(db, manager, NAME, WAIT);
                    sink.get().mergeNow(true);
                    assertThat(sfRows("SELECT ID, V FROM RK ORDER BY ID")).containsExactly("1|r1", "2|r2", "3|r3");
                    // committed in history, never merged by this run (merges run only when the test asks)
                    db.execute("UPDATE rk SET v = 'r2 first run' WHERE id = 2", "DELETE FROM pk2 WHERE id = 1",
                            "UPDATE ck SET v = 'c2 first run' WHERE id = 2",
                            "UPDATE cx SET v = 'x1 first run' WHERE id = 1");
                    awaitCaughtUp(db, manager, NAME, WAIT);
                    send(manager, NAME, new PipelineCommand.Stop());
                    manager.shutdown(Duration.ofSeconds(60));
                }
                for (TableRef t : all) {
                    assertThat(keyOf(catalog, pipelineId, t)).as("key recorded for " + t).contains(List.of("id"));
                }
            }

            // ---- while the engine is stopped: a delete under cx's old key, then keys change ----
            db.execute("DELETE FROM cx WHERE id = 2");
            List<String> rkBefore = db.queryColumn("SELECT concat_ws('|', id, v) FROM rk ORDER BY id");
            List<String> pk2Before = db.queryColumn("SELECT concat_ws('|', id, v) FROM pk2 ORDER BY id");
            List<String> ckBefore = db.queryColumn("SELECT concat_ws('|', id, v) FROM ck ORDER BY id");
            List<String> cxBefore = db.queryColumn("SELECT concat_ws('|', id, grp, v) FROM cx ORDER BY id, grp");
            assertThat(cxBefore).containsExactly("1|10|x1 first run");
            db.execute("ALTER TABLE rk RENAME COLUMN id TO rk_id",
                    // a new column filled by a table rewrite, which logical decoding does not send as changes
                    "ALTER TABLE pk2 ADD COLUMN code bigserial", "ALTER TABLE pk2 DROP CONSTRAINT pk2_pkey",
                    "ALTER TABLE pk2 ADD PRIMARY KEY (code)",
                    "ALTER TABLE ck ADD COLUMN region text NOT NULL DEFAULT 'eu'",
                    "ALTER TABLE ck DROP CONSTRAINT ck_pkey", "ALTER TABLE ck ADD PRIMARY KEY (id, region)",
                    // moved onto a column the mirror holds, after a delete that carries only the old key
                    "ALTER TABLE cx DROP CONSTRAINT cx_pkey",
                    "ALTER TABLE cx ADD PRIMARY KEY (id, grp)",
                    "INSERT INTO rk VALUES (4, 'r4')", "UPDATE rk SET v = 'r1b' WHERE rk_id = 1",
                    "INSERT INTO pk2 (id, v) VALUES (1, 'p1 again')", "INSERT INTO ck VALUES (1, 'c1 us', 'us')",
                    "INSERT INTO cx VALUES (1, 11, 'x1 in 11')", "INSERT INTO other VALUES (3, 'o3')");

            // ---- second run: the four key changes stop their tables; other streams ----
            try (Catalog catalog = Catalog.open(home); PipelineManager manager = manager(pg, catalog, events)) {
                open.set(catalog);
                manager.loadStored();
                send(manager, NAME, new PipelineCommand.Start());
                await(() -> phase(manager, NAME, rk) == TablePhase.ERRORED && phase(manager, NAME, pk2) == TablePhase.ERRORED
                        && phase(manager, NAME, ck) == TablePhase.ERRORED && phase(manager, NAME, cx) == TablePhase.ERRORED,
                        "rk, pk2, ck and cx stopped");
                db.execute("INSERT INTO other VALUES (4, 'o4')", "INSERT INTO cx VALUES (3, 30, 'x3')",
                        "UPDATE cx SET v = 'x1 in 10' WHERE id = 1 AND grp = 10", "INSERT INTO rk VALUES (5, 'r5')");
                awaitCaughtUp(db, manager, NAME, WAIT);
                assertThat(phase(manager, NAME, other)).isEqualTo(TablePhase.STREAMING);
                assertThat(table(manager, NAME, cx).error()).as("key moved onto a column Snowflake holds")
                        .contains("Stopped table public.cx")
                        .contains("the key now includes column grp, which was not part of it before");
                assertThat(table(manager, NAME, rk).error()).contains("Stopped table public.rk")
                        .contains("key column id was dropped or renamed").contains("rk_id");
                assertThat(table(manager, NAME, pk2).error()).contains("Stopped table public.pk2")
                        .contains("the key now includes column code, which is new");
                assertThat(table(manager, NAME, ck).error()).contains("Stopped table public.ck")
                        .contains("the key now includes column region, which is new");
                for (TableRef t : List.of(rk, pk2, ck, cx)) {
                    assertThat(table(manager, NAME, t).error()).as(t.toString())
                            .contains("Every change written before the key changed was merged into")
                            .contains("on the old key (id): it holds the table as it was just before.");
                    assertThat(events).as("the live path's event for " + t).anyMatch(e ->
                            e.severity() == EngineEvent.Severity.ERROR
                            && e.message().contains("etl-stream pipeline resync " + NAME + " --table " + t));
                }
                Map<String, Object> json = StatusCodec.toMap(manager.status(NAME).orElseThrow());
                assertThat(json.toString()).contains("suggested_action=etl-stream pipeline resync " + NAME
                        + " --table public.rk");
                assertThat(sink.get().stoppedTables()).containsExactlyInAnyOrder(id(rk), id(pk2), id(ck), id(cx));
                sink.get().mergeNow(true);
                assertThat(sfRows("SELECT ID, NOTE FROM OTHER ORDER BY ID")).isEqualTo(db.queryColumn(
                        "SELECT concat_ws('|', id, note) FROM other ORDER BY id"));
                assertThat(sfRows("SELECT ID, GRP, V FROM CX ORDER BY ID, GRP"))
                        .as("merged on id up to the change, nothing on (id, grp)").isEqualTo(cxBefore);
                assertThat(sfRows("SELECT ID, V FROM RK ORDER BY ID")).as("merged on id up to the rename, no more")
                        .isEqualTo(rkBefore);
                assertThat(sfRows("SELECT ID, V FROM PK2 ORDER BY ID")).as("pk2 just before its key changed")
                        .isEqualTo(pk2Before);
                assertThat(sfRows("SELECT ID, V FROM CK ORDER BY ID")).as("ck just before its key changed")
                        .isEqualTo(ckBefore);
                assertThat(keyOf(catalog, pipelineId, cx)).contains(List.of("id"));
                assertThat(keyOf(catalog, pipelineId, rk)).as("a stopped table keeps the key Snowflake was merged on")
                        .contains(List.of("id"));

                // ---- the way out: resync each stopped table; it comes back on its new key ----
                for (TableRef t : List.of(rk, pk2, ck, cx)) {
                    send(manager, NAME, new PipelineCommand.ResyncTable(t));
                    await(() -> phase(manager, NAME, t) == TablePhase.STREAMING && !sink.get().stoppedTables()
                            .contains(id(t)) && ledger.completed().contains(id(t)), t + " copied again");
                }
                db.execute("UPDATE rk SET v = 'r2b' WHERE rk_id = 2", "DELETE FROM rk WHERE rk_id = 3",
                        "INSERT INTO pk2 (id, v) VALUES (2, 'p2 again')", "UPDATE pk2 SET v = 'p1b' WHERE code = 1",
                        "UPDATE ck SET v = 'c1 us b' WHERE id = 1 AND region = 'us'", "INSERT INTO other VALUES (5, 'o5')");
                awaitCaughtUp(db, manager, NAME, WAIT);
                assertMirrorsEqualSource(db, sink.get());
                assertThat(keyOf(catalog, pipelineId, rk)).contains(List.of("rk_id"));
                assertThat(keyOf(catalog, pipelineId, pk2)).contains(List.of("code"));
                assertThat(keyOf(catalog, pipelineId, ck)).contains(List.of("id", "region"));
                assertThat(keyOf(catalog, pipelineId, cx)).contains(List.of("id", "grp"));
                send(manager, NAME, new PipelineCommand.Stop());
                manager.shutdown(Duration.ofSeconds(60));
            }

            // ---- third run, nothing changed at the source: nothing stops, every mirror stays exact ----
            try (Catalog catalog = Catalog.open(home); PipelineManager manager = manager(pg, catalog, events)) {
                open.set(catalog);
                // and a table whose key an earlier build never recorded: taken as the source says, then recorded
                catalog.tables().setKeyColumns(pipelineId, "public", "other", null);
                manager.loadStored();
                send(manager, NAME, new PipelineCommand.Start());
                await(() -> state(manager, NAME) == PipelineState.STREAMING, "streaming after the restart");
                db.execute("INSERT INTO rk VALUES (6, 'r6')", "UPDATE pk2 SET v = 'p2b' WHERE code = 2",
                        "INSERT INTO ck VALUES (2, 'c2 us', 'us')", "DELETE FROM cx WHERE id = 3 AND grp = 30",
                        "UPDATE other SET note = 'o1b' WHERE id = 1");
                awaitCaughtUp(db, manager, NAME, WAIT);
                assertThat(all).allSatisfy(t -> assertThat(phase(manager, NAME, t)).as(t.toString())
                        .isEqualTo(TablePhase.STREAMING));
                assertThat(sink.get().stoppedTables()).isEmpty();
                assertMirrorsEqualSource(db, sink.get());
                assertThat(keyOf(catalog, pipelineId, other)).contains(List.of("id"));
                send(manager, NAME, new PipelineCommand.Stop());
                manager.shutdown(Duration.ofSeconds(60));
            }
            PgSource.removePipeline(conn, NAME);
        }
    }

    private static void assertMirrorsEqualSource(PgDatabase db, SnowflakeSink s) {
        s.mergeNow(true);
        assertThat(sfRows("SELECT RK_ID, V FROM RK ORDER BY RK_ID")).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', rk_id, v) FROM rk ORDER BY rk_id"));
        assertThat(sfRows("SELECT CODE, ID, V FROM PK2 ORDER BY CODE")).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', code, id, v) FROM pk2 ORDER BY code"));
        assertThat(sfRows("SELECT ID, REGION, V FROM CK ORDER BY ID, REGION")).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, region, v) FROM ck ORDER BY id, region"));
        assertThat(sfRows("SELECT ID, GRP, V FROM CX ORDER BY ID, GRP")).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, grp, v) FROM cx ORDER BY id, grp"));
        assertThat(sfRows("SELECT ID, NOTE FROM OTHER ORDER BY ID")).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, note) FROM other ORDER BY id"));
    }

    private static Optional<List<String>> keyOf(Catalog catalog, long pipelineId, TableRef t) {
        return catalog.tables().keyColumns(pipelineId, t.schema(), t.name());
    }

    private static TableId id(TableRef t) {
        return new TableId(t.schema(), t.name());
    }

    private static void await(BooleanSupplier c, String what) throws InterruptedException {
        EmulatedSnowflake.await(c, WAIT, () -> "waiting for " + what);
    }

    private static List<String> sfRows(String sql) {
        SqlResult r = SF.sql(sql, "KEYSTOP");
        List<String> out = new ArrayList<>();
        for (List<String> row : r.rows()) {
            out.add(String.join("|", row.stream().map(v -> v == null ? "null" : v).toList()));
        }
        return out;
    }
}
