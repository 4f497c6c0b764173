package io.etlstream.pipeline.replay;

import io.etlstream.pipeline.PipelineRuntime;
import io.etlstream.pipeline.RunPlan;
import io.etlstream.pipeline.RunnerListener;
import io.etlstream.pipeline.SourceRunner;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An in-process source that replays a {@link ReplayRecording} in a loop, so benchmarks measure the pipeline
 * manager and not PostgreSQL. Each runner takes {@code framesPerStep} frames every {@code stepMillis} on a shared
 * scheduler (no thread per pipeline), counts row changes and bytes, and confirms the LSN of every Commit message it
 * passed; the LSN keeps growing across loops so confirmed positions stay monotonic.
 */
public final class ReplaySource implements PipelineRuntime {

    private final ReplayRecording recording;
    private final ScheduledExecutorService scheduler;
    private final int framesPerStep;
    private final long stepMillis;
    private final long loopSpan;

    public ReplaySource(ReplayRecording recording, ScheduledExecutorService scheduler, int framesPerStep,
            long stepMillis) {
        this.recording = recording;
        this.scheduler = scheduler;
        this.framesPerStep = framesPerStep;
        this.stepMillis = stepMillis;
        long first = recording.frames().get(0).lsn();
        long last = recording.frames().get(recording.frames().size() - 1).lsn();
        this.loopSpan = Math.max(1, last - first + 1);
    }

    @Override
    public SourceRunner open(RunPlan plan, RunnerListener listener) {
        return new Runner(plan, listener);
    }

    private final class Runner implements SourceRunner {
        private final RunPlan plan;
        private final RunnerListener listener;
        private final AtomicBoolean stopRequested = new AtomicBoolean();
        private final Object stepGuard = new Object();
        private ScheduledFuture<?> task;
        private int position;
        private long loops;
        private long rows;
        private long bytes;
        private long confirmed;

        Runner(RunPlan plan, RunnerListener listener) {
            this.plan = plan;
            this.listener = listener;
            this.confirmed = plan.resumeLsn();
        }

        @Override
        public void start() {
            for (TableRef t : plan.snapshotTables()) {
                listener.tableProgress(t, TablePhase.STREAMING, 0, 0);
            }
            listener.streaming();
            task = scheduler.scheduleWithFixedDelay(this::step, stepMillis, stepMillis, TimeUnit.MILLISECONDS);
        }

        private void step() {
            // Runs on the shared scheduler, one step at a time for this runner; the guard orders it with stop.
            synchronized (stepGuard) {
                if (stopRequested.get()) {
                    return;
                }
                long start = System.nanoTime();
                for (int i = 0; i < framesPerStep; i++) {
                    ReplayRecording.Frame f = recording.frames().get(position);
                    bytes += f.bytes().length;
                    char type = f.type();
                    if (type == 'I' || type == 'U' || type == 'D') {
                        rows++;
                    } else if (type == 'C') {
                        confirmed = Math.max(confirmed, loops * loopSpan + f.lsn());
                    }
                    if (++position == recording.frames().size()) {
                        position = 0;
                        loops++;
                    }
                }
                // The recording is not decoded here, so every row is counted on the plan's first table.
                listener.tableStreamed(plan.tables().get(0), rows, bytes);
                listener.progress(confirmed, rows, bytes, 0, 0, (System.nanoTime() - start) / 1e6);
            }
        }

        @Override
        public void requestStop() {
            if (!stopRequested.compareAndSet(false, true)) {
                return;
            }
            if (task != null) {
                task.cancel(false);
            }
            scheduler.execute(() -> {
                synchronized (stepGuard) {
                    listener.stopped(confirmed);
                }
            });
        }
    }
}
