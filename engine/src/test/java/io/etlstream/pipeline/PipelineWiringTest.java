package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.RecordingSink;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline settings and table commands reach the PostgreSQL source: remove-table takes the table out of the
 * publication and out of what is delivered (also changes already in the WAL), {@code snapshot = no} streams without
 * copying existing rows, and parallelism sets the number of snapshot connections.
 */
@ExtendWith(PostgresExtension.class)
class PipelineWiringTest {

    @TempDir
    Path dir;

    private PgSourceRuntime runtime(PgDatabase db, PgPassword pw, ReplicationNames names, List<String> announced) {
        PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                SslMode.DISABLE, null), pw);
        return new PgSourceRuntime(new PgSourceRuntime.Parts() {
            @Override
            public PgConnector connector(PipelineDefinition p) {
                return conn;
            }

            @Override
            public ChangeSink sink(PipelineDefinition p) {
                RecordingSink rec = new RecordingSink(dir.resolve(p.name() + ".rec"));
                return new ChangeSink() { // records which tables the sink was told to create
                    @Override
                    public void open(Durability d) throws Exception {
                        rec.open(d);
                    }

                    @Override
                    public void accept(io.etlstream.batch.ChangeEvent e) throws Exception {
                        rec.accept(e);
                    }

                    @Override
                    public void snapshotStarting(io.etlstream.batch.TableSchema schema, long consistentPoint) {
                        announced.add(schema.table().toString());
                    }

                    @Override
                    public void snapshotCompleted(TableId table) throws Exception {
                        rec.snapshotCompleted(table);
                    }

                    @Override
                    public void close() throws Exception {
                        rec.close();
                    }
                };
            }

            @Override
            public SnapshotLedger ledger(PipelineDefinition p) {
                return SnapshotLedger.inFile(dir.resolve(p.name() + ".ledger"));
            }

            @Override
            public ReplicationNames names(PipelineDefinition p) {
                return names;
            }
        }, PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1)).withHeartbeatInterval(Duration.ZERO)
                .withStopTimeout(Duration.ofSeconds(20)), Duration.ofMillis(100));
    }

    @Test
    void removeTableLeavesThePublicationAndItsChangesStopEvenThoseAlreadyInTheWal(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE rm_a (id int PRIMARY KEY)", "CREATE TABLE rm_b (id int PRIMARY KEY)",
                "CREATE TABLE rm_c (id int PRIMARY KEY)", "INSERT INTO rm_a VALUES (1)", "INSERT INTO rm_b VALUES (1)",
                "INSERT INTO rm_c VALUES (1)");
        ReplicationNames names = new ReplicationNames("etl_stream_t1_rm", "etl_stream_t1_rm");
        List<EngineEvent> events = new CopyOnWriteArrayList<>();
        Path rec = dir.resolve("rm.rec");
        TableRef a = TableRef.parse("public.rm_a");
        TableRef b = TableRef.parse("public.rm_b");
        TableRef c = TableRef.parse("public.rm_c");
        try (PgPassword pw = PgPassword.none();
                PipelineManager manager = PipelineManager.builder(runtime(db, pw, names, new CopyOnWriteArrayList<>()))
                        .events(events::add).stopTimeout(Duration.ofSeconds(60)).build()) {
            SlotManager slots = new SlotManager(new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(),
                    "postgres", SslMode.DISABLE, null), pw), names);
            manager.create(new PipelineDefinition("rm", "src", "dst", List.of(a, b, c), PipelineSettings.DEFAULTS,
                    false));
            send(manager, new PipelineCommand.Start());
            await(() -> has(rec, "rm_a", "1") && has(rec, "rm_b", "1") && has(rec, "rm_c", "1")
                    && state(manager) == PipelineState.STREAMING, "the copy of three tables");

            // Stopped: rm_b's change is in the WAL, behind the slot's position, before rm_b is removed.
            send(manager, new PipelineCommand.Stop());
            db.execute("INSERT INTO rm_b VALUES (100)", "INSERT INTO rm_a VALUES (100)");
            PipelineStatus s = send(manager, new PipelineCommand.RemoveTable(b));
            assertThat(s.tables()).extracting(TableStatus::table).containsExactly(a, c);
            assertThat(events).extracting(EngineEvent::message).anyMatch(m -> m.contains("table public.rm_b removed")
                    && m.contains("destination tables stay"));
            send(manager, new PipelineCommand.Start());
            await(() -> has(rec, "rm_a", "100"), "rm_a's change after the restart");
            assertThat(has(rec, "rm_b", "100")).as("rm_b's change written before its removal").isFalse();
            assertThat(slots.publishedTables()).containsExactlyInAnyOrder(new TableId("public", "rm_a"),
                    new TableId("public", "rm_c"));

            // Live: removed while streaming.
            db.execute("INSERT INTO rm_c VALUES (100)");
            await(() -> has(rec, "rm_c", "100"), "rm_c streams");
            send(manager, new PipelineCommand.RemoveTable(c));
            await(() -> state(manager) == PipelineState.STREAMING, "streaming again");
            db.execute("INSERT INTO rm_c VALUES (101)", "INSERT INTO rm_a VALUES (101)");
            await(() -> has(rec, "rm_a", "101"), "rm_a streams after rm_c's removal");
            assertThat(has(rec, "rm_c", "101")).isFalse();
            assertThat(slots.publishedTables()).containsExactly(new TableId("public", "rm_a"));
            send(manager, new PipelineCommand.Stop());
            slots.dropAll();
        }
    }

    @Test
    void snapshotNoStreamsFromTheSlotsCreationWithoutCopyingAndTheSinkStillCreatesTheTables(PgDatabase db)
            throws Exception {
        db.execute("CREATE TABLE sn_a (id int PRIMARY KEY)", "INSERT INTO sn_a SELECT generate_series(1, 5)");
        ReplicationNames names = new ReplicationNames("etl_stream_t1_sn", "etl_stream_t1_sn");
        List<String> announced = new CopyOnWriteArrayList<>();
        Path rec = dir.resolve("sn.rec");
        TableRef a = TableRef.parse("public.sn_a");
        try (PgPassword pw = PgPassword.none();
                PipelineManager manager = PipelineManager.builder(runtime(db, pw, names, announced))
                        .stopTimeout(Duration.ofSeconds(60)).build()) {
            manager.create(new PipelineDefinition("sn", "src", "dst", List.of(a), new PipelineSettings(
                    PipelineSettings.Mode.MIRROR, Duration.ofSeconds(60), PipelineSettings.Deletes.HARD, false, 2, 0),
                    false));
            send(manager, new PipelineCommand.Start());
            await(() -> state(manager) == PipelineState.STREAMING && !announced.isEmpty(), "streaming");
            db.execute("INSERT INTO sn_a VALUES (100)");
            await(() -> has(rec, "sn_a", "100"), "the change after the slot's creation");
            assertThat(RecordingSink.read(rec)).as("no existing row is copied").hasSize(1);
            assertThat(announced).as("the sink is told of the table (it creates it)").containsExactly("public.sn_a");
            assertThat(manager.statuses().get(0).tables()).extracting(TableStatus::phase)
                    .containsExactly(TablePhase.STREAMING_ONLY);
            send(manager, new PipelineCommand.Stop());
            new SlotManager(new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw), names).dropAll();
        }
    }

    @Test
    void theParallelismIsTheNumberOfSnapshotConnections() {
        PipelineDefinition def = new PipelineDefinition("par", "src", "dst", List.of(TableRef.parse("public.t")),
                PipelineSettings.DEFAULTS, false);
        assertThat(PgSourceRuntime.optionsFor(PgSource.Options.defaults(), def).snapshotConnections()).isEqualTo(4);
        PipelineDefinition one = def.withSettings(new PipelineSettings(PipelineSettings.Mode.MIRROR,
                Duration.ofSeconds(60), PipelineSettings.Deletes.HARD, true, 1, 0));
        assertThat(PgSourceRuntime.optionsFor(PgSource.Options.defaults().withSnapshotConnections(8), one)
                .snapshotConnections()).isEqualTo(1);
    }

    static boolean has(Path rec, String table, String id) {
        return RecordingSink.read(rec).stream().anyMatch(r -> r.table().name().equals(table)
                && id.equals(r.values().get("id")));
    }

    private static PipelineStatus send(PipelineManager m, PipelineCommand c) throws Exception {
        String name = m.statuses().get(0).name();
        return m.send(name, c).get(90, TimeUnit.SECONDS);
    }

    private static PipelineState state(PipelineManager m) {
        return m.statuses().get(0).state();
    }

    static void await(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!c.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
