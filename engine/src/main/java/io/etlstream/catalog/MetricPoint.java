package io.etlstream.catalog;

import java.time.Instant;

/** The stored value of a metric series for the minute starting at {@code bucket}. */
public record MetricPoint(Instant bucket, double value) {
}
