package io.etlstream.pipeline;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Capped exponential backoff with jitter: attempt n waits {@code min(max, initial · 2^(n-1))}, then a random
 * fraction ({@code jitter}) of that is taken off, so that pipelines failing together do not retry together.
 */
public record Backoff(Duration initial, Duration max, double jitter) {

    public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5), 0.5);

    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0 || jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("bad backoff " + initial + " " + max + " " + jitter);
        }
    }

    /** The delay before attempt {@code attempt} (1-based), with {@code random} in [0, 1). */
    public Duration delay(int attempt, DoubleSupplier random) {
        long initialMs = initial.toMillis();
        long maxMs = max.toMillis();
        int shift = Math.min(Math.max(attempt - 1, 0), 40);
        long base = initialMs > (maxMs >> shift) ? maxMs : Math.min(maxMs, initialMs << shift);
        long off = (long) (base * jitter * random.getAsDouble());
        return Duration.ofMillis(Math.max(1, base - off));
    }
}
