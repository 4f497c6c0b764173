package io.etlstream.sink;

import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds how much Snowflake work runs at once across every pipeline of the engine, so many pipelines never swamp the
 * warehouse, the CPU or the engine's threads. One instance per engine, shared by all sinks; its size is the engine
 * setting {@code --max-concurrent-flushes} of {@code etl-stream run}. Two lanes of that size each:
 * <ul>
 *   <li>{@link #flush}: the sinks' hand-offs into the Snowpipe Streaming SDK: handing a batch's rows to a channel
 *       ({@code insertRows}, where the SDK validates and buffers them) and closing a channel (the SDK flushes it and
 *       waits until Snowflake has committed every row);</li>
 *   <li>{@link #run}: SQL API statements (mirror MERGEs, DDL).</li>
 * </ul>
 * Separate lanes, so a long MERGE on the warehouse never holds back the stream of rows into the channels.
 */
public final class FlushLimiter {

    /** The engine's default: two at once per lane, one per core of a small server. */
    public static final int DEFAULT_CONCURRENT_FLUSHES = 2;

    private final int size;
    private final Lane statements;
    private final Lane flushes;

    public FlushLimiter(int concurrentFlushes) {
        if (concurrentFlushes < 1) {
            throw new IllegalArgumentException("concurrentFlushes must be >= 1, was " + concurrentFlushes);
        }
        this.size = concurrentFlushes;
        this.statements = new Lane(concurrentFlushes);
        this.flushes = new Lane(concurrentFlushes);
    }

    /** Runs one SQL statement ({@code work}) holding a statement permit; waits for a permit first. */
    public <T> T run(Callable<T> work) throws Exception {
        return statements.run(work);
    }

    /** Runs one hand-off into the SDK ({@code work}) holding a flush permit; waits for a permit first. */
    public <T> T flush(Callable<T> work) throws Exception {
        return flushes.run(work);
    }

    /** Statement permits not in use right now. */
    public int available() {
        return statements.permits.availablePermits();
    }

    public int size() {
        return size;
    }

    /** Statements run under the limiter so far. */
    public long runs() {
        return statements.runs.get();
    }

    /** Statements that had to wait for a permit. */
    public long contended() {
        return statements.contended.get();
    }

    /** Total time statements waited for a permit, in nanoseconds. */
    public long waitNanos() {
        return statements.waitNanos.get();
    }

    /** SDK hand-offs run under the limiter so far. */
    public long flushes() {
        return flushes.runs.get();
    }

    /** SDK hand-offs that had to wait for a permit. */
    public long flushesContended() {
        return flushes.contended.get();
    }

    /** The most SDK hand-offs that were ever in flight at the same moment (never above {@link #size()}). */
    public int peakConcurrentFlushes() {
        return flushes.peak.get();
    }

    /** The most statements that were ever in flight at the same moment (never above {@link #size()}). */
    public int peakConcurrentStatements() {
        return statements.peak.get();
    }

    private static final class Lane {
        final Semaphore permits;
        final AtomicLong runs = new AtomicLong();
        final AtomicLong contended = new AtomicLong();
        final AtomicLong waitNanos = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();

        Lane(int size) {
            this.permits = new Semaphore(size, true);
        }

        <T> T run(Callable<T> work) throws Exception {
            runs.incrementAndGet();
            // tryAcquire(0, unit), unlike tryAcquire(), keeps the semaphore's fairness.
            if (!permits.tryAcquire(0, TimeUnit.NANOSECONDS)) {
                contended.incrementAndGet();
                long t0 = System.nanoTime();
                permits.acquire();
                waitNanos.addAndGet(System.nanoTime() - t0);
            }
            try {
                peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    return work.call();
                } finally {
                    inFlight.decrementAndGet();
                }
            } finally {
                permits.release();
            }
        }
    }
}
