package io.etlstream.pipeline;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A serial executor over a shared pool: messages are handled one at a time, in order, each seeing everything
 * the previous one wrote (the {@code scheduled} flag orders them), so the handler's state has exactly one owner at
 * any moment without a lock. Posting never blocks.
 */
final class Mailbox<M> {

    private static final int BATCH = 64;

    private final Queue<M> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Executor pool;
    private final Consumer<M> handler;
    private final Consumer<Throwable> onHandlerFailure;
    private final Runnable afterBatch;

    /** {@code afterBatch} runs on the mailbox's thread after each run of messages (e.g. to publish once). */
    Mailbox(Executor pool, Consumer<M> handler, Consumer<Throwable> onHandlerFailure, Runnable afterBatch) {
        this.pool = pool;
        this.handler = handler;
        this.onHandlerFailure = onHandlerFailure;
        this.afterBatch = afterBatch;
    }

    void post(M message) {
        queue.add(message);
        schedule();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                pool.execute(this::drain);
            } catch (RejectedExecutionException e) {
                scheduled.set(false); // the engine is shutting down its pool; nobody will read the mailbox again
            }
        }
    }

    private void drain() {
        try {
            for (int i = 0; i < BATCH; i++) {
                M m = queue.poll();
                if (m == null) {
                    break;
                }
                try {
                    handler.accept(m);
                } catch (RuntimeException | Error e) {
                    onHandlerFailure.accept(e);
                }
            }
            afterBatch.run();
        } catch (RuntimeException | Error e) {
            onHandlerFailure.accept(e);
        } finally {
            scheduled.set(false);
            // Yield the pool thread after a batch so one busy pipeline cannot starve the others.
            if (!queue.isEmpty()) {
                schedule();
            }
        }
    }
}
