package io.etlstream.batch;

import io.etlstream.UserFacingException;
import java.time.Duration;
import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.AllocationOutcome;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A child allocator with a hard byte limit for change batches. When the limit is reached the allocating thread (the
 * replication reader) waits until consumers close batches, so a slow destination slows reading instead of
 * exhausting memory. After {@code maxWait} without room it fails with an explanation. A thread can register what it
 * must keep doing while it waits ({@link #whileWaiting}): the reader keeps sending replication status updates there,
 * so waiting for memory never gets the walsender killed.
 */
public final class BatchMemory implements AutoCloseable {

    private final BufferAllocator allocator;
    private final Listener listener;

    private BatchMemory(BufferAllocator parent, String name, long limitBytes, Duration maxWait) {
        this.listener = new Listener(limitBytes, maxWait);
        this.allocator = parent.newChildAllocator(name, listener, 0, limitBytes);
        listener.allocator = allocator;
    }

    public static BatchMemory create(BufferAllocator parent, String name, long limitBytes, Duration maxWait) {
        return new BatchMemory(parent, name, limitBytes, maxWait);
    }

    public BufferAllocator allocator() {
        return allocator;
    }

    /** Work a thread does while it waits for memory; an exception ends the wait and fails the allocation. */
    @FunctionalInterface
    public interface WhileWaiting {
        void run() throws Exception;
    }

    /**
     * Runs {@code hook} on the calling thread, about every 10 ms, whenever an allocation of that thread waits for room,
     * until the returned registration is closed. Other threads are not affected.
     */
    public Registration whileWaiting(WhileWaiting hook) {
        listener.hooks.set(hook);
        return () -> listener.hooks.remove();
    }

    /** Ends a {@link #whileWaiting} registration. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** How often an allocation had to wait for room: a measure of backpressure. */
    public long waits() {
        return listener.waits.get();
    }

    @Override
    public void close() {
        allocator.close();
    }

    private static final class Listener implements AllocationListener {
        private final long limit;
        private final long maxWaitNanos;
        volatile BufferAllocator allocator;
        final java.util.concurrent.atomic.AtomicLong waits = new java.util.concurrent.atomic.AtomicLong();
        final ThreadLocal<WhileWaiting> hooks = new ThreadLocal<>();

        Listener(long limit, Duration maxWait) {
            this.limit = limit;
            this.maxWaitNanos = maxWait.toNanos();
        }

        @Override
        public synchronized void onRelease(long size) {
            notifyAll();
        }

        @Override
        public boolean onFailedAllocation(long size, AllocationOutcome outcome) {
            if (size > limit) {
                throw new UserFacingException("a single change batch buffer of " + size + " bytes exceeds the batch"
                        + " memory limit of " + limit + " bytes; raise the memory limit or lower the batch size");
            }
            waits.incrementAndGet(); // snapshot workers and the reader wait at once
            WhileWaiting hook = hooks.get();
            long deadline = System.nanoTime() + maxWaitNanos;
            try {
                while (allocator.getAllocatedMemory() + size > limit) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new UserFacingException("change batches have held the whole batch memory ("
                                + limit / (1024 * 1024) + " MiB) for " + Duration.ofNanos(maxWaitNanos).toSeconds()
                                + " s: the destination is not taking batches, or one source transaction buffers more"
                                + " rows than fit. Check the destination, or raise the batch memory limit");
                    }
                    // Releases notify; the timed wait also covers releases that bypass this listener.
                    synchronized (this) {
                        wait(Math.max(1, Math.min(10, left / 1_000_000)));
                    }
                    if (hook != null) {
                        hook.run(); // outside the monitor: it may do I/O
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("while waiting for batch memory: " + e.getMessage(), e);
            }
            return true;
        }
    }
}
