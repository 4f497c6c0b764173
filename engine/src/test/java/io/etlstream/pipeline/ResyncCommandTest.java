package io.etlstream.pipeline;

import static io.etlstream.testkit.snowflake.EmulatedSnowflake.SOURCE_OPTIONS;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.caughtUpMark;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.connector;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.metrics.EngineEvent;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.source.pg.Lsn;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The resync commands through the pipeline actor and the PostgreSQL runtime, with the real Snowflake sink on the
 * emulator: a table resync runs live (the runner is not restarted, the other table keeps its place), a table the sink
 * stopped shows as errored and runs again after its resync, and a whole-pipeline resync creates a new slot and copies
 * every table again.
 */
@ExtendWith(PostgresExtension.class)
class ResyncCommandTest {

    static final Duration WAIT = Duration.ofSeconds(120);

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass("CMD");

    @Test
    void tableResyncRunsLiveAndAStoppedTableRunsAgainThenTheWholePipelineGetsANewSlot(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE pa (id int PRIMARY KEY, note text)",
                "CREATE TABLE pb (id int PRIMARY KEY, v int, note text)",
                "INSERT INTO pa SELECT g, 'a' || g FROM generate_series(1, 300) g",
                "INSERT INTO pb SELECT g, g, 'b' || g FROM generate_series(1, 2000) g");
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        AtomicInteger opened = new AtomicInteger();
        ConcurrentLinkedQueue<String> sinkEvents = new ConcurrentLinkedQueue<>();
        List<EngineEvent> events = new CopyOnWriteArrayList<>();
        ReplicationNames names = new ReplicationNames("etl_stream_h0me1d_cmdresync", "etl_stream_h0me1d_cmdresync");
        TableRef pa = TableRef.parse("public.pa");
        TableRef pb = TableRef.parse("public.pb");
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open("CMD")) {
            PgConnector conn = connector(db, pw);
            // names: as a catalog pipeline stores them, with a home id, not derived from the name
            EmulatorSinkParts parts = new EmulatorSinkParts(conn, dest, ledger,
                    (l, t, m) -> sinkEvents.add(l + " " + m)).names(names).events(events::add);
            PgSourceRuntime pg = new PgSourceRuntime(parts, SOURCE_OPTIONS.withSnapshotConnections(2),
                    Duration.ofMillis(100));
            PipelineRuntime counting = (plan, listener) -> {
                opened.incrementAndGet();
                return pg.open(plan, listener);
            };
            InMemoryPipelineStore store = new InMemoryPipelineStore();
            try (PipelineManager manager = PipelineManager.builder(counting).store(store).events(events::add)
                    .stopTimeout(Duration.ofSeconds(60)).build()) {
                manager.create(new PipelineDefinition("cmdresync", "src", "emu", List.of(pa, pb),
                        PipelineSettings.DEFAULTS, false));
                send(manager, new PipelineCommand.Start());
                await(() -> phase(manager, pa) == TablePhase.STREAMING && phase(manager, pb) == TablePhase.STREAMING
                        && state(manager) == PipelineState.STREAMING, "both tables streaming");

                // pb: a change the sink cannot apply in place stops it; the status says so.
                db.execute("ALTER TABLE pb ALTER COLUMN v TYPE text USING 'v' || v",
                        "INSERT INTO pb VALUES (3000, 'v3000', 'after alter')", "INSERT INTO pa VALUES (301, 'x')");
                await(() -> phase(manager, pb) == TablePhase.ERRORED, "pb errored");
                assertThat(phase(manager, pa)).isEqualTo(TablePhase.STREAMING);

                PipelineStatus afterCommand = send(manager, new PipelineCommand.ResyncTable(pb));
                assertThat(afterCommand.state()).isEqualTo(PipelineState.STREAMING);
                await(() -> phase(manager, pb) == TablePhase.STREAMING && parts.lastSink().stoppedTables().isEmpty()
                        && ledger.completed().size() == 2, "pb copied again");
                assertThat(opened.get()).as("a table resync does not restart the runner").isEqualTo(1);
                assertThat(state(manager)).isEqualTo(PipelineState.STREAMING);
                db.execute("INSERT INTO pb VALUES (3001, 'v3001', 'after resync')", "DELETE FROM pb WHERE id = 5",
                        "INSERT INTO pa VALUES (302, 'y')");
                awaitCaughtUp(db, manager);
                parts.lastSink().mergeNow(true);
                assertEqual(db, "SELECT ID, V, NOTE FROM PB ORDER BY ID",
                        "SELECT concat_ws('|', id, v, note) FROM pb ORDER BY id");
                assertEqual(db, "SELECT ID, NOTE FROM PA ORDER BY ID",
                        "SELECT concat_ws('|', id, note) FROM pa ORDER BY id");
                assertThat(sfRows("SELECT COUNT(*) FROM PA_HISTORY")).containsExactly("302");
                assertThat(events).extracting(EngineEvent::message)
                        .contains("resync of public.pb requested; the other tables keep streaming");
                assertThat(sinkEvents).anyMatch(e -> e.startsWith("INFO Resync of stopped table public.pb"));

                // The whole pipeline: a restart on a new slot, every table copied again.
                String beforeWhole = db.queryOne("SELECT pg_current_wal_lsn()");
                assertThat(slotCount(db, names.slot())).isEqualTo("1");
                send(manager, new PipelineCommand.ResyncPipeline());
                await(() -> opened.get() == 2 && state(manager) == PipelineState.STREAMING
                        && ledger.completed().size() == 2, "whole pipeline copied again");
                // The stored slot was the one dropped and created again (not one named after the pipeline alone).
                assertThat(events).extracting(EngineEvent::message).anyMatch(m -> m.startsWith(
                        "resync of the whole pipeline: dropped slot " + names.slot() + " and publication "));
                assertThat(slotCount(db, names.slot())).isEqualTo("1");
                assertThat(Lsn.parse(db.queryOne("SELECT confirmed_flush_lsn FROM pg_replication_slots"
                        + " WHERE slot_name = '" + names.slot() + "'"))).isGreaterThanOrEqualTo(Lsn.parse(beforeWhole));
                assertThat(slotCount(db, ReplicationNames.forPipeline("cmdresync").slot())).isEqualTo("0");
                db.execute("INSERT INTO pa VALUES (303, 'z')");
                awaitCaughtUp(db, manager);
                parts.lastSink().mergeNow(true);
                assertEqual(db, "SELECT ID, NOTE FROM PA ORDER BY ID",
                        "SELECT concat_ws('|', id, note) FROM pa ORDER BY id");
                assertEqual(db, "SELECT ID, V, NOTE FROM PB ORDER BY ID",
                        "SELECT concat_ws('|', id, v, note) FROM pb ORDER BY id");
                // history starts again with the new copy: 302 copied rows (one per key) and the one insert after it
                assertThat(sfRows("SELECT COUNT(*) FROM PA_HISTORY")).containsExactly("303");
                assertThat(sfRows("SELECT COUNT(*) FROM PA_HISTORY WHERE _ETL_LSN < "
                        + Long.toUnsignedString(Lsn.parse(beforeWhole)))).containsExactly("0");
                send(manager, new PipelineCommand.Stop());
            }
            PgSource.removePipeline(conn, names);
        }
    }

    private static String slotCount(PgDatabase db, String slot) {
        return db.queryOne("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    }

    private static PipelineStatus send(PipelineManager m, PipelineCommand c) throws Exception {
        return m.send("cmdresync", c).get(90, TimeUnit.SECONDS);
    }

    private static PipelineState state(PipelineManager m) {
        return m.status("cmdresync").orElseThrow().state();
    }

    private static TablePhase phase(PipelineManager m, TableRef t) {
        return m.status("cmdresync").orElseThrow().tables().stream().filter(s -> s.table().equals(t)).findFirst()
                .orElseThrow().phase();
    }

    private static void await(BooleanSupplier c, String what) throws InterruptedException {
        EmulatedSnowflake.await(c, WAIT, () -> "waiting for " + what);
    }

    private static void awaitCaughtUp(PgDatabase db, PipelineManager m) throws InterruptedException {
        long target = caughtUpMark(db);
        await(() -> Long.compareUnsigned(m.status("cmdresync").orElseThrow().lastCommittedLsn(), target) > 0,
                "confirmed past " + Lsn.format(target));
    }

    private static List<String> sfRows(String sql) {
        return SF.joined(sql, "CMD");
    }

    private static void assertEqual(PgDatabase db, String snowflake, String postgres) {
        assertThat(sfRows(snowflake)).isEqualTo(db.queryColumn(postgres));
    }
}
