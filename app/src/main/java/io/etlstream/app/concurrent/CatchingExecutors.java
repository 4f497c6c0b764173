package io.etlstream.app.concurrent;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Executors whose tasks never fail silently: anything a task throws, or a submitted future ends with,
 * goes to one {@link Thread.UncaughtExceptionHandler} (the console's error window).
 */
public final class CatchingExecutors {

    private CatchingExecutors() {}

    /** A pool of daemon threads named {@code name-N} for background jobs; idle threads die after 30 s. */
    public static ThreadPoolExecutor newPool(String name, int maxThreads, Thread.UncaughtExceptionHandler handler) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(maxThreads, maxThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads(name, handler)) {
            @Override
            protected void afterExecute(Runnable r, Throwable t) {
                super.afterExecute(r, t);
                reportFailure(r, t, handler);
            }
        };
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** A single daemon thread for periodic sampling (the snapshot bridge). */
    public static ScheduledThreadPoolExecutor newScheduler(String name, Thread.UncaughtExceptionHandler handler) {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads(name, handler)) {
            @Override
            protected void afterExecute(Runnable r, Throwable t) {
                super.afterExecute(r, t);
                // Periodic futures stay undone while they keep running; only a finished one can carry a failure.
                if (r instanceof Future<?> f && f.isDone()) {
                    reportFailure(r, t, handler);
                }
            }
        };
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return scheduler;
    }

    /**
     * Reports the failure a finished {@link Future} swallowed. A plain task's exception ({@code t != null})
     * is left alone: it ends the worker thread, whose uncaught-exception handler is already {@code handler}.
     */
    private static void reportFailure(Runnable r, Throwable t, Thread.UncaughtExceptionHandler handler) {
        Throwable failure = null;
        if (t == null && r instanceof Future<?> future && future.isDone()) {
            try {
                future.get();
            } catch (CancellationException e) {
                // Cancelling is a decision, not a failure.
            } catch (ExecutionException e) {
                failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure != null) {
            handler.uncaughtException(Thread.currentThread(), failure);
        }
    }

    private static ThreadFactory daemonThreads(String name, Thread.UncaughtExceptionHandler handler) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            thread.setUncaughtExceptionHandler(handler);
            return thread;
        };
    }
}
