package io.etlstream.catalog;

import java.time.Instant;
import java.util.Objects;

/**
 * One value for a metric series at a moment; stored in the minute bucket containing {@code ts}.
 * {@code tableName} null = the pipeline-wide series.
 */
public record MetricSample(long pipelineId, String tableName, String metric, Instant ts, double value) {
    public MetricSample {
        Names.requireText(metric, "metric name");
        Objects.requireNonNull(ts, "ts");
        if (Double.isNaN(value)) {
            throw new IllegalArgumentException("metric " + metric + " value is NaN");
        }
    }
}
