package io.etlstream.source.pg;

import io.etlstream.batch.TableId;
import java.time.Duration;

/** Progress of copying one table: rows and bytes so far, the size estimate and the time left at the current rate. */
public record SnapshotProgress(TableId table, long rows, long bytes, long estimatedBytes, Duration elapsed,
        Duration eta, boolean done) {
}
