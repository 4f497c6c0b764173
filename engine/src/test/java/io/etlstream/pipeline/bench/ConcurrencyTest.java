package io.etlstream.pipeline.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The short correctness version of {@link ConcurrencyBench}: both designs stay correct under churn. */
class ConcurrencyTest {

    @Test
    void bothDesignsAnswerEveryReadAndCommandUnderChurn() throws Exception {
        List<ConcurrencyRun.Result> results = ConcurrencyBench.compare(100, 100, Duration.ofSeconds(2), 2, 20, 100, 5);
        ConcurrencyBench.print(results);
        for (ConcurrencyRun.Result r : results) {
            assertThat(r.unexpected()).as(r.design() + " unexpected failures").isZero();
            assertThat(r.readsWithWrongCount()).as(r.design() + " reads missing pipelines").isZero();
            assertThat(r.command().count() + r.rejected()).as(r.design() + " commands answered")
                    .isGreaterThanOrEqualTo(100);
            assertThat(r.singleRead().count()).isGreaterThan(1000);
        }
    }
}
