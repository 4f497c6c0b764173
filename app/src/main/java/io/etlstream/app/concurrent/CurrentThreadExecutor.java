package io.etlstream.app.concurrent;

import java.util.concurrent.Executor;

/** Runs every task at once on the calling thread: makes asynchronous view-model code deterministic in tests. */
public final class CurrentThreadExecutor implements Executor {
    @Override
    public void execute(Runnable command) {
        command.run();
    }
}
