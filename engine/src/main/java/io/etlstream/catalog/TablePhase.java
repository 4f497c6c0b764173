package io.etlstream.catalog;

import java.util.EnumSet;
import java.util.Set;

/**
 * Replication phase of one selected table, after supabase/etl: INIT → DATA_SYNC (copying) →
 * FINISHED_COPY → SYNC_DONE (caught up with the stream) → READY; ERRORED from anywhere.
 * The legal moves live here and nowhere else.
 */
public enum TablePhase {
    INIT, DATA_SYNC, FINISHED_COPY, SYNC_DONE, READY, ERRORED;

    /** Phases this one may move to. */
    public Set<TablePhase> next() {
        return switch (this) {
            // READY directly: a pipeline without snapshot streams changes only, nothing to copy.
            case INIT -> EnumSet.of(DATA_SYNC, READY, ERRORED);
            case DATA_SYNC -> EnumSet.of(FINISHED_COPY, INIT, ERRORED);
            case FINISHED_COPY -> EnumSet.of(SYNC_DONE, INIT, ERRORED);
            case SYNC_DONE -> EnumSet.of(READY, INIT, ERRORED);
            // Back to INIT = copy the table again (resync, or retry after an error).
            case READY -> EnumSet.of(INIT, ERRORED);
            case ERRORED -> EnumSet.of(INIT);
        };
    }

    public boolean canMoveTo(TablePhase target) {
        return next().contains(target);
    }
}
