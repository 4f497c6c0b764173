package io.etlstream.pipeline;

/** One table of a pipeline snapshot: its phase and the progress of its initial copy. */
public record TableStatus(TableRef table, TablePhase phase, long snapshotRowsCopied, long snapshotRowsTotal) {

    public TableStatus withPhase(TablePhase p) {
        return new TableStatus(table, p, snapshotRowsCopied, snapshotRowsTotal);
    }

    /** Copy progress in [0, 1], or -1 when the total is unknown. */
    public double snapshotFraction() {
        if (phase == TablePhase.STREAMING || phase == TablePhase.STREAMING_ONLY) {
            return 1.0;
        }
        return snapshotRowsTotal <= 0 ? -1 : Math.min(1.0, (double) snapshotRowsCopied / snapshotRowsTotal);
    }
}
