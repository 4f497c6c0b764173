package io.etlstream.pipeline.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.pipeline.Backoff;
import io.etlstream.pipeline.PipelineManager;
import io.etlstream.pipeline.replay.ReplayRecording;
import io.etlstream.pipeline.replay.ReplaySource;
import io.etlstream.source.pg.pgoutput.PgOutputFixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 1,000 pipelines replaying recorded pgoutput bytes (the decoder's fixtures captured from PostgreSQL 17), 100
 * commands/s of churn (a stop takes 5 ms, standing in for flush + confirm + close), status readers at a steady pace:
 * latency of status reads and commands for the actor manager and, in the same run, for the old single read-write-lock
 * registry, after a discarded warm-up of both. Pause/stop commands are split into their phases (until the runner is
 * asked to stop, the runner's own stop, from its report to the answer) to show what the registry adds. Run with
 * {@code ./mvnw -B -o -pl engine test -Pbench -Dtest=ConcurrencyBench}.
 */
@Tag("bench")
class ConcurrencyBench {

    static ReplayRecording recording() {
        List<byte[]> messages = new ArrayList<>();
        messages.addAll(PgOutputFixtures.read(17, "basic"));
        messages.addAll(PgOutputFixtures.read(17, "toast"));
        return ReplayRecording.of(messages);
    }

    /** Runs the actor design then the lock design with the same load; returns both results. */
    static List<ConcurrencyRun.Result> compare(int pipelines, int commandsPerSecond, Duration duration, int readers,
            int messagesPerStep, long stepMillis, long stopMillis) throws Exception {
        ReplayRecording rec = recording();
        List<ConcurrencyRun.Result> results = new ArrayList<>();
        ScheduledExecutorService replay = Executors.newScheduledThreadPool(2);
        try {
            StopTimings timings = new StopTimings(new ReplaySource(rec, replay, messagesPerStep, stepMillis, stopMillis));
            PipelineManager manager = PipelineManager.builder(timings).backoff(Backoff.DEFAULT).build();
            try (Registry actors = Registry.actors(manager)) {
                results.add(ConcurrencyRun.run("actors", actors, pipelines, commandsPerSecond, duration, readers,
                        timings));
            }
        } finally {
            replay.shutdownNow();
        }
        ScheduledExecutorService replay2 = Executors.newScheduledThreadPool(2);
        StopTimings timings2 = new StopTimings(new ReplaySource(rec, replay2, messagesPerStep, stepMillis, stopMillis));
        try (Registry lock = new LockingRegistry(timings2)) {
            results.add(ConcurrencyRun.run("rwlock", lock, pipelines, commandsPerSecond, duration, readers,
                    timings2));
        } finally {
            replay2.shutdownNow();
        }
        return results;
    }

    static void print(List<ConcurrencyRun.Result> results) {
        for (ConcurrencyRun.Result r : results) {
            System.out.println("[bench] " + r.singleRead());
            System.out.println("[bench] " + r.listRead());
            System.out.println("[bench] " + r.command() + "  (refused " + r.rejected() + ", unexpected "
                    + r.unexpected() + ")");
            System.out.println("[bench] " + r.stopCommand());
            System.out.println("[bench] " + r.startCommand());
            System.out.println("[bench] " + r.untilStopAsked());
            System.out.println("[bench] " + r.sourceStop());
            System.out.println("[bench] " + r.afterStopReport());
        }
        ConcurrencyRun.Result a = results.get(0);
        ConcurrencyRun.Result l = results.get(1);
        System.out.printf(java.util.Locale.ROOT, "[bench] status(name) p99: lock/actor = %.1fx; statuses() p99: %.1fx;"
                + " command p99: %.1fx%n", l.singleRead().p99() / a.singleRead().p99(),
                l.listRead().p99() / a.listRead().p99(), l.command().p99() / a.command().p99());
    }

    @Test
    void thousandPipelinesHundredCommandsPerSecond() throws Exception {
        // Warm-up, discarded: without it the first design measured pays for the JIT compiling the decoder, the
        // replay and the registry on the same two cores, and the second one does not.
        List<ConcurrencyRun.Result> warmUp = compare(1000, 100, Duration.ofSeconds(5), 2, 20, 200, 5);
        System.out.println("[bench] warm-up done (discarded): actor command p99 " + warmUp.get(0).command().p99()
                + " us, lock command p99 " + warmUp.get(1).command().p99() + " us");
        // A stop takes 5 ms in both designs: a stand-in for flushing, confirming the LSN and closing the connection.
        List<ConcurrencyRun.Result> results = compare(1000, 100, Duration.ofSeconds(20), 2, 20, 200, 5);
        print(results);
        ConcurrencyRun.Result actors = results.get(0);
        assertThat(actors.unexpected()).isZero();
        assertThat(actors.readsWithWrongCount()).isZero();
        assertThat(actors.command().count()).isGreaterThan(1000);
        assertThat(actors.singleRead().p99()).as("status read p99 in us").isLessThan(1000);
        assertThat(results.get(1).singleRead().p99() / actors.singleRead().p99()).as("lock p99 / actor p99")
                .isGreaterThanOrEqualTo(10);
        assertThat(actors.listRead().p99()).as("statuses() p99 in us").isLessThan(1000);
        assertThat(results.get(1).listRead().p99() / actors.listRead().p99()).as("statuses(): lock p99 / actor p99")
                .isGreaterThanOrEqualTo(10);
    }
}
