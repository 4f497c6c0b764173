package io.etlstream.pipeline;

import io.etlstream.metrics.EngineEvent;
import io.etlstream.metrics.EventSink;
import io.etlstream.source.pg.SnapshotProgress;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Turns a source's snapshot progress into the pipeline's table status ({@link RunnerListener#tableProgress}, every
 * report) and into event-log entries: a table's start and end, and in between at most one per table every
 * {@code interval}. Called from the snapshot's copy threads.
 */
public final class SnapshotProgressReporter implements Consumer<SnapshotProgress> {

    /** Between a table's start and end, at most one event per table this often. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    private final String pipeline;
    private final String source;
    private final RunnerListener listener;
    private final EventSink events;
    private final Clock clock;
    private final Duration interval;
    private final Map<TableRef, Long> lastEvent = new ConcurrentHashMap<>();

    public SnapshotProgressReporter(String pipeline, String source, RunnerListener listener, EventSink events,
            Clock clock, Duration interval) {
        this.pipeline = pipeline;
        this.source = source;
        this.listener = listener;
        this.events = events;
        this.clock = clock;
        this.interval = interval;
    }

    @Override
    public void accept(SnapshotProgress p) {
        TableRef table = new TableRef(p.table().schema(), p.table().name());
        listener.tableProgress(table, TablePhase.SNAPSHOTTING, p.rows(), Math.max(p.estimatedRows(), 0));
        long now = clock.millis();
        boolean start = p.rows() == 0 && !p.done();
        Long last = lastEvent.get(table);
        if (!start && !p.done() && last != null && now - last < interval.toMillis()) {
            return;
        }
        lastEvent.put(table, now);
        events.publish(new EngineEvent(clock.instant(), EngineEvent.Kind.INFO, EngineEvent.Severity.INFO, pipeline,
                source, message(table, p, start)));
        if (p.done()) {
            lastEvent.remove(table);
        }
    }

    static String message(TableRef table, SnapshotProgress p, boolean start) {
        String name = table.schema() + "." + table.name();
        if (start) {
            return "snapshot of " + name + " started: " + (p.estimatedRows() >= 0 ? "about " + count(p.estimatedRows())
                    + " rows, " : "") + mb(p.estimatedBytes()) + " on disk";
        }
        if (p.done()) {
            return "snapshot of " + name + " copied: " + count(p.rows()) + " rows, " + mb(p.bytes()) + " in "
                    + seconds(p.elapsed());
        }
        StringBuilder b = new StringBuilder("snapshot of ").append(name).append(": ").append(count(p.rows()));
        if (p.estimatedRows() > 0) {
            b.append(" of about ").append(count(p.estimatedRows())).append(" rows (")
                    .append(p.rows() * 100 / p.estimatedRows()).append("%)");
        } else {
            b.append(" rows");
        }
        b.append(", ").append(mb(p.bytes()));
        if (p.eta() != null) {
            b.append(", about ").append(seconds(p.eta())).append(" left");
        }
        return b.toString();
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
