package io.etlstream.sink;

import java.util.concurrent.Semaphore;

/**
 * Bounds how many flushes (mirror MERGEs, channel flushes) run at once across every pipeline of the engine, so a
 * burst of pipelines does not swamp the warehouse or the two cores. One instance per engine, shared by all sinks.
 */
public final class FlushLimiter {
    private final Semaphore permits;
    private final int size;

    public FlushLimiter(int concurrentFlushes) {
        if (concurrentFlushes < 1) {
            throw new IllegalArgumentException("concurrentFlushes must be >= 1");
        }
        this.size = concurrentFlushes;
        this.permits = new Semaphore(concurrentFlushes, true);
    }

    /** Runs {@code work} holding one permit; waits for a permit first. */
    public <T> T run(java.util.concurrent.Callable<T> work) throws Exception {
        permits.acquire();
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
}
