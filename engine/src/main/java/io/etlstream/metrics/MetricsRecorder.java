package io.etlstream.metrics;

import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.TableStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns pipeline snapshots into time series: every second one value per series into a {@link RingSeries} (the last
 * hour), and after every completed minute that minute's average into the {@link MetricHistory} (kept 30 days).
 * {@link #tick(Instant)} runs on one thread (the engine's metrics timer, or a test); readers never wait for it.
 */
public final class MetricsRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsRecorder.class);

    public static final int DEFAULT_WINDOW_SECONDS = 3600;
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);

    private final Supplier<List<PipelineStatus>> statuses;
    private final MetricHistory history;
    private final int windowSeconds;
    private final Duration retention;
    private final Map<MetricKey, RingSeries> series = new ConcurrentHashMap<>();

    // ---- owned by the ticking thread ----
    private final Map<MetricKey, long[]> lastCounters = new HashMap<>();
    private long lastSecond = Long.MIN_VALUE;
    private long downsampledUpToMinute = Long.MIN_VALUE;
    private long lastPruneMinute = Long.MIN_VALUE;

    public MetricsRecorder(Supplier<List<PipelineStatus>> statuses, MetricHistory history, int windowSeconds,
            Duration retention) {
        this.statuses = statuses;
        this.history = history;
        this.windowSeconds = windowSeconds;
        this.retention = retention;
    }

    public MetricsRecorder(Supplier<List<PipelineStatus>> statuses, MetricHistory history) {
        this(statuses, history, DEFAULT_WINDOW_SECONDS, DEFAULT_RETENTION);
    }

    /** Records the values of the second containing {@code now}, then downsamples any minute that just completed. */
    public void tick(Instant now) {
        long second = now.getEpochSecond();
        if (second <= lastSecond) {
            return;
        }
        double elapsed = lastSecond == Long.MIN_VALUE ? 1 : second - lastSecond;
        lastSecond = second;
        Set<String> alive = new HashSet<>();
        for (PipelineStatus s : statuses.get()) {
            alive.add(s.name());
            put(new MetricKey(s.name(), null, MetricKey.LAG_BYTES), second, Math.max(0, s.lagBytes()));
            put(new MetricKey(s.name(), null, MetricKey.LAG_SECONDS), second, Math.max(0, s.lagSeconds()));
            put(new MetricKey(s.name(), null, MetricKey.ROWS_PER_SECOND), second, s.rowsPerSecond());
            put(new MetricKey(s.name(), null, MetricKey.BYTES_PER_SECOND), second, s.bytesPerSecond());
            put(new MetricKey(s.name(), null, MetricKey.BATCH_LATENCY_MS), second, s.batchLatencyMillis());
            for (TableStatus t : s.tables()) {
                String table = t.table().toString();
                put(new MetricKey(s.name(), table, MetricKey.ROWS_PER_SECOND), second,
                        rate(new MetricKey(s.name(), table, "rows"), t.rowsStreamed(), elapsed));
                put(new MetricKey(s.name(), table, MetricKey.BYTES_PER_SECOND), second,
                        rate(new MetricKey(s.name(), table, "bytes"), t.bytesStreamed(), elapsed));
                put(new MetricKey(s.name(), table, MetricKey.SNAPSHOT_ROWS), second, t.snapshotRowsCopied());
            }
        }
        series.keySet().removeIf(k -> !alive.contains(k.pipeline()));
        lastCounters.keySet().removeIf(k -> !alive.contains(k.pipeline()));
        downsample(second / 60);
    }

    private double rate(MetricKey counterKey, long total, double elapsed) {
        long[] last = lastCounters.computeIfAbsent(counterKey, k -> new long[] {total});
        long delta = total - last[0];
        last[0] = total;
        // A restarted runner starts counting from zero again.
        return (delta < 0 ? total : delta) / elapsed;
    }

    private void put(MetricKey key, long second, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return;
        }
        series.computeIfAbsent(key, k -> new RingSeries(windowSeconds)).record(second, value);
    }

    private void downsample(long currentMinute) {
        if (history == null) {
            return;
        }
        if (downsampledUpToMinute == Long.MIN_VALUE) {
            // History starts with the minute the engine started in (its average covers the seconds seen).
            downsampledUpToMinute = currentMinute;
            return;
        }
        long windowMinutes = Math.max(1, windowSeconds / 60);
        List<MetricHistory.MinutePoint> points = new ArrayList<>();
        for (long m = Math.max(downsampledUpToMinute, currentMinute - windowMinutes); m < currentMinute; m++) {
            for (Map.Entry<MetricKey, RingSeries> e : series.entrySet()) {
                double avg = e.getValue().average(m * 60, m * 60 + 60);
                if (!Double.isNaN(avg)) {
                    points.add(new MetricHistory.MinutePoint(e.getKey(), Instant.ofEpochSecond(m * 60), avg));
                }
            }
        }
        downsampledUpToMinute = currentMinute;
        try {
            if (!points.isEmpty()) {
                history.recordAll(points);
            }
            if (lastPruneMinute == Long.MIN_VALUE || currentMinute - lastPruneMinute >= 60) {
                history.pruneBefore(Instant.ofEpochSecond(currentMinute * 60).minus(retention));
                lastPruneMinute = currentMinute;
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot store metric history ({} points lost): {}", points.size(), e.getMessage());
        }
    }

    /** The per-second points of a series within the last {@code window} before {@code now}. */
    public List<RingSeries.Point> recent(MetricKey key, Instant now, Duration window) {
        RingSeries s = series.get(key);
        if (s == null) {
            return List.of();
        }
        long to = now.getEpochSecond() + 1;
        return s.points(to - window.toSeconds(), to);
    }

    /**
     * The last {@code window} before {@code now} in at most {@code maxPoints + 1} points (buckets are aligned, so the
     * first may be partial), each the average of its bucket
     * of seconds (stamped with the bucket's first second), oldest first; empty buckets are left out. Charts ask for
     * this so they never draw more points than they have pixels for.
     */
    public List<RingSeries.Point> downsampled(MetricKey key, Instant now, Duration window, int maxPoints) {
        if (maxPoints < 1) {
            throw new IllegalArgumentException("maxPoints must be positive");
        }
        RingSeries s = series.get(key);
        if (s == null) {
            return List.of();
        }
        long to = now.getEpochSecond() + 1;
        long from = to - window.toSeconds();
        long bucket = Math.max(1, (window.toSeconds() + maxPoints - 1) / maxPoints);
        List<RingSeries.Point> out = new ArrayList<>();
        // Buckets are aligned to multiples of their size so a point keeps its value from one call to the next.
        for (long b = Math.floorDiv(from, bucket) * bucket; b < to; b += bucket) {
            double avg = s.average(Math.max(b, from), Math.min(b + bucket, to));
            if (!Double.isNaN(avg)) {
                out.add(new RingSeries.Point(b, avg));
            }
        }
        return out;
    }

    /** The latest per-second value of a series, or NaN. */
    public double latest(MetricKey key, Instant now) {
        List<RingSeries.Point> ps = recent(key, now, Duration.ofSeconds(5));
        return ps.isEmpty() ? Double.NaN : ps.get(ps.size() - 1).value();
    }

    /** One-minute averages from the history, for windows longer than the in-memory hour. */
    public List<MetricHistory.MinutePoint> history(MetricKey key, Instant from, Instant to) {
        return history == null ? List.of() : history.query(key, from, to);
    }

    /** Keys of every series currently held in memory. */
    public Set<MetricKey> keys() {
        return Set.copyOf(series.keySet());
    }
}
