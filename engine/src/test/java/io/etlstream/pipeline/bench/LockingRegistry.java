package io.etlstream.pipeline.bench;

import io.etlstream.UserFacingException;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineRuntime;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.RunPlan;
import io.etlstream.pipeline.RunnerListener;
import io.etlstream.pipeline.SourceRunner;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.pipeline.TableStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The design this project replaces, rebuilt for comparison only: one read-write lock over every running pipeline.
 * Status reads take the read lock and build snapshots while holding it; commands take the write lock and do their
 * work (including waiting for the source to stop) while holding it. Same runners, same commands as the actor design.
 *
 * <p>Generous to the old design: source progress callbacks write volatile fields instead of taking the write lock
 * (taking it deadlocks with a command that waits, under the lock, for a source whose callback waits for the lock).
 */
final class LockingRegistry implements Registry {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, Entry> pipelines = new HashMap<>();
    private final PipelineRuntime runtime;

    LockingRegistry(PipelineRuntime runtime) {
        this.runtime = runtime;
    }

    private static final class Entry {
        final PipelineDefinition def;
        PipelineState state = PipelineState.CREATED;
        SourceRunner runner;
        CountDownLatch stopped;
        volatile long lsn;
        volatile long rows;
        volatile long bytes;
        volatile long version;

        Entry(PipelineDefinition def) {
            this.def = def;
        }
    }

    @Override
    public void create(PipelineDefinition def) {
        lock.writeLock().lock();
        try {
            pipelines.put(def.name(), new Entry(def));
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public PipelineStatus status(String name) {
        lock.readLock().lock();
        try {
            Entry e = pipelines.get(name);
            return e == null ? null : snapshot(e);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public List<PipelineStatus> statuses() {
        lock.readLock().lock();
        try {
            List<PipelineStatus> out = new ArrayList<>(pipelines.size());
            for (Entry e : pipelines.values()) {
                out.add(snapshot(e));
            }
            out.sort(Comparator.comparing(PipelineStatus::name));
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public PipelineStatus command(String name, PipelineCommand command) throws Exception {
        lock.writeLock().lock();
        try {
            Entry e = pipelines.get(name);
            if (e == null) {
                throw new UserFacingException("no pipeline " + name);
            }
            if (command instanceof PipelineCommand.Start || command instanceof PipelineCommand.Resume) {
                if (command instanceof PipelineCommand.Resume && e.state != PipelineState.PAUSED) {
                    throw new UserFacingException("pipeline " + name + " is not paused");
                }
                if (!e.state.isRunning()) {
                    startLocked(e);
                }
            } else if (command instanceof PipelineCommand.Stop || command instanceof PipelineCommand.Pause) {
                if (command instanceof PipelineCommand.Pause && !e.state.isRunning()) {
                    throw new UserFacingException("pipeline " + name + " is not running");
                }
                if (e.state.isRunning()) {
                    e.stopped = new CountDownLatch(1);
                    e.runner.requestStop();
                    // The old design waited for the source to stop while still holding the lock; the runner's
                    // stopped() callback must not need the lock, or this would deadlock.
                    if (!e.stopped.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("stop timed out");
                    }
                    e.runner = null;
                }
                e.state = command instanceof PipelineCommand.Pause ? PipelineState.PAUSED : PipelineState.STOPPED;
            } else {
                throw new UnsupportedOperationException(command.verb());
            }
            e.version++;
            return snapshot(e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void startLocked(Entry e) {
        e.state = PipelineState.STREAMING;
        RunnerListener l = new RunnerListener() {
            @Override
            public void tableProgress(TableRef table, TablePhase phase, long rowsCopied, long rowsTotal) {
            }

            @Override
            public void streaming() {
            }

            @Override
            public void progress(long lsn, long rows, long bytes, long lagB, double lagS, double latency) {
                e.lsn = Math.max(e.lsn, lsn);
                e.rows = rows;
                e.bytes = bytes;
                e.version++;
            }

            @Override
            public void failed(Throwable cause) {
                CountDownLatch s = e.stopped;
                if (s != null) {
                    s.countDown();
                }
            }

            @Override
            public void stopped(long confirmedLsn) {
                CountDownLatch s = e.stopped;
                if (s != null) {
                    s.countDown();
                }
            }
        };
        e.runner = runtime.open(new RunPlan(e.def, e.def.tables(), Set.of(), e.lsn, 0), l);
        e.runner.start();
    }

    private static PipelineStatus snapshot(Entry e) {
        List<TableStatus> tables = new ArrayList<>();
        for (TableRef t : e.def.tables()) {
            tables.add(new TableStatus(t, TablePhase.STREAMING, 0, 0));
        }
        return new PipelineStatus(e.def.name(), e.def.source(), e.def.destination(), e.state, true,
                e.def.settings(), tables, e.lsn, 0, 0, 0, 0, 0, e.rows, e.bytes, 0, null, null, Instant.EPOCH,
                e.version);
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            for (Entry e : pipelines.values()) {
                if (e.runner != null) {
                    e.runner.requestStop();
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
