package io.etlstream.pipeline;

import static io.etlstream.testkit.snowflake.EmulatedSnowflake.SOURCE_OPTIONS;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.connector;
import static io.etlstream.pipeline.ManagedPipelines.awaitCaughtUp;
import static io.etlstream.pipeline.ManagedPipelines.createPipeline;
import static io.etlstream.pipeline.ManagedPipelines.manager;
import static io.etlstream.pipeline.ManagedPipelines.phase;
import static io.etlstream.pipeline.ManagedPipelines.send;
import static io.etlstream.pipeline.ManagedPipelines.state;
import static io.etlstream.pipeline.ManagedPipelines.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.TableSelection;
import io.etlstream.emulator.Faults.Endpoint;
import io.etlstream.home.EtlHome;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.pipeline.control.StatusCodec;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table the sink stopped (a value over the column's limit, "stop" policy) stays stopped: through the automatic
 * retry after a fenced channel and through an engine restart, with its reason in the catalog and the status, while
 * the other table keeps streaming and the slot keeps advancing. Only its resync brings it back, complete. Real
 * PostgreSQL, the pipeline actor on the H2 catalog, the real SDK against the emulator.
 */
@ExtendWith(PostgresExtension.class)
class StoppedTableStaysStoppedTest {

    static final Duration WAIT = Duration.ofSeconds(120);
    static final String NAME = "stopkeep";

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass("STOPKEEP");

    @TempDir
    Path dir;

    @Test
    void aStoppedTableStaysStoppedAcrossARetryAndARestartUntilItsResync(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE kg (id int PRIMARY KEY, note text)",
                // unconstrained numeric is NUMBER(38,9) in Snowflake: ten decimals do not fit without rounding
                "CREATE TABLE kv (id int PRIMARY KEY, x numeric)",
                "INSERT INTO kg VALUES (1, 'g1')", "INSERT INTO kv VALUES (1, 1.5)");
        TableRef kg = TableRef.parse("public.kg");
        TableRef kv = TableRef.parse("public.kv");
        SnapshotLedger ledger = SnapshotLedger.inMemory(); // stands for the ledger file that outlives the process
        AtomicInteger runs = new AtomicInteger();
        ConcurrentLinkedQueue<String> sinkEvents = new ConcurrentLinkedQueue<>();
        List<EngineEvent> events = new CopyOnWriteArrayList<>();
        Destination d = SF.destination("STOPKEEP");
        EtlHome home = new EtlHome(dir);
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open("STOPKEEP")) {
            PgConnector conn = connector(db, pw);
            EmulatorSinkParts parts = new EmulatorSinkParts(conn, dest, ledger,
                    (l, t, m) -> sinkEvents.add(l + " " + m));
            PgSourceRuntime pg = new PgSourceRuntime(parts, SOURCE_OPTIONS, Duration.ofMillis(100));
            PipelineRuntime counting = (plan, listener) -> {
                runs.incrementAndGet();
                return pg.open(plan, listener);
            };
            long pipelineId;
            try (Catalog catalog = Catalog.open(home)) {
                pipelineId = createPipeline(catalog, db, d, NAME, List.of(kg, kv));

                // ---- first engine run: kv is stopped by a value over varchar(10); kg goes on ----
                try (PipelineManager manager = manager(counting, catalog, events)) {
                    manager.loadStored();
                    send(manager, NAME, new PipelineCommand.Start());
                    await(() -> phase(manager, NAME, kg) == TablePhase.STREAMING && phase(manager, NAME, kv) == TablePhase.STREAMING
                            && state(manager, NAME) == PipelineState.STREAMING, "both tables streaming");
                    db.execute("INSERT INTO kv VALUES (2, 1.0000000001)", "INSERT INTO kv VALUES (3, 3)",
                            "INSERT INTO kg VALUES (2, 'g2')");
                    await(() -> phase(manager, NAME, kv) == TablePhase.ERRORED, "kv stopped");
                    // The stopped table does not hold the slot back: the confirmed position passes its changes.
                    awaitCaughtUp(db, manager, NAME, WAIT);
                    TableStatus stopped = table(manager, NAME, kv);
                    assertThat(stopped.error()).contains("Stopped table public.kv").contains("public.kv.x")
                            .as("status adds the resync command itself").doesNotContain("etl-stream pipeline resync");
                    assertThat(catalog.tables().find(pipelineId, "public", "kv").orElseThrow())
                            .extracting(TableSelection::phase, TableSelection::error)
                            .containsExactly(io.etlstream.catalog.TablePhase.ERRORED, stopped.error());
                    assertThat(events).anyMatch(e -> e.severity() == EngineEvent.Severity.ERROR
                            && e.message().startsWith("table public.kv stopped")
                            && e.message().contains("etl-stream pipeline resync " + NAME + " --table public.kv"));

                    // A fenced channel: the pipeline retries on its own; kv must not come back with it.
                    int before = runs.get();
                    SF.faults().statusCode(Endpoint.REGISTER_BLOBS, 1, 20);
                    db.execute("INSERT INTO kg VALUES (3, 'g3')");
                    // more changes: the sink reports the invalidated channel when it is next handed one
                    long end = System.nanoTime() + WAIT.toNanos();
                    for (int id = 100; runs.get() == before && System.nanoTime() < end; id++) {
                        db.execute("INSERT INTO kg VALUES (" + id + ", 'poke')");
                        Thread.sleep(300);
                    }
                    await(() -> runs.get() > before && state(manager, NAME) == PipelineState.STREAMING, "retried");
                    assertThat(events).anyMatch(e -> e.message().contains("was invalidated"));
                    db.execute("INSERT INTO kv VALUES (4, 4)", "INSERT INTO kg VALUES (4, 'g4')");
                    awaitCaughtUp(db, manager, NAME, WAIT);
                    assertThat(phase(manager, NAME, kv)).as("kv after the automatic retry").isEqualTo(TablePhase.ERRORED);
                    assertThat(phase(manager, NAME, kg)).isEqualTo(TablePhase.STREAMING);
                    assertThat(parts.lastSink().stoppedTables()).containsExactly(new io.etlstream.batch.TableId("public", "kv"));
                    manager.shutdown(Duration.ofSeconds(60));
                }
            }

            // ---- the engine restarts: kv is still stopped, with its reason; kg streams ----
            try (Catalog catalog = Catalog.open(home); PipelineManager manager = manager(counting, catalog, events)) {
                manager.loadStored();
                TableStatus loaded = table(manager, NAME, kv);
                assertThat(loaded.phase()).isEqualTo(TablePhase.ERRORED);
                assertThat(loaded.error()).contains("Stopped table public.kv");
                Map<String, Object> json = StatusCodec.toMap(manager.status(NAME).orElseThrow());
                assertThat(json.toString()).contains("suggested_action=etl-stream pipeline resync " + NAME
                        + " --table public.kv");
                send(manager, NAME, new PipelineCommand.Start());
                await(() -> state(manager, NAME) == PipelineState.STREAMING, "streaming after the restart");
                db.execute("INSERT INTO kv VALUES (5, 5)", "INSERT INTO kg VALUES (5, 'g5')");
                awaitCaughtUp(db, manager, NAME, WAIT);
                assertThat(phase(manager, NAME, kv)).as("kv after the restart").isEqualTo(TablePhase.ERRORED);
                assertThat(sfRows("SELECT ID FROM KV_HISTORY ORDER BY ID")).as("nothing written after the stop")
                        .containsExactly("1");
                assertThat(sfRows("SELECT ID FROM KG_HISTORY ORDER BY ID")).as("kg: every change once")
                        .isEqualTo(db.queryColumn("SELECT id::text FROM kg ORDER BY kg.id"));
                assertThat(sinkEvents).anyMatch(e -> e.startsWith("WARN Table public.kv stays stopped"));

                // ---- the way out: fix the value, resync the table; its data is complete again ----
                db.execute("UPDATE kv SET x = 2 WHERE id = 2");
                send(manager, NAME, new PipelineCommand.ResyncTable(kv));
                await(() -> phase(manager, NAME, kv) == TablePhase.STREAMING && parts.lastSink().stoppedTables().isEmpty()
                        && ledger.completed().size() == 2, "kv copied again");
                db.execute("INSERT INTO kv VALUES (6, 6.25)", "DELETE FROM kv WHERE id = 3",
                        "INSERT INTO kg VALUES (6, 'g6')");
                awaitCaughtUp(db, manager, NAME, WAIT);
                parts.lastSink().mergeNow(true);
                assertThat(sfRows("SELECT ID, X FROM KV ORDER BY ID")).hasSize(5).isEqualTo(db.queryColumn(
                        "SELECT concat_ws('|', id, to_char(x, 'FM999999990.000000000')) FROM kv ORDER BY id"));
                assertThat(sfRows("SELECT ID, NOTE FROM KG ORDER BY ID")).isEqualTo(db.queryColumn(
                        "SELECT concat_ws('|', id, note) FROM kg ORDER BY id"));
                assertThat(table(manager, NAME, kv).error()).isNull();
                send(manager, NAME, new PipelineCommand.Stop());
                assertThat(catalog.tables().find(pipelineId, "public", "kv").orElseThrow())
                        .extracting(TableSelection::phase, TableSelection::error)
                        .containsExactly(io.etlstream.catalog.TablePhase.READY, null);
            }
            PgSource.removePipeline(conn, NAME);
        }
    }

    private static void await(BooleanSupplier c, String what) throws InterruptedException {
        EmulatedSnowflake.await(c, WAIT, () -> "waiting for " + what);
    }

    private static List<String> sfRows(String sql) {
        return SF.joined(sql, "STOPKEEP");
    }
}
