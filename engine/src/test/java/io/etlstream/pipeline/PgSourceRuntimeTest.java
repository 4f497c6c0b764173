package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.metrics.PrometheusText;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.RecordingSink;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The PostgreSQL runtime on a real server: the counts a streaming pipeline reports, and its password after a stop. */
@ExtendWith(PostgresExtension.class)
class PgSourceRuntimeTest {

    @TempDir
    Path dir;

    @Test
    void streamingReportsRowsBytesRatesAndLagAndTheStoppedRunnerZeroesItsPassword(PgDatabase db) throws Exception {
        db.createRole("rt_user", "rt-Secret-1", true);
        db.execute("CREATE TABLE public.rt_orders (id int PRIMARY KEY, note text)",
                "CREATE TABLE public.rt_items (id int PRIMARY KEY, qty int)",
                "ALTER TABLE public.rt_orders OWNER TO rt_user", "ALTER TABLE public.rt_items OWNER TO rt_user",
                "GRANT CREATE ON DATABASE " + db.name() + " TO rt_user");
        PgSourceConfig config = new PgSourceConfig(db.host(), db.port(), db.name(), "rt_user", SslMode.DISABLE, null);
        List<PgPassword> handedOut = new CopyOnWriteArrayList<>();
        PgSourceRuntime runtime = new PgSourceRuntime(new PgSourceRuntime.Parts() {
            @Override
            public PgConnector connector(PipelineDefinition pipeline) {
                char[] pw = "rt-Secret-1".toCharArray();
                PgPassword p = PgPassword.of(pw);
                java.util.Arrays.fill(pw, '\0');
                handedOut.add(p);
                return new PgConnector(config, p);
            }

            @Override
            public ChangeSink sink(PipelineDefinition pipeline) {
                return new RecordingSink(dir.resolve(pipeline.name() + ".rec"));
            }

            @Override
            public SnapshotLedger ledger(PipelineDefinition pipeline) {
                return SnapshotLedger.inFile(dir.resolve(pipeline.name() + ".ledger"));
            }
        }, PgSource.Options.defaults(), Duration.ofMillis(100));

        try (PipelineManager manager = PipelineManager.builder(runtime).build()) {
            manager.create(new PipelineDefinition("rt", "src", "dst",
                    List.of(TableRef.parse("public.rt_orders"), TableRef.parse("public.rt_items")),
                    PipelineSettings.DEFAULTS, false));
            manager.send("rt", new PipelineCommand.Start()).get(30, TimeUnit.SECONDS);
            await(manager, s -> s.state() == PipelineState.STREAMING, "streams");

            // Keep writing for a few seconds so the one-second rates see rows arriving.
            int orders = 0;
            long until = System.nanoTime() + 3_000_000_000L;
            double bestRowsPerSecond = 0;
            double bestBytesPerSecond = 0;
            while (System.nanoTime() < until) {
                StringBuilder sql = new StringBuilder("INSERT INTO public.rt_orders VALUES ");
                for (int i = 0; i < 50; i++) {
                    sql.append(i == 0 ? "" : ",").append("(").append(orders++).append(", 'note ").append(i).append("')");
                }
                db.execute(sql.toString());
                PipelineStatus s = manager.status("rt").orElseThrow();
                bestRowsPerSecond = Math.max(bestRowsPerSecond, s.rowsPerSecond());
                bestBytesPerSecond = Math.max(bestBytesPerSecond, s.bytesPerSecond());
                Thread.sleep(50);
            }
            db.execute("INSERT INTO public.rt_items SELECT g, g * 2 FROM generate_series(1, 7) g");
            int total = orders + 7;
            PipelineStatus s = await(manager, st -> st.rowsTotal() == total
                    && st.tables().stream().allMatch(t -> t.rowsStreamed() > 0), total + " rows counted");
            assertThat(s.bytesTotal()).isPositive();
            assertThat(s.lagSeconds()).isBetween(0.0, 60.0);
            assertThat(s.lagBytes()).isGreaterThanOrEqualTo(0);
            assertThat(s.batchLatencyMillis()).isPositive();
            assertThat(s.tables()).filteredOn(t -> t.table().name().equals("rt_orders"))
                    .extracting(TableStatus::rowsStreamed).containsExactly((long) orders);
            assertThat(s.tables()).filteredOn(t -> t.table().name().equals("rt_items"))
                    .extracting(TableStatus::rowsStreamed).containsExactly(7L);
            for (int i = 0; i < 40 && bestRowsPerSecond == 0; i++) {
                PipelineStatus now = manager.status("rt").orElseThrow();
                bestRowsPerSecond = Math.max(bestRowsPerSecond, now.rowsPerSecond());
                bestBytesPerSecond = Math.max(bestBytesPerSecond, now.bytesPerSecond());
                Thread.sleep(50);
            }
            assertThat(bestRowsPerSecond).as("rows/s while inserting").isPositive();
            assertThat(bestBytesPerSecond).as("bytes/s while inserting").isPositive();

            String prometheus = PrometheusText.render(manager.statuses(), List.of());
            assertThat(prometheus).contains("etl_stream_pipeline_rows_total{pipeline=\"rt\"} " + total)
                    .containsPattern("etl_stream_pipeline_bytes_total\\{pipeline=\"rt\"\\} [1-9]")
                    .containsPattern("etl_stream_pipeline_lag_seconds\\{pipeline=\"rt\"\\} [0-9]");

            assertThat(handedOut).isNotEmpty();
            char[] live = handedOut.get(handedOut.size() - 1).copy();
            assertThat(new String(live)).isEqualTo("rt-Secret-1"); // while it runs, the connector needs it
            java.util.Arrays.fill(live, '\0');

            PipelineStatus stopped = manager.send("rt", new PipelineCommand.Stop()).get(60, TimeUnit.SECONDS);
            assertThat(stopped.state()).isEqualTo(PipelineState.STOPPED);
            assertThat(stopped.rowsTotal()).as("the final counts survive the stop").isEqualTo(total);
            assertThat(stopped.rowsPerSecond()).isZero();
            for (PgPassword p : handedOut) {
                char[] after = p.copy();
                assertThat(after).as("password zeroed once the runner stopped").containsOnly('\0');
            }
            manager.shutdown(Duration.ofSeconds(30));
        }
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'etl_stream_rt'");
    }

    private static PipelineStatus await(PipelineManager m, Predicate<PipelineStatus> p, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            PipelineStatus s = m.status("rt").orElseThrow();
            if (p.test(s)) {
                return s;
            }
            assertThat(System.nanoTime()).as(what + "; last status " + s).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
