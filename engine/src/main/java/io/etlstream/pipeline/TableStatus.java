package io.etlstream.pipeline;

/**
 * One table of a pipeline snapshot: its phase, the progress of its initial copy and the rows/bytes streamed for it
 * since the pipeline's runner started. {@code error} is why an {@link TablePhase#ERRORED} table was stopped (null in
 * every other phase); such a table stays stopped, across restarts, until it is resynced.
 */
public record TableStatus(TableRef table, TablePhase phase, long snapshotRowsCopied, long snapshotRowsTotal,
        long rowsStreamed, long bytesStreamed, String error) {

    public TableStatus {
        if (phase != TablePhase.ERRORED) {
            error = null;
        }
    }

    public TableStatus(TableRef table, TablePhase phase, long snapshotRowsCopied, long snapshotRowsTotal,
            long rowsStreamed, long bytesStreamed) {
        this(table, phase, snapshotRowsCopied, snapshotRowsTotal, rowsStreamed, bytesStreamed, null);
    }

    public TableStatus(TableRef table, TablePhase phase, long snapshotRowsCopied, long snapshotRowsTotal) {
        this(table, phase, snapshotRowsCopied, snapshotRowsTotal, 0, 0, null);
    }

    /** Stopped by the sink (a value or schema change the destination cannot take), with the reason the user sees. */
    public static TableStatus stopped(TableRef table, String reason) {
        return new TableStatus(table, TablePhase.ERRORED, 0, 0, 0, 0, reason == null ? "stopped" : reason);
    }

    public TableStatus withPhase(TablePhase p) {
        return new TableStatus(table, p, snapshotRowsCopied, snapshotRowsTotal, rowsStreamed, bytesStreamed, error);
    }

    public TableStatus withStreamed(long rows, long bytes) {
        return new TableStatus(table, phase, snapshotRowsCopied, snapshotRowsTotal, rows, bytes, error);
    }

    /** The command that brings a stopped table back: copies it again, so its data is complete afterwards. */
    public static String resyncCommand(String pipeline, TableRef table) {
        return "etl-stream pipeline resync " + pipeline + " --table " + table;
    }

    /** Copy progress in [0, 1], or -1 when the total is unknown. */
    public double snapshotFraction() {
        if (phase == TablePhase.STREAMING || phase == TablePhase.STREAMING_ONLY) {
            return 1.0;
        }
        return snapshotRowsTotal <= 0 ? -1 : Math.min(1.0, (double) snapshotRowsCopied / snapshotRowsTotal);
    }
}
