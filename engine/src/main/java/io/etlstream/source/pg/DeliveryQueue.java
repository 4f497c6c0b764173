package io.etlstream.source.pg;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The bounded hand-over from the source's reader (and snapshot workers) to the thread that calls the sink. A full
 * queue makes producers wait, which is how a slow sink slows reading; while waiting, a producer runs a hook (the
 * reader sends replication status updates there).
 */
final class DeliveryQueue {

    /** The copy of a table on the snapshot at {@code consistentPoint} starts: before any of its rows. */
    record SnapshotStart(io.etlstream.batch.TableSchema schema, long consistentPoint) {}

    /** All snapshot rows of a table are in the queue before this marker. */
    record SnapshotDone(TableId table) {}

    /** A copy of a table as of {@code snapshotLsn} begins: its rows come after this marker. */
    record CopyStarting(TableId table, long snapshotLsn) {}

    /** Something a producer does while it waits for room. */
    @FunctionalInterface
    interface WhileWaiting {
        void run() throws Exception;
    }

    private final ArrayBlockingQueue<Object> queue;
    private volatile boolean closed;
    private volatile boolean producersStopped;

    DeliveryQueue(int capacity) {
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    /**
     * Puts an event or marker, waiting for room; throws {@link InterruptedException} once the queue is closed or its
     * producers are stopped.
     */
    void put(Object item, WhileWaiting hook) throws Exception {
        if (producersStopped) {
            throw new InterruptedException("source is stopping");
        }
        while (!queue.offer(item, 50, TimeUnit.MILLISECONDS)) {
            if (closed || producersStopped) {
                throw new InterruptedException("source is stopping");
            }
            if (hook != null) {
                hook.run();
            }
        }
        if (closed) {
            // the consumer is gone: nobody will close what we just queued
            drainAndRelease();
            throw new InterruptedException("source is stopping");
        }
    }

    /** The next item, or null after {@code timeoutMillis}. */
    Object poll(long timeoutMillis) throws InterruptedException {
        return queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    int size() {
        return queue.size();
    }

    /** Stops producers but leaves what is queued for the consumer to drain: the first step of a clean stop. */
    void stopProducers() {
        producersStopped = true;
        // wakes a consumer waiting on an empty queue at once, instead of after its poll timeout
        queue.offer(WAKE_UP);
    }

    /** Put by {@link #stopProducers()} to wake the consumer; carries nothing. */
    static final Object WAKE_UP = new Object();

    /** Stops producers and releases every queued batch. */
    void close() {
        closed = true;
        drainAndRelease();
    }

    private void drainAndRelease() {
        List<Object> rest = new ArrayList<>();
        queue.drainTo(rest);
        for (Object o : rest) {
            if (o instanceof ChangeBatch b) {
                b.close();
            }
        }
    }
}
