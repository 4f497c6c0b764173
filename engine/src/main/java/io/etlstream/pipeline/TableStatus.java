package io.etlstream.pipeline;

/**
 * One table of a pipeline snapshot: its phase, the progress of its initial copy and the rows/bytes streamed for it
 * since the pipeline's runner started.
 */
public record TableStatus(TableRef table, TablePhase phase, long snapshotRowsCopied, long snapshotRowsTotal,
        long rowsStreamed, long bytesStreamed) {

    public TableStatus(TableRef table, TablePhase phase, long snapshotRowsCopied, long snapshotRowsTotal) {
        this(table, phase, snapshotRowsCopied, snapshotRowsTotal, 0, 0);
    }

    public TableStatus withPhase(TablePhase p) {
        return new TableStatus(table, p, snapshotRowsCopied, snapshotRowsTotal, rowsStreamed, bytesStreamed);
    }

    public TableStatus withStreamed(long rows, long bytes) {
        return new TableStatus(table, phase, snapshotRowsCopied, snapshotRowsTotal, rows, bytes);
    }

    /** Copy progress in [0, 1], or -1 when the total is unknown. */
    public double snapshotFraction() {
        if (phase == TablePhase.STREAMING || phase == TablePhase.STREAMING_ONLY) {
            return 1.0;
        }
        return snapshotRowsTotal <= 0 ? -1 : Math.min(1.0, (double) snapshotRowsCopied / snapshotRowsTotal);
    }
}
