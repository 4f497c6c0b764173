package io.etlstream.pipeline;

import static io.etlstream.pipeline.ControlledRuntime.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.metrics.EngineEvent;
import java.net.ConnectException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PipelineManagerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final ControlledRuntime runtime = new ControlledRuntime();
    private final InMemoryPipelineStore store = new InMemoryPipelineStore();
    private final List<EngineEvent> events = new CopyOnWriteArrayList<>();
    private PipelineManager manager = newManager(Duration.ofSeconds(5));

    private PipelineManager newManager(Duration stopTimeout) {
        return PipelineManager.builder(runtime).store(store).events(events::add)
                .backoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(80), 0.5)).stopTimeout(stopTimeout)
                .build();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static PipelineDefinition def(String name, String... tables) {
        return new PipelineDefinition(name, "src", "dst", List.of(tables).stream().map(TableRef::parse).toList(),
                PipelineSettings.DEFAULTS, false);
    }

    private PipelineStatus send(String p, PipelineCommand c) throws Exception {
        return manager.send(p, c).get(5, TimeUnit.SECONDS);
    }

    private PipelineState state(String p) {
        return manager.status(p).orElseThrow().state();
    }

    @Test
    void walksTheLifecycleFromCreatedToDeleted() throws Exception {
        PipelineStatus created = manager.create(def("orders", "public.orders", "public.items"));
        assertThat(created.state()).isEqualTo(PipelineState.CREATED);
        assertThat(created.tables()).extracting(TableStatus::phase).containsOnly(TablePhase.PENDING_SNAPSHOT);

        PipelineStatus started = send("orders", new PipelineCommand.Start());
        assertThat(started.state()).isEqualTo(PipelineState.SNAPSHOTTING);
        assertThat(started.enabled()).isTrue();
        ControlledRuntime.Runner first = runtime.last("orders");
        assertThat(first.plan.snapshotTables()).containsExactlyInAnyOrder(TableRef.parse("public.orders"),
                TableRef.parse("public.items"));

        first.listener.tableProgress(TableRef.parse("public.orders"), TablePhase.SNAPSHOTTING, 50, 100);
        await("copy progress", WAIT, () -> manager.status("orders").orElseThrow().tables().stream()
                .anyMatch(t -> t.snapshotRowsCopied() == 50));
        first.listener.streaming();
        first.listener.progress(0x1_0000_0010L, 10, 1000, 64, 0.5, 3.0);
        await("streaming", WAIT, () -> manager.status("orders").orElseThrow().lastCommittedLsn() == 0x1_0000_0010L);
        PipelineStatus streaming = manager.status("orders").orElseThrow();
        assertThat(streaming.state()).isEqualTo(PipelineState.STREAMING);
        assertThat(streaming.tables()).extracting(TableStatus::phase).containsOnly(TablePhase.STREAMING);
        assertThat(streaming.lagBytes()).isEqualTo(64);

        PipelineStatus paused = send("orders", new PipelineCommand.Pause(null));
        assertThat(paused.state()).isEqualTo(PipelineState.PAUSED);
        assertThat(first.stopRequested).isTrue();
        assertThat(store.get("orders").paused()).isTrue();

        PipelineStatus resumed = send("orders", new PipelineCommand.Resume());
        assertThat(resumed.state()).isEqualTo(PipelineState.STREAMING);
        ControlledRuntime.Runner second = runtime.last("orders");
        assertThat(second).isNotSameAs(first);
        assertThat(second.plan.snapshotTables()).as("copied tables are not copied again").isEmpty();
        assertThat(second.plan.resumeLsn()).isGreaterThanOrEqualTo(0x1_0000_0010L);

        PipelineStatus stopped = send("orders", new PipelineCommand.Stop());
        assertThat(stopped.state()).isEqualTo(PipelineState.STOPPED);
        assertThat(stopped.enabled()).isFalse();
        assertThat(store.get("orders").definition().enabled()).isFalse();

        PipelineStatus deleted = send("orders", new PipelineCommand.Delete());
        assertThat(deleted.state()).isEqualTo(PipelineState.DELETED);
        assertThat(manager.status("orders")).isEmpty();
        assertThat(store.get("orders")).isNull();
        assertThat(events).filteredOn(e -> e.kind() == EngineEvent.Kind.STATE_CHANGE).extracting(EngineEvent::message)
                .contains("created -> snapshotting", "snapshotting -> streaming", "streaming -> stopping",
                        "stopping -> paused", "paused -> streaming", "stopping -> stopped", "stopped -> deleted");
    }

    @Test
    void illegalCommandsAreRefusedWithAnAnswerThatSaysWhatToDo() {
        manager.create(def("p1", "public.a"));
        assertThatThrownBy(() -> send("p1", new PipelineCommand.Pause(null))).hasCauseInstanceOf(UserFacingException.class)
                .hasMessageContaining("only a running pipeline can be paused");
        assertThatThrownBy(() -> send("p1", new PipelineCommand.Resume())).hasMessageContaining("pipeline start p1");
        assertThatThrownBy(() -> send("p1", new PipelineCommand.RemoveTable(TableRef.parse("public.a"))))
                .hasMessageContaining("delete the pipeline instead");
        assertThatThrownBy(() -> send("nope", new PipelineCommand.Start())).hasMessageContaining("pipeline list");
        assertThatThrownBy(() -> manager.create(def("p1", "public.b"))).isInstanceOf(UserFacingException.class)
                .hasMessageContaining("already exists");
        assertThat(state("p1")).isEqualTo(PipelineState.CREATED);
    }

    @Test
    void theStateMachineRejectsIllegalTransitions() {
        assertThat(PipelineState.CREATED.canMoveTo(PipelineState.SNAPSHOTTING)).isTrue();
        assertThat(PipelineState.STREAMING.canMoveTo(PipelineState.STOPPING)).isTrue();
        assertThat(PipelineState.STOPPING.canMoveTo(PipelineState.PAUSED)).isTrue();
        assertThat(PipelineState.PAUSED.canMoveTo(PipelineState.STREAMING)).isTrue();
        assertThatThrownBy(() -> PipelineState.STOPPED.checkTransition(PipelineState.PAUSED))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> PipelineState.CREATED.checkTransition(PipelineState.FAILED))
                .isInstanceOf(IllegalStateException.class);
        for (PipelineState s : PipelineState.values()) {
            assertThat(PipelineState.DELETED.canMoveTo(s)).isFalse();
        }
    }

    @Test
    void transientFailuresRetryWithBackoffUntilTheSourceComesBack() throws Exception {
        runtime.autoStream = true;
        manager.create(def("flaky", "public.a"));
        send("flaky", new PipelineCommand.Start());
        for (int i = 1; i <= 3; i++) {
            ControlledRuntime.Runner r = runtime.last("flaky");
            await("streaming", WAIT, () -> state("flaky") == PipelineState.STREAMING);
            r.listener.failed(new SQLException("Connection refused", "08001", new ConnectException("refused")));
            long before = runtime.count("flaky");
            // Either still waiting (RETRYING with a next attempt) or already restarted: never FAILED.
            await("retry " + i, WAIT, () -> runtime.count("flaky") > before);
            assertThat(state("flaky")).isNotEqualTo(PipelineState.FAILED);
        }
        await("streaming again", WAIT, () -> state("flaky") == PipelineState.STREAMING);
        PipelineStatus s = manager.status("flaky").orElseThrow();
        assertThat(s.lastError()).isNotNull();
        assertThat(s.lastError().permanent()).isFalse();
        assertThat(events).filteredOn(e -> e.kind() == EngineEvent.Kind.STATE_CHANGE)
                .extracting(EngineEvent::message).anyMatch(m -> m.startsWith("streaming -> retrying (attempt 1 in"));
    }

    @Test
    void aRetryingPipelineShowsWhenItTriesNext() throws Exception {
        PipelineManager slow = PipelineManager.builder(runtime).store(store)
                .backoff(new Backoff(Duration.ofSeconds(30), Duration.ofMinutes(5), 0.0)).build();
        try {
            runtime.autoStream = true;
            slow.create(def("waits", "public.a"));
            slow.send("waits", new PipelineCommand.Start()).get(5, TimeUnit.SECONDS);
            runtime.last("waits").listener.failed(new SQLException("the database system is starting up", "57P03"));
            await("retrying", WAIT, () -> slow.status("waits").orElseThrow().state() == PipelineState.RETRYING);
            PipelineStatus s = slow.status("waits").orElseThrow();
            assertThat(s.nextAttemptAt()).isAfter(java.time.Instant.now().plusSeconds(25));
            assertThat(s.attempt()).isEqualTo(1);
            // Stop cancels the pending retry.
            assertThat(slow.send("waits", new PipelineCommand.Stop()).get(5, TimeUnit.SECONDS).state())
                    .isEqualTo(PipelineState.STOPPED);
            assertThat(slow.status("waits").orElseThrow().nextAttemptAt()).isNull();
        } finally {
            slow.close();
        }
    }

    @Test
    void permanentFailuresStopWithACauseAndDoNotTouchOtherPipelines() throws Exception {
        runtime.autoStream = true;
        manager.create(def("bad", "public.a"));
        manager.create(def("good", "public.b"));
        send("bad", new PipelineCommand.Start());
        send("good", new PipelineCommand.Start());
        runtime.last("bad").listener.failed(new SQLException("password authentication failed for user \"etl\"",
                "28P01"));
        await("failed", WAIT, () -> state("bad") == PipelineState.FAILED);
        PipelineStatus bad = manager.status("bad").orElseThrow();
        assertThat(bad.lastError().permanent()).isTrue();
        assertThat(bad.lastError().suggestedAction()).contains("password");
        assertThat(bad.nextAttemptAt()).isNull();

        assertThat(state("good")).isEqualTo(PipelineState.STREAMING);
        assertThat(send("good", new PipelineCommand.Pause(null)).state()).isEqualTo(PipelineState.PAUSED);
        assertThat(runtime.count("bad")).as("no retry of a permanent failure").isEqualTo(1);
        // The user fixes the password and starts again.
        assertThat(send("bad", new PipelineCommand.Start()).state()).isEqualTo(PipelineState.STREAMING);
        assertThat(manager.status("bad").orElseThrow().lastError()).isNull();
    }

    @Test
    void statusReadsNeverWaitForAPipelineThatIsStuckStopping() throws Exception {
        manager.close();
        manager = newManager(Duration.ofSeconds(3));
        runtime.autoStream = true;
        manager.create(def("stuck", "public.a"));
        manager.create(def("other", "public.b"));
        send("stuck", new PipelineCommand.Start());
        send("other", new PipelineCommand.Start());
        runtime.autoStop = false;
        var stopping = manager.send("stuck", new PipelineCommand.Stop());
        await("stopping", WAIT, () -> state("stuck") == PipelineState.STOPPING);
        var queued = manager.send("stuck", new PipelineCommand.Start());

        long t0 = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            assertThat(manager.statuses()).hasSize(2);
        }
        assertThat((System.nanoTime() - t0) / 1_000_000).as("10k status reads while one pipeline is stuck")
                .isLessThan(2_000);
        runtime.autoStop = true;
        assertThat(send("other", new PipelineCommand.Stop()).state()).isEqualTo(PipelineState.STOPPED);
        assertThat(stopping.isDone()).isFalse();

        // The stuck source is abandoned after the stop timeout; the queued start then runs.
        PipelineStatus stopped = stopping.get(5, TimeUnit.SECONDS);
        assertThat(stopped.state()).isEqualTo(PipelineState.STOPPED);
        assertThat(stopped.lastError().cause()).contains("did not stop within");
        assertThat(queued.get(5, TimeUnit.SECONDS).state()).isEqualTo(PipelineState.STREAMING);
    }

    @Test
    void resyncAndTableChangesRestartTheSourceWithTheRightPlan() throws Exception {
        runtime.autoStream = true;
        manager.create(def("p", "public.a", "public.b"));
        send("p", new PipelineCommand.Start());
        await("streaming", WAIT, () -> state("p") == PipelineState.STREAMING);

        assertThat(send("p", new PipelineCommand.ResyncTable(TableRef.parse("public.b"))).state())
                .isIn(PipelineState.SNAPSHOTTING, PipelineState.STREAMING);
        assertThat(runtime.last("p").plan.snapshotTables()).containsExactly(TableRef.parse("public.b"));
        await("streaming", WAIT, () -> state("p") == PipelineState.STREAMING);

        send("p", new PipelineCommand.AddTable(TableRef.parse("sales.c")));
        assertThat(runtime.last("p").plan.tables()).contains(TableRef.parse("sales.c"));
        assertThat(runtime.last("p").plan.snapshotTables()).containsExactly(TableRef.parse("sales.c"));
        await("streaming", WAIT, () -> state("p") == PipelineState.STREAMING);

        send("p", new PipelineCommand.RemoveTable(TableRef.parse("public.a")));
        assertThat(runtime.last("p").plan.tables()).containsExactlyInAnyOrder(TableRef.parse("public.b"),
                TableRef.parse("sales.c"));
        assertThat(store.get("p").definition().tables()).doesNotContain(TableRef.parse("public.a"));

        PipelineSettings s = PipelineSettings.DEFAULTS.withPriority(7);
        send("p", new PipelineCommand.UpdateSettings(s));
        assertThat(runtime.last("p").plan.definition().settings().priority()).isEqualTo(7);
        assertThatThrownBy(() -> send("p", new PipelineCommand.ResyncTable(TableRef.parse("public.zzz"))))
                .hasMessageContaining("has no table public.zzz");
    }

    @Test
    void shutdownStopsEveryPipelineAndTheNextEngineStartsTheEnabledOnes() throws Exception {
        runtime.autoStream = true;
        for (String n : List.of("a", "b", "c")) {
            manager.create(def(n, "public." + n));
        }
        send("a", new PipelineCommand.Start());
        send("b", new PipelineCommand.Start());
        send("b", new PipelineCommand.Pause("test"));
        assertThat(manager.shutdown(Duration.ofSeconds(5))).isTrue();
        assertThat(manager.statuses()).extracting(PipelineStatus::state)
                .containsExactly(PipelineState.STOPPED, PipelineState.PAUSED, PipelineState.CREATED);
        assertThat(runtime.runners).allMatch(r -> r.stopRequested.get());
        manager.close();

        manager = newManager(Duration.ofSeconds(5));
        manager.loadStored();
        assertThat(manager.startEnabled()).isEqualTo(1);
        await("a streams again", WAIT, () -> state("a") == PipelineState.STREAMING);
        assertThat(state("b")).isEqualTo(PipelineState.PAUSED);
        assertThat(state("c")).isEqualTo(PipelineState.CREATED);
        assertThat(runtime.last("a").plan.snapshotTables()).isEmpty();
        assertThat(runtime.last("a").plan.resumeLsn()).isEqualTo(100);
    }

    @Test
    void aRunnerThatCannotEvenStartIsTreatedAsAFailure() throws Exception {
        PipelineManager m = PipelineManager.builder((plan, l) -> {
            throw PipelineFailure.permanent("table public.a does not exist", "create it");
        }).build();
        try {
            m.create(def("x", "public.a"));
            PipelineStatus s = m.send("x", new PipelineCommand.Start()).get(5, TimeUnit.SECONDS);
            assertThat(s.state()).isEqualTo(PipelineState.FAILED);
            assertThat(s.lastError().suggestedAction()).isEqualTo("create it");
        } finally {
            m.close();
        }
    }

    @Test
    void commandsToManyPipelinesRunConcurrentlyWithConsistentResults() throws Exception {
        runtime.autoStream = true;
        int n = 50;
        for (int i = 0; i < n; i++) {
            manager.create(def("p" + i, "public.t"));
        }
        List<java.util.concurrent.CompletableFuture<PipelineStatus>> fs = new java.util.ArrayList<>();
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < n; i++) {
                fs.add(manager.send("p" + i, round % 2 == 0 ? new PipelineCommand.Start() : new PipelineCommand.Stop()));
            }
        }
        for (var f : fs) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertThat(manager.statuses()).extracting(PipelineStatus::state).containsOnly(PipelineState.STOPPED);
        assertThat(Set.copyOf(manager.statuses().stream().map(PipelineStatus::enabled).toList())).containsOnly(false);
    }

    @Test
    void aPausedPipelineLoadsPausedInTheNextManagerAndIsNotStartedWithTheEnabledOnes() throws Exception {
        runtime.autoStream = true;
        manager.create(def("orders", "public.orders"));
        manager.create(def("items", "public.items"));
        send("orders", new PipelineCommand.Start());
        send("items", new PipelineCommand.Start());
        assertThat(send("orders", new PipelineCommand.Pause(null)).state()).isEqualTo(PipelineState.PAUSED);
        assertThat(store.get("orders").paused()).isTrue();
        assertThat(manager.shutdown(WAIT)).isTrue();
        manager.close();

        manager = newManager(Duration.ofSeconds(5));
        manager.loadStored();
        assertThat(state("orders")).isEqualTo(PipelineState.PAUSED);
        assertThat(manager.startEnabled()).isEqualTo(1);
        await("items streams", WAIT, () -> state("items") == PipelineState.STREAMING);
        assertThat(state("orders")).isEqualTo(PipelineState.PAUSED);

        assertThat(send("orders", new PipelineCommand.Resume()).state()).isIn(PipelineState.STREAMING,
                PipelineState.SNAPSHOTTING);
        assertThat(store.get("orders").paused()).as("resuming is remembered too").isFalse();
    }

    @Test
    void statusesListsEveryPipelineByNameAndDropsDeletedOnes() throws Exception {
        for (String n : List.of("m", "c", "x", "a", "q")) {
            manager.create(def(n, "public.t"));
        }
        assertThat(manager.statuses()).extracting(PipelineStatus::name).containsExactly("a", "c", "m", "q", "x");
        assertThatThrownBy(() -> manager.statuses().add(manager.statuses().get(0)))
                .isInstanceOf(UnsupportedOperationException.class);
        send("m", new PipelineCommand.Delete());
        assertThat(manager.statuses()).extracting(PipelineStatus::name).containsExactly("a", "c", "q", "x");
        manager.create(def("m", "public.t"));
        manager.create(def("b", "public.t"));
        assertThat(manager.statuses()).extracting(PipelineStatus::name).containsExactly("a", "b", "c", "m", "q", "x");
        assertThat(manager.statuses()).extracting(PipelineStatus::state).containsOnly(PipelineState.CREATED);
    }

    @Test
    void unknownPipelinesFailFast() {
        assertThatThrownBy(() -> manager.send("ghost", new PipelineCommand.Stop()).get())
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(UserFacingException.class);
    }
}
