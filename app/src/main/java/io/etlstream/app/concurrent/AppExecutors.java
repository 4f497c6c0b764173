package io.etlstream.app.concurrent;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Where console work runs: {@code background} for anything that may block (catalog, engine calls),
 * {@code ui} for touching FX state (the FX application thread in the app), and the one handler that
 * receives failures nobody else handled.
 */
public record AppExecutors(Executor background, Executor ui, Thread.UncaughtExceptionHandler unhandled) {

    public AppExecutors {
        Objects.requireNonNull(background, "background");
        Objects.requireNonNull(ui, "ui");
        Objects.requireNonNull(unhandled, "unhandled");
    }

    /** Everything on the calling thread, in order: for deterministic view-model tests. */
    public static AppExecutors currentThread(Thread.UncaughtExceptionHandler unhandled) {
        CurrentThreadExecutor direct = new CurrentThreadExecutor();
        return new AppExecutors(direct, direct, unhandled);
    }

    /** Starts building a background job that runs on these executors. */
    public <T> Jobs.Builder<T> job(Jobs.Work<T> work) {
        return Jobs.create(work, this);
    }
}
