package io.etlstream.pipeline;

import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The small shared pool every pipeline mailbox drains on, with two lanes: routine work (progress reports) queues at
 * the back, while a mailbox holding a command or a runner's stop/failure report is queued at the front. Under load
 * the routine lane can hold a drain for each of a thousand pipelines; a command must not wait behind all of them.
 */
final class ActorPool {

    private final LinkedBlockingDeque<Runnable> queue = new LinkedBlockingDeque<>();
    private final ThreadPoolExecutor executor;

    ActorPool(int threads, ThreadFactory factory) {
        executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, queue, factory);
        // Urgent work goes straight onto the deque's head, which only reaches running workers: start them all now.
        executor.prestartAllCoreThreads();
    }

    void routine(Runnable task) {
        executor.execute(task);
    }

    void urgent(Runnable task) {
        if (executor.isShutdown()) {
            throw new RejectedExecutionException("the pipeline pool is shut down");
        }
        queue.offerFirst(task);
    }

    void shutdown() {
        executor.shutdown();
    }

    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return executor.awaitTermination(timeout, unit);
    }

    void shutdownNow() {
        executor.shutdownNow();
    }
}
