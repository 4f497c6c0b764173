package io.etlstream.pipeline;

/**
 * What a {@link SourceRunner} reports back to its pipeline. Every call just posts a message to the pipeline's
 * mailbox, so it never blocks the runner and may come from any thread.
 */
public interface RunnerListener {

    /** A table's copy started, advanced or finished. */
    void tableProgress(TableRef table, TablePhase phase, long rowsCopied, long rowsTotal);

    /**
     * The sink stopped writing {@code table} (a value or schema change the destination cannot take); {@code reason}
     * says why and what to do. The table stays stopped until it is resynced.
     */
    default void tableStopped(TableRef table, String reason) {
        tableProgress(table, TablePhase.ERRORED, 0, 0);
    }

    /** Every selected table is copied: from now on the runner only streams. */
    void streaming();

    /**
     * Cumulative counters after a batch became durable.
     *
     * @param committedLsn LSN confirmed to PostgreSQL
     * @param lagBytes bytes between the server's current WAL position and {@code committedLsn} (-1 unknown)
     * @param lagSeconds age of the oldest change not yet durable (-1 unknown)
     * @param batchLatencyMillis time from decoding a batch to its durable commit
     */
    void progress(long committedLsn, long rowsTotal, long bytesTotal, long lagBytes, double lagSeconds,
            double batchLatencyMillis);

    /** Cumulative rows and bytes streamed for one table (feeds the per-table rate series). */
    default void tableStreamed(TableRef table, long rowsTotal, long bytesTotal) {
    }

    /**
     * The source lost its connection, or could not make one, and is trying again by itself (reported on every look
     * while it is); {@code nextAttemptAt} null while an attempt is under way; {@code neverConnected}: the source has
     * not reached PostgreSQL since this run started (nothing was lost: the server is not reachable).
     */
    default void sourceReconnecting(int attempt, String lastError, java.time.Instant nextAttemptAt,
            boolean neverConnected) {
    }

    /** The source is connected (again) after {@link #sourceReconnecting}. */
    default void sourceReconnected() {
    }

    /** The runner hit an error and has already released its resources; it will not call {@link #stopped}. */
    void failed(Throwable cause);

    /** The runner finished after {@link SourceRunner#requestStop()}, having confirmed {@code confirmedLsn}. */
    void stopped(long confirmedLsn);
}
