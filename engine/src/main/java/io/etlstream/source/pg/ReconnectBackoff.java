package io.etlstream.source.pg;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * When a source tries PostgreSQL again after a lost or refused connection: {@code initial} after the first failure,
 * doubled after each further one up to {@code max}, less a random part of at most {@code jitter} of it (so sources
 * that lost the same server do not all come back in step); back to {@code initial} once a connection has streamed for
 * {@code resetAfter} (a connection that drops again at once keeps climbing toward {@code max}).
 */
public record ReconnectBackoff(Duration initial, Duration max, double jitter, Duration resetAfter) {

    /** 0.5 s doubling to 30 s, up to a fifth off at random, reset after a minute of streaming. */
    public static final ReconnectBackoff DEFAULT = new ReconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(30),
            0.2, Duration.ofMinutes(1));

    public ReconnectBackoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0 || !(jitter >= 0 && jitter < 1)
                || resetAfter.isNegative()) {
            throw new IllegalArgumentException("reconnect backoff needs 0 < initial <= max, 0 <= jitter < 1 and a"
                    + " non-negative reset period: " + initial + ", " + max + ", " + jitter + ", " + resetAfter);
        }
    }

    /** The same policy with another initial delay and cap. */
    public ReconnectBackoff withDelays(Duration newInitial, Duration newMax) {
        return new ReconnectBackoff(newInitial, newMax, jitter, resetAfter);
    }

    /** The longest wait after the {@code failures}-th failure in a row (from 1): {@code min(max, initial·2^(n-1))}. */
    public Duration ceiling(int failures) {
        long initialNanos = initial.toNanos();
        long maxNanos = max.toNanos();
        int shift = Math.min(Math.max(failures - 1, 0), 62);
        // initial · 2^shift > max, checked without overflowing
        return Duration.ofNanos(initialNanos > (maxNanos >> shift) ? maxNanos
                : Math.min(maxNanos, initialNanos << shift));
    }

    /** The wait after the {@code failures}-th failure in a row, with {@code random} in [0, 1) taking off the jitter. */
    public Duration delay(int failures, double random) {
        long ceiling = ceiling(failures).toNanos();
        return Duration.ofNanos(ceiling - (long) (ceiling * jitter * random));
    }

    /** A fresh schedule (no failure yet) drawing its jitter from {@code random}. */
    Schedule schedule(DoubleSupplier random) {
        return new Schedule(this, random);
    }

    /** The failures in a row of one source; used by its reader thread only. */
    static final class Schedule {
        private final ReconnectBackoff policy;
        private final DoubleSupplier random;
        private int failures;

        private Schedule(ReconnectBackoff policy, DoubleSupplier random) {
            this.policy = policy;
            this.random = random;
        }

        /**
         * A connection was lost or could not be made; {@code streamedFor}: how long it had streamed (zero if it never
         * did). Returns how long to wait before the next attempt.
         */
        Duration failed(Duration streamedFor) {
            if (streamedFor.compareTo(policy.resetAfter()) >= 0 && !streamedFor.isZero()) {
                failures = 0; // it was healthy for a while: this is a new outage, not the same one going on
            }
            if (failures < Integer.MAX_VALUE) {
                failures++;
            }
            return policy.delay(failures, random.getAsDouble());
        }

        /** Failures in a row so far. */
        int failures() {
            return failures;
        }
    }
}
