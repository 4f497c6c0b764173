package io.etlstream.pipeline;

/** Where one table of a pipeline stands: waiting for its copy, copying, or following the stream. */
public enum TablePhase {
    /** Selected; its initial copy has not started yet (or a resync asked for a new one). */
    PENDING_SNAPSHOT,
    SNAPSHOTTING,
    /** Copy finished; changes after the copy's snapshot point flow through the stream. */
    STREAMING,
    /** Selected with {@code --snapshot no}: only changes from now on. */
    STREAMING_ONLY,
    /**
     * Stopped by the sink (a value or schema change Snowflake cannot take). Stays stopped across restarts and retries;
     * only a resync of the table (which copies it again) brings it back.
     */
    ERRORED
}
