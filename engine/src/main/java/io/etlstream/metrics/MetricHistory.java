package io.etlstream.metrics;

import java.time.Instant;
import java.util.List;

/** Long-term store of one-minute averages (the catalog's metric_history in the engine). */
public interface MetricHistory {

    /** One minute of one series. */
    record MinutePoint(MetricKey key, Instant minute, double value) {}

    void recordAll(List<MinutePoint> points);

    /** Minutes of one series in {@code [from, to)}, oldest first. */
    List<MinutePoint> query(MetricKey key, Instant from, Instant to);

    /** Deletes minutes before {@code cutoff}. */
    void pruneBefore(Instant cutoff);
}
