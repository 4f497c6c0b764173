package io.etlstream.pipeline;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A serial executor over a shared {@link ActorPool}: messages are handled one at a time, in order, each seeing
 * everything the previous one wrote (the {@code running} flag orders them), so the handler's state has exactly one
 * owner at any moment without a lock. Posting never blocks.
 *
 * <p>An urgent message (a command, a runner's stop or failure) also queues a drain at the front of the pool, so it is
 * handled within one drain even when the routine lane is long; two queued drains are harmless, the second one finds
 * the mailbox running or empty and returns.
 */
final class Mailbox<M> {

    private static final int BATCH = 64;

    private final Queue<M> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean routineQueued = new AtomicBoolean();
    private final AtomicBoolean urgentQueued = new AtomicBoolean();
    private final ActorPool pool;
    private final Consumer<M> handler;
    private final Consumer<Throwable> onHandlerFailure;
    private final Runnable afterBatch;

    /** {@code afterBatch} runs on the mailbox's thread after each run of messages (e.g. to publish once). */
    Mailbox(ActorPool pool, Consumer<M> handler, Consumer<Throwable> onHandlerFailure, Runnable afterBatch) {
        this.pool = pool;
        this.handler = handler;
        this.onHandlerFailure = onHandlerFailure;
        this.afterBatch = afterBatch;
    }

    void post(M message) {
        queue.add(message);
        scheduleRoutine();
    }

    void postUrgent(M message) {
        queue.add(message);
        if (urgentQueued.compareAndSet(false, true)) {
            try {
                pool.urgent(this::runUrgent);
            } catch (RejectedExecutionException e) {
                urgentQueued.set(false); // the engine is shutting down its pool; nobody will read the mailbox again
            }
        }
    }

    private void scheduleRoutine() {
        if (routineQueued.compareAndSet(false, true)) {
            try {
                pool.routine(this::runRoutine);
            } catch (RejectedExecutionException e) {
                routineQueued.set(false);
            }
        }
    }

    private void runRoutine() {
        routineQueued.set(false);
        drain();
    }

    private void runUrgent() {
        urgentQueued.set(false);
        drain();
    }

    private void drain() {
        if (!running.compareAndSet(false, true)) {
            return; // another drain is on it; it re-checks the queue when it ends
        }
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
            running.set(false);
            // Yield the pool thread after a batch so one busy pipeline cannot starve the others; a message posted
            // while this drain was ending, whose own drain found it running, is picked up here.
            if (!queue.isEmpty()) {
                scheduleRoutine();
            }
        }
    }
}
