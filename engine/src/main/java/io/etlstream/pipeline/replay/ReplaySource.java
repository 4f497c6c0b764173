package io.etlstream.pipeline.replay;

import io.etlstream.pipeline.PipelineRuntime;
import io.etlstream.pipeline.RunPlan;
import io.etlstream.pipeline.RunnerListener;
import io.etlstream.pipeline.SourceRunner;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.source.pg.pgoutput.PgOutputDecoder;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An in-process source that replays a {@link ReplayRecording} in a loop through the real {@link PgOutputDecoder},
 * so benchmarks measure the pipeline manager and not PostgreSQL. Each runner decodes {@code messagesPerStep}
 * messages every {@code stepMillis} on a shared scheduler (no thread per pipeline), counts row changes and bytes, and
 * confirms the end LSN of every commit it passed; LSNs grow by the recording's span per loop.
 */
public final class ReplaySource implements PipelineRuntime {

    private final ReplayRecording recording;
    private final ScheduledExecutorService scheduler;
    private final int messagesPerStep;
    private final long stepMillis;
    private final long stopMillis;

    public ReplaySource(ReplayRecording recording, ScheduledExecutorService scheduler, int messagesPerStep,
            long stepMillis) {
        this(recording, scheduler, messagesPerStep, stepMillis, 0);
    }

    /**
     * @param stopMillis how long a stop takes (a stand-in for flushing, confirming the LSN to PostgreSQL and closing
     *     the replication connection); 0 reports the stop at once
     */
    public ReplaySource(ReplayRecording recording, ScheduledExecutorService scheduler, int messagesPerStep,
            long stepMillis, long stopMillis) {
        this.recording = recording;
        this.scheduler = scheduler;
        this.messagesPerStep = messagesPerStep;
        this.stepMillis = stepMillis;
        this.stopMillis = stopMillis;
    }

    @Override
    public SourceRunner open(RunPlan plan, RunnerListener listener) {
        return new Runner(plan, listener);
    }

    private final class Runner implements SourceRunner {
        private final RunPlan plan;
        private final RunnerListener listener;
        private final PgOutputDecoder decoder = new PgOutputDecoder();
        private final AtomicBoolean stopRequested = new AtomicBoolean();
        private final AtomicBoolean stopReported = new AtomicBoolean();
        private final java.util.concurrent.locks.ReentrantLock stepGuard = new java.util.concurrent.locks.ReentrantLock();
        private volatile ScheduledFuture<?> task;
        private int position;
        private long loops;
        private long rows;
        private long bytes;
        private long confirmed;
        /** Recorded relation id → the pipeline table its rows count against. */
        private final java.util.Map<Integer, TableRef> tableOf = new java.util.HashMap<>();
        /** Recorded table → the pipeline table it counts as. */
        private final java.util.Map<TableRef, TableRef> pipelineTable = new java.util.HashMap<>();
        /** Per table: {rows, bytes}. */
        private final java.util.Map<TableRef, long[]> perTable = new java.util.LinkedHashMap<>();
        private int standIns;

        Runner(RunPlan plan, RunnerListener listener) {
            this.plan = plan;
            this.listener = listener;
            this.confirmed = plan.resumeLsn();
            // Resume where the last run confirmed: skip whole loops already delivered.
            this.loops = Math.max(0, (plan.resumeLsn() - recording.firstLsn()) / recording.span());
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
            // Steps of one runner never overlap (fixed delay); the guard orders the last step with the stop report.
            stepGuard.lock();
            try {
                if (stopRequested.get()) {
                    return;
                }
                long start = System.nanoTime();
                try {
                    for (int i = 0; i < messagesPerStep; i++) {
                        byte[] m = recording.messages().get(position);
                        bytes += m.length;
                        PgOutputMessage msg = decoder.decode(ByteBuffer.wrap(m));
                        if (msg instanceof PgOutputMessage.Relation r) {
                            // Like a decoder: the latest Relation message for an id is what the id means.
                            tableOf.put(r.relationId(), pipelineTable.computeIfAbsent(
                                    new TableRef(r.namespace(), r.name()), this::tableFor));
                        } else if (msg instanceof PgOutputMessage.Insert ins) {
                            count(ins.relationId(), m.length);
                        } else if (msg instanceof PgOutputMessage.Update up) {
                            count(up.relationId(), m.length);
                        } else if (msg instanceof PgOutputMessage.Delete del) {
                            count(del.relationId(), m.length);
                        } else if (msg instanceof PgOutputMessage.Commit c) {
                            confirmed = Math.max(confirmed, loops * recording.span() + c.endLsn());
                        } else if (msg instanceof PgOutputMessage.StreamCommit c) {
                            confirmed = Math.max(confirmed, loops * recording.span() + c.endLsn());
                        }
                        if (++position == recording.messages().size()) {
                            position = 0;
                            loops++;
                        }
                    }
                } catch (RuntimeException e) {
                    stopRequested.set(true);
                    stopReported.set(true);
                    task.cancel(false);
                    listener.failed(e);
                    return;
                }
                for (java.util.Map.Entry<TableRef, long[]> e : perTable.entrySet()) {
                    listener.tableStreamed(e.getKey(), e.getValue()[0], e.getValue()[1]);
                }
                listener.progress(confirmed, rows, bytes, 0, 0, (System.nanoTime() - start) / 1e6);
            } finally {
                stepGuard.unlock();
            }
            if (stopRequested.get() && stopMillis == 0) {
                reportStopped();
            }
        }

        /**
         * A recorded table the pipeline selected counts as itself; any other recorded table stands in for the
         * pipeline's tables in turn (first recorded table → first pipeline table, and so on), so a recording made on
         * other tables still spreads its rows over the pipeline's tables as they were recorded.
         */
        private TableRef tableFor(TableRef own) {
            if (plan.tables().contains(own)) {
                return own;
            }
            return plan.tables().get(standIns++ % plan.tables().size());
        }

        private void count(int relationId, int messageBytes) {
            rows++;
            TableRef t = tableOf.get(relationId);
            if (t != null) { // a change always follows its Relation message; a recording cut mid-stream may not
                long[] c = perTable.computeIfAbsent(t, k -> new long[2]);
                c[0]++;
                c[1] += messageBytes;
            }
        }

        @Override
        public void requestStop() {
            if (!stopRequested.compareAndSet(false, true)) {
                return;
            }
            ScheduledFuture<?> t = task;
            if (t != null) {
                t.cancel(false);
            }
            // Report at once unless a step is running; that step then reports when it ends. Either way stop does
            // not wait in the shared scheduler's queue behind other runners' steps.
            if (stopMillis > 0) {
                scheduler.schedule(() -> {
                    stepGuard.lock(); // a step still running ends quickly: it sees the stop request
                    try {
                        if (stopReported.compareAndSet(false, true)) {
                            listener.stopped(confirmed);
                        }
                    } finally {
                        stepGuard.unlock();
                    }
                }, stopMillis, TimeUnit.MILLISECONDS);
            } else {
                reportStopped();
            }
        }

        private void reportStopped() {
            if (stepGuard.tryLock()) {
                try {
                    if (stopReported.compareAndSet(false, true)) {
                        listener.stopped(confirmed);
                    }
                } finally {
                    stepGuard.unlock();
                }
            }
        }
    }
}
