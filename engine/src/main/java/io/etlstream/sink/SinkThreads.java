package io.etlstream.sink;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine-wide scheduler every sink runs its background work on (commit polling, mirror MERGEs), so the engine's
 * threads do not grow with the number of pipelines. Its owner (the engine's sink factory) shuts it down after every
 * sink has closed; a sink cancels only its own tasks.
 */
public final class SinkThreads {

    private SinkThreads() {}

    /**
     * {@code limiter.size() + 2} daemon threads: at most {@code size} of them can be inside a SQL statement (the
     * limiter's statement lane), so two are always left for commit polling, which reports durability to PostgreSQL.
     */
    public static ScheduledExecutorService create(FlushLimiter limiter) {
        AtomicInteger n = new AtomicInteger();
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(limiter.size() + 2, r -> {
            Thread t = new Thread(r, "etl-stream-sink-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.setRemoveOnCancelPolicy(true); // a closed sink's periodic tasks do not linger in the queue
        return pool;
    }
}
