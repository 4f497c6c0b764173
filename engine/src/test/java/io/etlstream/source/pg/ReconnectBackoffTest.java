package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reconnect schedule without sleeping: doubling, the cap reached and held, jitter, reset once healthy. */
class ReconnectBackoffTest {

    private static final ReconnectBackoff NO_JITTER = new ReconnectBackoff(Duration.ofMillis(50),
            Duration.ofMillis(400), 0, Duration.ofSeconds(10));

    private static List<Long> millis(ReconnectBackoff.Schedule s, int n, Duration streamedFor) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.failed(streamedFor).toMillis());
        }
        return out;
    }

    @Test
    void doublesFromTheInitialDelayUntilTheCapAndHoldsIt() {
        ReconnectBackoff.Schedule s = NO_JITTER.schedule(() -> 0.99);
        assertThat(millis(s, 8, Duration.ZERO)).containsExactly(50L, 100L, 200L, 400L, 400L, 400L, 400L, 400L);
        assertThat(s.failures()).isEqualTo(8);
    }

    @Test
    void aCapThatIsNoPowerOfTwoOfTheInitialIsReachedExactly() {
        ReconnectBackoff b = new ReconnectBackoff(Duration.ofMillis(300), Duration.ofSeconds(1), 0, Duration.ZERO);
        assertThat(millis(b.schedule(() -> 0), 4, Duration.ZERO)).containsExactly(300L, 600L, 1000L, 1000L);
    }

    @Test
    void manyFailuresInARowNeitherOverflowNorDropBelowTheCap() {
        ReconnectBackoff b = new ReconnectBackoff(Duration.ofMillis(500), Duration.ofMinutes(5), 0, Duration.ZERO);
        assertThat(b.ceiling(63)).isEqualTo(Duration.ofMinutes(5));
        assertThat(b.ceiling(10_000)).isEqualTo(Duration.ofMinutes(5));
        assertThat(b.ceiling(Integer.MAX_VALUE)).isEqualTo(Duration.ofMinutes(5));
        assertThat(b.ceiling(0)).as("before any failure: the initial delay").isEqualTo(Duration.ofMillis(500));
        ReconnectBackoff huge = new ReconnectBackoff(Duration.ofDays(1), Duration.ofDays(365 * 100), 0, Duration.ZERO);
        assertThat(huge.ceiling(40)).isEqualTo(Duration.ofDays(365 * 100));
    }

    @Test
    void jitterTakesOffAtMostItsShareAndNeverAddsToTheCeiling() {
        ReconnectBackoff b = new ReconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(800), 0.25, Duration.ZERO);
        assertThat(b.delay(1, 0)).isEqualTo(Duration.ofMillis(100));
        assertThat(b.delay(1, 0.999999)).isGreaterThan(Duration.ofMillis(75))
                .isLessThanOrEqualTo(Duration.ofMillis(100));
        assertThat(b.delay(3, 0.5)).isEqualTo(Duration.ofMillis(350));
        assertThat(b.delay(9, 0.5)).isEqualTo(Duration.ofMillis(700));
        java.util.Random r = new java.util.Random(7);
        ReconnectBackoff.Schedule s = b.schedule(r::nextDouble);
        for (int i = 1; i <= 50; i++) {
            Duration d = s.failed(Duration.ZERO);
            Duration ceiling = b.ceiling(i);
            assertThat(d).isLessThanOrEqualTo(ceiling).isGreaterThanOrEqualTo(ceiling.multipliedBy(3).dividedBy(4));
        }
    }

    @Test
    void aConnectionThatStreamedLongEnoughStartsANewOutageAtTheInitialDelay() {
        ReconnectBackoff.Schedule s = NO_JITTER.schedule(() -> 0);
        assertThat(millis(s, 5, Duration.ZERO)).containsExactly(50L, 100L, 200L, 400L, 400L);
        // It came back but dropped again within the reset period: still the same outage, the cap holds.
        assertThat(s.failed(Duration.ofSeconds(9)).toMillis()).isEqualTo(400L);
        // Healthy for the whole period: the next outage starts from the beginning and doubles again.
        assertThat(s.failed(Duration.ofSeconds(10)).toMillis()).isEqualTo(50L);
        assertThat(millis(s, 4, Duration.ZERO)).containsExactly(100L, 200L, 400L, 400L);
        assertThat(s.failed(Duration.ofMinutes(5)).toMillis()).isEqualTo(50L);
        assertThat(s.failures()).isEqualTo(1);
    }

    @Test
    void withoutAResetPeriodAnyStreamingResetsButANeverEstablishedConnectionDoesNot() {
        ReconnectBackoff zero = new ReconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(40), 0, Duration.ZERO);
        ReconnectBackoff.Schedule s = zero.schedule(() -> 0);
        assertThat(millis(s, 3, Duration.ZERO)).containsExactly(10L, 20L, 40L);
        assertThat(s.failed(Duration.ofNanos(1)).toMillis()).isEqualTo(10L);
    }

    @Test
    void theSourceDefaultsAndOptionsCarryThePolicy() {
        ReconnectBackoff d = PgSource.Options.defaults().backoff();
        assertThat(d).isEqualTo(ReconnectBackoff.DEFAULT);
        assertThat(d.ceiling(1)).isEqualTo(Duration.ofMillis(500));
        assertThat(d.ceiling(100)).isEqualTo(Duration.ofSeconds(30));
        PgSource.Options o = PgSource.Options.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(400));
        assertThat(o.backoff()).isEqualTo(new ReconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(400),
                d.jitter(), d.resetAfter()));
    }

    @Test
    void nonsensicalPoliciesAreRefused() {
        assertThatThrownBy(() -> new ReconnectBackoff(Duration.ZERO, Duration.ofSeconds(1), 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 0,
                Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    }
}
