package io.etlstream.pipeline;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Lifecycle of one pipeline. The legal transitions are listed here and nowhere else;
 * {@link #checkTransition(PipelineState)} throws on anything else.
 *
 * <p>{@code STOPPING} is the short interval in which the source flushes, confirms its LSN and closes its
 * connections; pause, stop, delete and every restart (resync, table or settings change) pass through it.
 */
public enum PipelineState {
    CREATED,
    SNAPSHOTTING,
    STREAMING,
    STOPPING,
    PAUSED,
    STOPPED,
    /** Stopped on a permanent failure; {@link PipelineStatus#lastError()} says what to do. */
    FAILED,
    /** Waiting to retry a transient failure; {@link PipelineStatus#nextAttemptAt()} says when. */
    RETRYING,
    /** Terminal: the pipeline is gone from the manager. */
    DELETED;

    private static final Map<PipelineState, Set<PipelineState>> LEGAL = Map.of(
            CREATED, EnumSet.of(SNAPSHOTTING, STREAMING, STOPPED, DELETED),
            SNAPSHOTTING, EnumSet.of(STREAMING, STOPPING, FAILED, RETRYING),
            STREAMING, EnumSet.of(STOPPING, FAILED, RETRYING),
            STOPPING, EnumSet.of(PAUSED, STOPPED, DELETED, SNAPSHOTTING, STREAMING, FAILED),
            PAUSED, EnumSet.of(SNAPSHOTTING, STREAMING, STOPPED, DELETED),
            STOPPED, EnumSet.of(SNAPSHOTTING, STREAMING, DELETED),
            FAILED, EnumSet.of(SNAPSHOTTING, STREAMING, STOPPED, DELETED),
            RETRYING, EnumSet.of(SNAPSHOTTING, STREAMING, PAUSED, STOPPED, FAILED, DELETED),
            DELETED, EnumSet.noneOf(PipelineState.class));

    public boolean canMoveTo(PipelineState next) {
        return LEGAL.get(this).contains(next);
    }

    /** Throws {@link IllegalStateException} unless {@code this → next} is a legal transition. */
    public void checkTransition(PipelineState next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("illegal pipeline transition " + this + " -> " + next);
        }
    }

    /** A source runner is (or should be) active in this state. */
    public boolean isRunning() {
        return this == SNAPSHOTTING || this == STREAMING;
    }

    /** The lower-case name users see in the CLI and the console. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
