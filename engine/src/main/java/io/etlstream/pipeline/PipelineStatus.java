package io.etlstream.pipeline;

import java.time.Instant;
import java.util.List;

/**
 * Immutable snapshot of one pipeline, published atomically by its actor after every change.
 * Readers (console, CLI, metrics) read it without waiting for any command.
 *
 * @param version increases with every published snapshot of this pipeline
 * @param lastCommittedLsn the LSN confirmed to PostgreSQL (0 when none yet)
 * @param nextAttemptAt when a {@link PipelineState#RETRYING} pipeline tries again, else null
 * @param lastError the most recent failure, null when none
 * @param sourceReconnect set while the source is reconnecting to PostgreSQL on its own, else null
 */
public record PipelineStatus(String name, String source, String destination, PipelineState state, boolean enabled,
        PipelineSettings settings, List<TableStatus> tables, long lastCommittedLsn, long lagBytes, double lagSeconds, double rowsPerSecond,
        double bytesPerSecond, double batchLatencyMillis, long rowsTotal, long bytesTotal, int attempt,
        Instant nextAttemptAt, PipelineError lastError, Instant since, long version, SourceReconnect sourceReconnect) {

    public PipelineStatus {
        tables = List.copyOf(tables);
    }

    /** A status whose source is not reconnecting. */
    public PipelineStatus(String name, String source, String destination, PipelineState state, boolean enabled,
            PipelineSettings settings, List<TableStatus> tables, long lastCommittedLsn, long lagBytes,
            double lagSeconds, double rowsPerSecond, double bytesPerSecond, double batchLatencyMillis, long rowsTotal,
            long bytesTotal, int attempt, Instant nextAttemptAt, PipelineError lastError, Instant since, long version) {
        this(name, source, destination, state, enabled, settings, tables, lastCommittedLsn, lagBytes, lagSeconds,
                rowsPerSecond, bytesPerSecond, batchLatencyMillis, rowsTotal, bytesTotal, attempt, nextAttemptAt,
                lastError, since, version, null);
    }

    /** The LSN in PostgreSQL's {@code X/Y} notation. */
    public static String formatLsn(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    public static long parseLsn(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
