package io.etlstream.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * A runtime whose runners the test drives by hand: it sees every plan, and decides when a runner reports
 * streaming, fails or confirms its stop. Used to pin the actor's state machine, not to stand in for PostgreSQL.
 */
final class ControlledRuntime implements PipelineRuntime {

    final List<Runner> runners = new CopyOnWriteArrayList<>();
    /** When true, a stop request is confirmed at once (on another thread), as a healthy source would. */
    volatile boolean autoStop = true;
    /** When true, a started runner reports streaming at once. */
    volatile boolean autoStream = false;

    @Override
    public SourceRunner open(RunPlan plan, RunnerListener listener) {
        Runner r = new Runner(plan, listener);
        runners.add(r);
        return r;
    }

    Runner last(String pipeline) {
        for (int i = runners.size() - 1; i >= 0; i--) {
            if (runners.get(i).plan.definition().name().equals(pipeline)) {
                return runners.get(i);
            }
        }
        throw new AssertionError("no runner for " + pipeline);
    }

    long count(String pipeline) {
        return runners.stream().filter(r -> r.plan.definition().name().equals(pipeline)).count();
    }

    final class Runner implements SourceRunner {
        final RunPlan plan;
        final RunnerListener listener;
        final AtomicBoolean started = new AtomicBoolean();
        final AtomicBoolean stopRequested = new AtomicBoolean();

        Runner(RunPlan plan, RunnerListener listener) {
            this.plan = plan;
            this.listener = listener;
        }

        @Override
        public void start() {
            started.set(true);
            if (autoStream) {
                listener.streaming();
            }
        }

        @Override
        public void requestStop() {
            stopRequested.set(true);
            if (autoStop) {
                new Thread(() -> listener.stopped(plan.resumeLsn() + 100), "test-stop").start();
            }
        }
    }

    /** Waits for a condition with a deadline instead of sleeping a fixed time. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
