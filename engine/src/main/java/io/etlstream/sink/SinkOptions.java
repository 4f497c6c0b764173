package io.etlstream.sink;

import io.etlstream.catalog.DeleteMode;
import io.etlstream.catalog.OversizePolicy;
import io.etlstream.catalog.PipelineMode;
import java.time.Duration;
import java.util.Objects;

/**
 * How a pipeline's sink behaves: whether it keeps only the change history or also a mirror, delete semantics in the
 * mirror, what to do with a value the destination cannot hold, how often the mirror is brought up to date (skipped
 * when nothing changed) and how often commits are polled.
 */
public record SinkOptions(PipelineMode mode, DeleteMode deleteMode, OversizePolicy oversize, Duration mergeInterval,
        Duration commitPollInterval) {

    /** Mirror mode, hard deletes, stop a table on an oversize value, mirror every 60 s, commits polled every 250 ms. */
    public static final SinkOptions DEFAULT = new SinkOptions(PipelineMode.MIRROR, DeleteMode.HARD,
            OversizePolicy.STOP, Duration.ofSeconds(60), Duration.ofMillis(250));

    public SinkOptions {
        Objects.requireNonNull(mode, "mode");
    }

    /** Mirror mode (the catalog's default for a new pipeline), as before the mode was passed to the sink. */
    public SinkOptions(DeleteMode deleteMode, OversizePolicy oversize, Duration mergeInterval,
            Duration commitPollInterval) {
        this(PipelineMode.MIRROR, deleteMode, oversize, mergeInterval, commitPollInterval);
    }

    /** True when the sink maintains a mirror table (MERGE from history); false in history mode. */
    public boolean mirrors() {
        return mode == PipelineMode.MIRROR;
    }

    public SinkOptions withMode(PipelineMode m) {
        return new SinkOptions(m, deleteMode, oversize, mergeInterval, commitPollInterval);
    }

    public SinkOptions withMergeInterval(Duration d) {
        return new SinkOptions(mode, deleteMode, oversize, d, commitPollInterval);
    }

    public SinkOptions withDeleteMode(DeleteMode m) {
        return new SinkOptions(mode, m, oversize, mergeInterval, commitPollInterval);
    }

    public SinkOptions withOversize(OversizePolicy p) {
        return new SinkOptions(mode, deleteMode, p, mergeInterval, commitPollInterval);
    }
}
