package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MailboxTest {

    @Test
    void routineAndUrgentMessagesAreHandledOneAtATimeInPostingOrder() throws Exception {
        ActorPool pool = new ActorPool(4, r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        int producers = 4;
        int perProducer = 20_000;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        int[] lastSeen = new int[producers];
        java.util.Arrays.fill(lastSeen, -1);
        AtomicInteger outOfOrder = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(producers * perProducer);
        // The handler's state (lastSeen) is a plain array: the mailbox is its only guard.
        Mailbox<int[]> box = new Mailbox<>(pool, m -> {
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            if (m[1] != lastSeen[m[0]] + 1) {
                outOfOrder.incrementAndGet();
            }
            lastSeen[m[0]] = m[1];
            inside.decrementAndGet();
            all.countDown();
        }, e -> { }, () -> { });
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int me = p;
            Thread t = new Thread(() -> {
                for (int i = 0; i < perProducer; i++) {
                    if (i % 7 == 0) {
                        box.postUrgent(new int[] {me, i});
                    } else {
                        box.post(new int[] {me, i});
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(all.await(30, TimeUnit.SECONDS)).as("every message handled").isTrue();
        assertThat(overlaps.get()).isZero();
        assertThat(outOfOrder.get()).isZero();
        pool.shutdown();
    }

    @Test
    void anUrgentMessageOvertakesTheRoutineBacklogOfOtherMailboxes() throws Exception {
        ActorPool pool = new ActorPool(1, r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        CountDownLatch gate = new CountDownLatch(1);
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        // Occupy the single worker, then queue routine drains of 50 mailboxes behind it.
        pool.routine(() -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 50; i++) {
            String name = "routine-" + i;
            new Mailbox<String>(pool, order::add, e -> { }, () -> { }).post(name);
        }
        CountDownLatch urgentDone = new CountDownLatch(1);
        new Mailbox<String>(pool, m -> {
            order.add(m);
            urgentDone.countDown();
        }, e -> { }, () -> { }).postUrgent("command");
        gate.countDown();
        assertThat(urgentDone.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(order.get(0)).isEqualTo("command");
        pool.shutdown();
    }
}
