package io.etlstream.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** A thread waiting for batch memory keeps running its registered work (the reader's status updates), and only it. */
class BatchMemoryWaitTest {

    @Test
    void aWaitingThreadRunsItsHookUntilRoomIsFreedAndAFailingHookEndsTheWait() throws Exception {
        try (RootAllocator root = new RootAllocator();
                BatchMemory memory = BatchMemory.create(root, "t", 1 << 20, Duration.ofSeconds(30))) {
            ArrowBuf held = memory.allocator().buffer(768 * 1024);
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger otherThreadCalls = new AtomicInteger();
            Thread other = new Thread(() -> {
                try (BatchMemory.Registration r = memory.whileWaiting(otherThreadCalls::incrementAndGet)) {
                    // registered, never waits
                }
            });
            other.start();
            other.join();
            Thread releaser = new Thread(() -> {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
                held.close();
            });
            long t0 = System.nanoTime();
            try (BatchMemory.Registration r = memory.whileWaiting(calls::incrementAndGet)) {
                releaser.start();
                try (ArrowBuf b = memory.allocator().buffer(512 * 1024)) {
                    assertThat(b.capacity()).isGreaterThanOrEqualTo(512 * 1024);
                }
            }
            releaser.join();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
            assertThat(calls.get()).as("the hook ran while the allocation waited").isGreaterThan(5);
            assertThat(otherThreadCalls.get()).isZero();
            assertThat(memory.waits()).isEqualTo(1);

            // A hook that fails (a broken replication connection) ends the wait with its cause.
            ArrowBuf full = memory.allocator().buffer(768 * 1024);
            try (BatchMemory.Registration r = memory.whileWaiting(() -> {
                throw new SQLException("connection closed", "08006");
            })) {
                assertThatThrownBy(() -> memory.allocator().buffer(512 * 1024)).hasRootCauseInstanceOf(SQLException.class);
            } finally {
                full.close();
            }
            // Unregistered: a later wait on this thread runs nothing.
            int before = calls.get();
            ArrowBuf again = memory.allocator().buffer(768 * 1024);
            Thread release = new Thread(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                again.close();
            });
            release.start();
            memory.allocator().buffer(512 * 1024).close();
            release.join();
            assertThat(calls.get()).isEqualTo(before);
        }
    }
}
