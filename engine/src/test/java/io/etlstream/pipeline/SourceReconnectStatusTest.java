package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.metrics.EngineEvent;
import io.etlstream.pipeline.control.StatusCodec;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.NullSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PostgreSQL goes away under a streaming pipeline: the pipeline keeps running while its source reconnects by itself,
 * its status (and the control socket's JSON) says so with the attempts, the error and the next attempt, and the event
 * log gets one event for the loss and one for the recovery, however many attempts came between.
 */
@ExtendWith(PostgresExtension.class)
class SourceReconnectStatusTest {

    @Test
    void aReconnectingSourceShowsInThePipelineStatusAndTwiceInTheEventLog(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE public.rc_t (id int PRIMARY KEY)");
        PgSourceRuntime runtime = runtime(db);
        List<EngineEvent> events = new CopyOnWriteArrayList<>();
        try (PipelineManager manager = PipelineManager.builder(runtime).events(events::add).build()) {
            manager.create(new PipelineDefinition("rc", "src", "dst", List.of(TableRef.parse("public.rc_t")),
                    PipelineSettings.DEFAULTS, false));
            manager.send("rc", new PipelineCommand.Start()).get(30, TimeUnit.SECONDS);
            await(manager, s -> s.state() == PipelineState.STREAMING, "streams");
            assertThat(manager.status("rc").orElseThrow().sourceReconnect()).isNull();
            try {
                db.cluster().stop();
                PipelineStatus down = await(manager, s -> s.sourceReconnect() != null
                        && s.sourceReconnect().attempt() >= 3 && s.sourceReconnect().nextAttemptAt() != null,
                        "source reconnecting, 3 attempts");
                assertThat(down.state()).as("the pipeline itself keeps running").isEqualTo(PipelineState.STREAMING);
                SourceReconnect r = down.sourceReconnect();
                assertThat(r.neverConnected()).as("it streamed before: the connection was lost").isFalse();
                assertThat(r.lastError()).isNotBlank();
                assertThat(r.nextAttemptAt()).isAfter(r.since());
                Map<String, Object> json = StatusCodec.toMap(down);
                @SuppressWarnings("unchecked")
                Map<String, Object> rj = (Map<String, Object>) json.get("source_reconnecting");
                assertThat(rj).containsEntry("attempt", r.attempt()).containsEntry("last_error", r.lastError())
                        .containsEntry("next_attempt_at", r.nextAttemptAt().toString())
                        .containsEntry("never_connected", false);
                assertThat(StatusCodec.fromMap(json).sourceReconnect()).isEqualTo(r);
            } finally {
                if (!db.cluster().isRunning()) {
                    db.cluster().startAgain();
                }
            }
            PipelineStatus back = await(manager, s -> s.sourceReconnect() == null, "source back");
            assertThat(back.state()).isEqualTo(PipelineState.STREAMING);
            assertThat(StatusCodec.toMap(back)).containsEntry("source_reconnecting", null);
            List<String> lost = events.stream().filter(e -> e.message().startsWith("source connection lost"))
                    .map(EngineEvent::message).toList();
            List<String> recovered = events.stream().filter(e -> e.message().startsWith("source connection is back"))
                    .map(EngineEvent::message).toList();
            assertThat(lost).as("one event for the loss, not one per attempt; all events: " + events).hasSize(1);
            assertThat(recovered).as("one event for the recovery; all events: " + events).hasSize(1);
            assertThat(events.stream().filter(e -> e.message().startsWith("source connection lost")).findFirst()
                    .orElseThrow().severity()).isEqualTo(EngineEvent.Severity.WARNING);
            assertThat(events).noneMatch(e -> e.message().startsWith("source cannot connect"));
            manager.send("rc", new PipelineCommand.Stop()).get(60, TimeUnit.SECONDS);
            manager.shutdown(Duration.ofSeconds(30));
        }
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = 'etl_stream_rc'");
    }

    /**
     * PostgreSQL is down when the pipeline starts: its source never connected, so the status (and its JSON) and the
     * event log say it cannot connect (with the connection error, which says what to check), not that a
     * connection was lost; it keeps trying and, once the server is up, connects and streams.
     */
    @Test
    void aSourceThatNeverConnectedIsNotReachableRatherThanLost(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE public.nc_t (id int PRIMARY KEY)");
        List<EngineEvent> events = new CopyOnWriteArrayList<>();
        try (PipelineManager manager = PipelineManager.builder(runtime(db)).events(events::add).build()) {
            manager.create(new PipelineDefinition("nc", "src", "dst", List.of(TableRef.parse("public.nc_t")),
                    PipelineSettings.DEFAULTS, false));
            PipelineStatus down;
            try {
                db.cluster().stop();
                manager.send("nc", new PipelineCommand.Start()).get(30, TimeUnit.SECONDS);
                down = await(manager, "nc", s -> s.sourceReconnect() != null && s.sourceReconnect().attempt() >= 3
                        && s.sourceReconnect().nextAttemptAt() != null, "source trying, 3 attempts");
                SourceReconnect r = down.sourceReconnect();
                assertThat(r.neverConnected()).isTrue();
                assertThat(r.lastError()).as("the connection error that says what to check")
                        .startsWith("connection to " + db.host() + ":" + db.port() + " was refused: check the port");
                @SuppressWarnings("unchecked")
                Map<String, Object> rj = (Map<String, Object>) StatusCodec.toMap(down).get("source_reconnecting");
                assertThat(rj).containsEntry("never_connected", true);
                assertThat(StatusCodec.fromMap(StatusCodec.toMap(down)).sourceReconnect()).isEqualTo(r);
                List<String> notReachable = events.stream()
                        .filter(e -> e.message().startsWith("source cannot connect to PostgreSQL"))
                        .map(EngineEvent::message).toList();
                assertThat(notReachable).as("all events: " + events).hasSize(1);
                assertThat(notReachable.get(0)).contains("was refused: check the port");
                assertThat(events).as("nothing was lost").noneMatch(e -> e.message().contains("connection lost"));
            } finally {
                if (!db.cluster().isRunning()) {
                    db.cluster().startAgain();
                }
            }
            await(manager, "nc", s -> s.sourceReconnect() == null && s.state() == PipelineState.STREAMING,
                    "source connected, table copied");
            assertThat(events.stream().filter(e -> e.message().startsWith("source connected to PostgreSQL after"))
                    .toList()).as("all events: " + events).hasSize(1);
            assertThat(events).noneMatch(e -> e.message().startsWith("source connection is back"));
            manager.send("nc", new PipelineCommand.Stop()).get(60, TimeUnit.SECONDS);
            manager.shutdown(Duration.ofSeconds(30));
        }
        db.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = 'etl_stream_nc'");
    }

    private static PgSourceRuntime runtime(PgDatabase db) {
        PgSourceConfig config = new PgSourceConfig(db.host(), db.port(), db.name(), "postgres", SslMode.DISABLE, null);
        return new PgSourceRuntime(new PgSourceRuntime.Parts() {
            @Override
            public PgConnector connector(PipelineDefinition pipeline) {
                return new PgConnector(config, PgPassword.none());
            }

            @Override
            public ChangeSink sink(PipelineDefinition pipeline) {
                return new NullSink();
            }

            @Override
            public SnapshotLedger ledger(PipelineDefinition pipeline) {
                return SnapshotLedger.inMemory();
            }
        }, PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(10))
                .withHeartbeatInterval(Duration.ZERO).withBackoff(Duration.ofMillis(200), Duration.ofMillis(500)),
                Duration.ofMillis(100));
    }

    private static PipelineStatus await(PipelineManager m, Predicate<PipelineStatus> p, String what)
            throws InterruptedException {
        return await(m, "rc", p, what);
    }

    private static PipelineStatus await(PipelineManager m, String name, Predicate<PipelineStatus> p, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            PipelineStatus s = m.status(name).orElseThrow();
            if (p.test(s)) {
                return s;
            }
            assertThat(System.nanoTime()).as(what + "; last status " + s).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
