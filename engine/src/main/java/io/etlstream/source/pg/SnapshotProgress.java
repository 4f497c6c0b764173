package io.etlstream.source.pg;

import io.etlstream.batch.TableId;
import java.time.Duration;

/**
 * Progress of copying one table: rows and COPY bytes so far; the planner's row estimate scaled to the table's current
 * size ({@code estimatedRows}, -1 when the table was never analyzed; the row count itself once done); the table's
 * size on disk; the time since its copy started and the time left at the current rate ({@code eta}, null when
 * unknown). The first report of a table has {@code rows == 0}; the last has {@code done}.
 */
public record SnapshotProgress(TableId table, long rows, long bytes, long estimatedRows, long estimatedBytes,
        Duration elapsed, Duration eta, boolean done) {
}
