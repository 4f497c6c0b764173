package io.etlstream.app.engine;

import io.etlstream.metrics.RingSeries;
import java.time.Instant;
import java.util.List;

/** What the live charts of one pipeline show: three downsampled series ending at {@code now}; immutable. */
public record ChartData(String pipeline, Instant now, List<RingSeries.Point> lagBytes,
        List<RingSeries.Point> lagSeconds, List<RingSeries.Point> rowsPerSecond) {

    public ChartData {
        lagBytes = List.copyOf(lagBytes);
        lagSeconds = List.copyOf(lagSeconds);
        rowsPerSecond = List.copyOf(rowsPerSecond);
    }

    public static ChartData empty(String pipeline, Instant now) {
        return new ChartData(pipeline, now, List.of(), List.of(), List.of());
    }
}
