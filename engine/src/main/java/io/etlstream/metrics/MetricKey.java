package io.etlstream.metrics;

import java.util.Objects;

/** Names one time series: a pipeline, optionally one of its tables ({@code schema.table}), and a metric. */
public record MetricKey(String pipeline, String table, String metric) {

    public static final String LAG_BYTES = "lag_bytes";
    public static final String LAG_SECONDS = "lag_seconds";
    public static final String ROWS_PER_SECOND = "rows_per_second";
    public static final String BYTES_PER_SECOND = "bytes_per_second";
    public static final String BATCH_LATENCY_MS = "batch_latency_ms";
    public static final String SNAPSHOT_ROWS = "snapshot_rows";

    public MetricKey {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(metric, "metric");
    }
}
