package io.etlstream.sink;

import io.etlstream.catalog.DeleteMode;
import io.etlstream.catalog.OversizePolicy;
import java.time.Duration;

/**
 * How a pipeline's sink behaves: delete semantics in the mirror, what to do with a value the destination cannot hold,
 * how often the mirror is brought up to date (skipped when nothing changed) and how often commits are polled.
 */
public record SinkOptions(DeleteMode deleteMode, OversizePolicy oversize, Duration mergeInterval,
        Duration commitPollInterval) {

    /** Hard deletes, stop a table on an oversize value, mirror every 60 s, commits polled every 250 ms. */
    public static final SinkOptions DEFAULT = new SinkOptions(DeleteMode.HARD, OversizePolicy.STOP,
            Duration.ofSeconds(60), Duration.ofMillis(250));

    public SinkOptions withMergeInterval(Duration d) {
        return new SinkOptions(deleteMode, oversize, d, commitPollInterval);
    }

    public SinkOptions withDeleteMode(DeleteMode m) {
        return new SinkOptions(m, oversize, mergeInterval, commitPollInterval);
    }

    public SinkOptions withOversize(OversizePolicy p) {
        return new SinkOptions(deleteMode, p, mergeInterval, commitPollInterval);
    }
}
