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
    void aFailedFlushGivesItsPermitBack() {
        FlushLimiter limiter = new FlushLimiter(1);
        assertThatThrownBy(() -> limiter.run(() -> {
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(limiter.available()).isEqualTo(1);
        assertThatThrownBy(() -> new FlushLimiter(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
