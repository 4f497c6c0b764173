package io.etlstream.catalog;

import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Downsampled metric history: one value per (pipeline, table, metric) series and minute, kept for
 * {@link #RETENTION}. The engine aggregates a minute itself and records the result; recording a bucket
 * again replaces its value.
 */
public final class Metrics {

    /** How long minute buckets are kept by {@link #prune(Instant)}. */
    public static final Duration RETENTION = Duration.ofDays(30);

    private final CatalogDb db;

    Metrics(CatalogDb db) {
        this.db = db;
    }

    /** Start of the minute bucket that holds {@code ts}. */
    public static Instant bucketOf(Instant ts) {
        return ts.truncatedTo(ChronoUnit.MINUTES);
    }

    public void record(MetricSample sample) {
        recordAll(List.of(sample));
    }

    /** Stores all samples in one transaction. */
    public void recordAll(List<MetricSample> samples) {
        if (samples.isEmpty()) {
            return;
        }
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("MERGE INTO metric_history (pipeline_id, table_name, metric, "
                    + "bucket_ts, metric_value) KEY (pipeline_id, table_name, metric, bucket_ts) VALUES (?,?,?,?,?)")) {
                for (MetricSample s : samples) {
                    CatalogDb.bind(ps, s.pipelineId(), tableKey(s.tableName()), s.metric(), bucketOf(s.ts()), s.value());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** The series' buckets in {@code [from, to)}, oldest first. {@code tableName} null = pipeline-wide. */
    public List<MetricPoint> query(long pipelineId, String tableName, String metric, Instant from, Instant to) {
        return db.read(c -> CatalogDb.list(c, "SELECT bucket_ts, metric_value FROM metric_history WHERE pipeline_id = ? "
                        + "AND table_name = ? AND metric = ? AND bucket_ts >= ? AND bucket_ts < ? ORDER BY bucket_ts",
                rs -> new MetricPoint(CatalogDb.instant(rs, "bucket_ts"), rs.getDouble("metric_value")),
                pipelineId, tableKey(tableName), metric, from, to));
    }

    /** Metric names recorded for the pipeline (any table), sorted. */
    public List<String> metricNames(long pipelineId) {
        return db.read(c -> CatalogDb.list(c, "SELECT DISTINCT metric FROM metric_history WHERE pipeline_id = ? "
                + "ORDER BY metric", rs -> rs.getString(1), pipelineId));
    }

    /** Deletes buckets older than {@link #RETENTION} before {@code now}; returns how many. */
    public int prune(Instant now) {
        return pruneOlderThan(now.minus(RETENTION));
    }

    /** Deletes buckets that start before {@code cutoff}; returns how many. */
    public int pruneOlderThan(Instant cutoff) {
        return db.inTransaction(c -> CatalogDb.update(c, "DELETE FROM metric_history WHERE bucket_ts < ?", cutoff));
    }

    private static String tableKey(String tableName) {
        return tableName == null ? "" : tableName;
    }
}
