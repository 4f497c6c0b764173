package io.etlstream.metrics;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.MetricSample;
import io.etlstream.catalog.Pipeline;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@link MetricHistory} on the catalog's metric_history table (series of deleted pipelines go with them). */
public final class CatalogMetricHistory implements MetricHistory {

    private final Catalog catalog;

    public CatalogMetricHistory(Catalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public void recordAll(List<MinutePoint> points) {
        List<MetricSample> samples = new ArrayList<>(points.size());
        java.util.Map<String, Optional<Long>> ids = new java.util.HashMap<>();
        for (MinutePoint p : points) {
            Optional<Long> id = ids.computeIfAbsent(p.key().pipeline(), this::idOf);
            // A pipeline deleted a moment ago has no row any more: its last minute is dropped with it.
            id.ifPresent(pid -> samples.add(new MetricSample(pid, p.key().table(), p.key().metric(), p.minute(),
                    p.value())));
        }
        catalog.metrics().recordAll(samples);
    }

    @Override
    public List<MinutePoint> query(MetricKey key, Instant from, Instant to) {
        Optional<Long> id = idOf(key.pipeline());
        if (id.isEmpty()) {
            return List.of();
        }
        return catalog.metrics().query(id.get(), key.table(), key.metric(), from, to).stream()
                .map(p -> new MinutePoint(key, p.bucket(), p.value())).toList();
    }

    @Override
    public void pruneBefore(Instant cutoff) {
        catalog.metrics().pruneOlderThan(cutoff);
    }

    private Optional<Long> idOf(String pipeline) {
        return catalog.pipelines().find(pipeline).map(Pipeline::id);
    }
}
