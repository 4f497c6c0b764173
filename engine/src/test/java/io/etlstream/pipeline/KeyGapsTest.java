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
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two ways a key change used to slip past the rule that it stops its table: a key moved onto a column added after the
 * table's copy (the mirror's older rows hold NULL in it; PostgreSQL sends no change for a DEFAULT fill), and a
 * REPLICA IDENTITY FULL table whose first Relation message after a start predates a key column's rename, so the
 * source (which reads the primary key from the catalog as of now) flags no key: that reset the recorded key and the
 * rename then went unseen. Both now stop their table with the resync action, once the changes written before the
 * key change are merged on the old key (the mirror equals the source just before it); a resync brings it back on the
 * new key.
 * Real PostgreSQL, the pipeline actor on the H2 catalog, the real SDK against the emulator; the runtime and pipeline
 * helpers are {@link ManagedPipelines}'.
 */
@ExtendWith(PostgresExtension.class)
class KeyGapsTest {

    static final Duration WAIT = Duration.ofSeconds(90);
    static final String NAME = "keygaps";
    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass("KEYGAPS");

    @TempDir
    Path dir;

    @Test
    void aKeyOnALaterColumnAndAFullTableSeenKeylessStopTheirTable(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE ak (id int PRIMARY KEY, v text)",
                "CREATE TABLE fk (id int PRIMARY KEY, v text)", "ALTER TABLE fk REPLICA IDENTITY FULL",
                "CREATE TABLE other (id int PRIMARY KEY, note text)",
                "INSERT INTO ak VALUES (1, 'a1'), (2, 'a2')", "INSERT INTO fk VALUES (1, 'f1'), (2, 'f2')",
                "INSERT INTO other VALUES (1, 'o1')");
        List<TableRef> all = List.of(TableRef.parse("public.ak"), TableRef.parse("public.fk"),
                TableRef.parse("public.other"));
        TableRef ak = all.get(0);
        TableRef fk = all.get(1);
        TableRef other = all.get(2);
        SnapshotLedger ledger = SnapshotLedger.inMemory(); // stands for the ledger file that outlives the process
        AtomicReference<SnowflakeSink> sink = new AtomicReference<>();
        AtomicReference<Catalog> open = new AtomicReference<>();
        List<EngineEvent> events = new CopyOnWriteArrayList<>();
        Destination d = SF.destination("KEYGAPS");
        EtlHome home = new EtlHome(dir);
        try (PgPassword pw = PgPassword.none();
                SnowflakeDestination dest = SF.open("KEYGAPS")) {
            PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            PgSourceRuntime pg = keyRecordingRuntime(conn, dest, ledger, open, sink);
            long pipelineId;

            // ---- first run: a key moved onto a column added after the copy stops ak while the engine runs ----
            try (Catalog catalog = Catalog.open(home)) {
                open.set(catalog);
                pipelineId = createPipeline(catalog, db, d, NAME, all);
                try (PipelineManager manager = manager(pg, catalog, events)) {
                    startStreaming(manager, NAME, all, WAIT);
                    // code is filled from its DEFAULT without a change: the mirror's rows 1 and 2 hold NULL in it
                    db.execute("ALTER TABLE ak ADD COLUMN code int NOT NULL DEFAULT 7",
                            "INSERT INTO ak VALUES (3, 'a3', 8)");
                    awaitCaughtUp(db, manager, NAME, WAIT);
                    assertThat(phase(manager, NAME, ak)).as("a column added is no key change").isEqualTo(TablePhase.STREAMING);
                    sink.get().mergeNow(true);
                    assertThat(sfRows("SELECT ID, V, CODE FROM AK ORDER BY ID"))
                            .containsExactly("1|a1|null", "2|a2|null", "3|a3|8");
                    // not merged before the key change: the stop merges them on id
                    db.execute("UPDATE ak SET v = 'a2b' WHERE id = 2", "DELETE FROM ak WHERE id = 3",
                            "UPDATE fk SET v = 'f2b' WHERE id = 2");
                    List<String> akBefore = db.queryColumn("SELECT concat_ws('|', id, v) FROM ak ORDER BY id");
                    assertThat(akBefore).containsExactly("1|a1", "2|a2b");
                    db.execute("ALTER TABLE ak DROP CONSTRAINT ak_pkey", "ALTER TABLE ak ADD PRIMARY KEY (id, code)",
                            "UPDATE ak SET v = 'a1b' WHERE id = 1", "INSERT INTO other VALUES (2, 'o2')");
                    await(() -> phase(manager, NAME, ak) == TablePhase.ERRORED, "ak stopped");
                    assertThat(table(manager, NAME, ak).error()).contains("Stopped table public.ak")
                            .contains("the key now includes column code, which was added after the table was copied")
                            .contains("Every change written before the key changed was merged into")
                            .contains("on the old key (id): it holds the table as it was just before.");
                    assertThat(sfRows("SELECT ID, V FROM AK ORDER BY ID")).as("ak just before its key changed")
                            .isEqualTo(akBefore);
                    assertThat(events).anyMatch(e -> e.severity() == EngineEvent.Severity.ERROR
                            && e.message().contains("etl-stream pipeline resync " + NAME + " --table public.ak"));
                    awaitCaughtUp(db, manager, NAME, WAIT);
                    sink.get().mergeNow(true);
                    // before the fix, the update of row 1 arrived as (1, 7) and merged as a fourth row
                    assertThat(sfRows("SELECT ID, V, CODE FROM AK ORDER BY ID")).as("nothing merged on (id, code)")
                            .containsExactly("1|a1|null", "2|a2b|7");
                    assertThat(keyOf(catalog, pipelineId, ak)).contains(List.of("id"));
                    assertThat(keyOf(catalog, pipelineId, fk)).contains(List.of("id"));
                    send(manager, NAME, new PipelineCommand.Stop());
                    manager.shutdown(Duration.ofSeconds(60));
                }
            }

            // ---- while stopped: a change to fk under its old key column, then the key column's rename ----
            db.execute("INSERT INTO fk VALUES (3, 'f3')", "ALTER TABLE fk RENAME COLUMN id TO fk_id",
                    "INSERT INTO fk VALUES (4, 'f4')", "UPDATE fk SET v = 'f1b' WHERE fk_id = 1");

            // ---- second run: fk's first Relation shows no key (the catalog's key fk_id is not among its columns);
            // that no longer passes for keyless, so fk stops instead of merging on a forgotten key ----
            try (Catalog catalog = Catalog.open(home); PipelineManager manager = manager(pg, catalog, events)) {
                open.set(catalog);
                manager.loadStored();
                send(manager, NAME, new PipelineCommand.Start());
                await(() -> phase(manager, NAME, fk) == TablePhase.ERRORED, "fk stopped");
                assertThat(table(manager, NAME, fk).error()).contains("Stopped table public.fk")
                        .contains("REPLICA IDENTITY FULL").contains("no longer shows its key id")
                        .contains("on the old key (id): it holds the table as it was just before.");
                db.execute("INSERT INTO other VALUES (3, 'o3')");
                awaitCaughtUp(db, manager, NAME, WAIT);
                assertThat(phase(manager, NAME, other)).isEqualTo(TablePhase.STREAMING);
                assertThat(phase(manager, NAME, ak)).as("still stopped from the first run").isEqualTo(TablePhase.ERRORED);
                assertThat(keyOf(catalog, pipelineId, fk)).as("the key Snowflake was merged on stays recorded")
                        .contains(List.of("id"));
                // the first run's update, never merged by it, merged on id before the stop; nothing after it
                assertThat(sfRows("SELECT ID, V FROM FK ORDER BY ID")).containsExactly("1|f1", "2|f2b");
                sink.get().mergeNow(true);
                assertThat(sfRows("SELECT ID, V FROM FK ORDER BY ID")).containsExactly("1|f1", "2|f2b");

                // ---- the way out: a resync brings both back on their new keys ----
                for (TableRef t : List.of(ak, fk)) {
                    send(manager, NAME, new PipelineCommand.ResyncTable(t));
                    await(() -> phase(manager, NAME, t) == TablePhase.STREAMING && !sink.get().stoppedTables()
                            .contains(id(t)) && ledger.completed().contains(id(t)), t + " copied again");
                }
                db.execute("UPDATE ak SET v = 'a2b' WHERE id = 2 AND code = 7", "DELETE FROM ak WHERE id = 3",
                        "UPDATE fk SET v = 'f2b' WHERE fk_id = 2", "DELETE FROM fk WHERE fk_id = 3");
                awaitCaughtUp(db, manager, NAME, WAIT);
                sink.get().mergeNow(true);
                assertThat(sfRows("SELECT ID, CODE, V FROM AK ORDER BY ID")).isEqualTo(db.queryColumn(
                        "SELECT concat_ws('|', id, code, v) FROM ak ORDER BY id"));
                assertThat(sfRows("SELECT FK_ID, V FROM FK ORDER BY FK_ID")).isEqualTo(db.queryColumn(
                        "SELECT concat_ws('|', fk_id, v) FROM fk ORDER BY fk_id"));
                assertThat(keyOf(catalog, pipelineId, ak)).contains(List.of("id", "code"));
                assertThat(keyOf(catalog, pipelineId, fk)).contains(List.of("fk_id"));
                send(manager, NAME, new PipelineCommand.Stop());
                manager.shutdown(Duration.ofSeconds(60));
            }
            PgSource.removePipeline(conn, NAME);
        }
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
        SqlResult r = SF.sql(sql, "KEYGAPS");
        List<String> out = new ArrayList<>();
        for (List<String> row : r.rows()) {
            out.add(String.join("|", row.stream().map(v -> v == null ? "null" : v).toList()));
        }
        return out;
    }
}
