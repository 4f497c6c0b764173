package io.etlstream.sink;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds how many Snowflake SQL statements (mirror MERGEs, DDL) run at once across every pipeline of the engine, so a
 * burst of pipelines does not swamp the warehouse or the engine's threads. One instance per engine, shared by all
 * sinks; its size is the engine setting {@code --max-concurrent-flushes} of {@code etl-stream run}. Channel flushes are
 * not under it: the Snowpipe Streaming client flushes its channels on its own threads.
 */
public final class FlushLimiter {

    /** The engine's default: two statements at once, one per core of a small server. */
    public static final int DEFAULT_CONCURRENT_FLUSHES = 2;

    private final Semaphore permits;
    private final int size;
    private final AtomicLong runs = new AtomicLong();
    private final AtomicLong contended = new AtomicLong();
    private final AtomicLong waitNanos = new AtomicLong();

    public FlushLimiter(int concurrentFlushes) {
        if (concurrentFlushes < 1) {
            throw new IllegalArgumentException("concurrentFlushes must be >= 1, was " + concurrentFlushes);
        }
        this.size = concurrentFlushes;
        this.permits = new Semaphore(concurrentFlushes, true);
    }

    /** Runs {@code work} holding one permit; waits for a permit first. */
    public <T> T run(java.util.concurrent.Callable<T> work) throws Exception {
        runs.incrementAndGet();
        // tryAcquire(0, unit), unlike tryAcquire(), keeps the semaphore's fairness.
        if (!permits.tryAcquire(0, TimeUnit.NANOSECONDS)) {
            contended.incrementAndGet();
            long t0 = System.nanoTime();
            permits.acquire();
            waitNanos.addAndGet(System.nanoTime() - t0);
        }
        try {
            return work.call();
        } finally {
            permits.release();
        }
    }

    /** Permits not in use right now. */
    public int available() {
        return permits.availablePermits();
    }

    public int size() {
        return size;
    }

    /** Statements run under the limiter so far. */
    public long runs() {
        return runs.get();
    }

    /** Statements that had to wait for a permit. */
    public long contended() {
        return contended.get();
    }

    /** Total time statements waited for a permit, in nanoseconds. */
    public long waitNanos() {
        return waitNanos.get();
    }
}
