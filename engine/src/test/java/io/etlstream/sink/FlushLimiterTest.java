package io.etlstream.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FlushLimiterTest {

    @Test
    void neverMoreThanThePermittedFlushesAtOnce() throws Exception {
        FlushLimiter limiter = new FlushLimiter(2);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                fs.add(pool.submit(() -> limiter.run(() -> {
                    int now = running.incrementAndGet();
                    peak.accumulateAndGet(now, Math::max);
                    Thread.sleep(20);
                    running.decrementAndGet();
                    return now;
                })));
            }
            for (Future<Integer> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(peak.get()).isEqualTo(2);
        assertThat(limiter.available()).isEqualTo(2);
        // 8 threads on 2 permits: some had to wait, and the limiter counted it
        assertThat(limiter.runs()).isEqualTo(16);
        assertThat(limiter.contended()).isPositive();
        assertThat(limiter.waitNanos()).isPositive();
    }

    @Test
    void sdkHandOffsHaveTheirOwnLaneAndItsPeakIsRecorded() throws Exception {
        FlushLimiter limiter = new FlushLimiter(2);
        java.util.concurrent.CountDownLatch inStatements = new java.util.concurrent.CountDownLatch(2);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            // both statement permits held (two long MERGEs) ...
            List<Future<Object>> merges = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                merges.add(pool.submit(() -> limiter.run(() -> {
                    inStatements.countDown();
                    release.await();
                    return null;
                })));
            }
            inStatements.await();
            // ... hand-offs into the SDK still run, at most two at once
            List<Future<Object>> flushes = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                flushes.add(pool.submit(() -> limiter.flush(() -> {
                    Thread.sleep(10);
                    return null;
                })));
            }
            for (Future<Object> f : flushes) {
                f.get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            release.countDown();
            for (Future<Object> f : merges) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(limiter.flushes()).isEqualTo(12);
        assertThat(limiter.peakConcurrentFlushes()).isEqualTo(2);
        assertThat(limiter.flushesContended()).isPositive();
        assertThat(limiter.peakConcurrentStatements()).isEqualTo(2);
        assertThat(limiter.runs()).isEqualTo(2);
    }

    @Test
    void aFailedFlushGivesItsPermitBack() {
        FlushLimiter limiter = new FlushLimiter(1);
        assertThatThrownBy(() -> limiter.run(() -> {
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(limiter.available()).isEqualTo(1);
        assertThatThrownBy(() -> new FlushLimiter(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
