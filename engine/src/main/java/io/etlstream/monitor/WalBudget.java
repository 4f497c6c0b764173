package io.etlstream.monitor;

import io.etlstream.metrics.EngineEvent;
import io.etlstream.metrics.EventSink;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineManager;
import io.etlstream.pipeline.PipelineStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Watches the WAL each pipeline's slot retains against a warning and a critical threshold and reports crossings
 * as events. At critical it can pause the running pipelines of the same source with a lower priority, so the
 * important one gets the source to itself. It never drops a slot: that is always the user's explicit act.
 */
public final class WalBudget implements Consumer<WalSample> {

    /** Default thresholds when max_slot_wal_keep_size is unlimited. */
    public static final long DEFAULT_WARNING_BYTES = 1L << 30;
    public static final long DEFAULT_CRITICAL_BYTES = 4L << 30;

    /** Retained-WAL thresholds of one pipeline. */
    public record Thresholds(long warningBytes, long criticalBytes) {
        public Thresholds {
            if (warningBytes <= 0 || criticalBytes < warningBytes) {
                throw new IllegalArgumentException("need 0 < warning <= critical, got " + warningBytes + ", "
                        + criticalBytes);
            }
        }
    }

    /** How a slot stands against its budget. */
    public enum Level { OK, WARNING, CRITICAL, LOST }

    /** A pipeline that could be paused: its name, priority (higher = more important) and whether it runs. */
    public record Candidate(String pipeline, int priority, boolean running) {}

    /** What the budget may look at and do; {@link #control(PipelineManager)} adapts the manager. */
    public interface PipelineControl {
        List<Candidate> pipelinesOf(String source);

        void pause(String pipeline, String reason);
    }

    private final EventSink events;
    private final Function<String, Optional<Thresholds>> overrides;
    private final boolean pauseLowerPriority;
    private final PipelineControl control;
    private final Map<String, Level> levels = new ConcurrentHashMap<>();

    public WalBudget(EventSink events, Function<String, Optional<Thresholds>> overrides, boolean pauseLowerPriority,
            PipelineControl control) {
        this.events = events;
        this.overrides = overrides == null ? p -> Optional.empty() : overrides;
        this.pauseLowerPriority = pauseLowerPriority;
        this.control = control;
    }

    /**
     * Defaults: with max_slot_wal_keep_size set, warn at half of it and go critical at 80% (beyond it PostgreSQL
     * invalidates the slot); unlimited, warn at 1 GiB and go critical at 4 GiB.
     */
    public static Thresholds defaults(long maxSlotWalKeepBytes) {
        if (maxSlotWalKeepBytes > 0) {
            return new Thresholds(Math.max(1, maxSlotWalKeepBytes / 2), Math.max(1, maxSlotWalKeepBytes * 4 / 5));
        }
        return new Thresholds(DEFAULT_WARNING_BYTES, DEFAULT_CRITICAL_BYTES);
    }

    /** The current level of every pipeline seen in a sample. */
    public Map<String, Level> levels() {
        return Map.copyOf(levels);
    }

    @Override
    public void accept(WalSample sample) {
        if (!sample.ok()) {
            return;
        }
        for (SlotSample slot : sample.slots()) {
            if (slot.pipeline() == null) {
                continue;
            }
            Thresholds t = overrides.apply(slot.pipeline()).orElseGet(() -> defaults(sample.maxSlotWalKeepBytes()));
            Level level = slot.invalidated() ? Level.LOST
                    : slot.retainedBytes() >= t.criticalBytes() ? Level.CRITICAL
                    : slot.retainedBytes() >= t.warningBytes() ? Level.WARNING : Level.OK;
            Level before = levels.put(slot.pipeline(), level);
            if (before == level || (before == null && level == Level.OK)) {
                continue;
            }
            report(sample, slot, t, level);
            if (level == Level.CRITICAL && pauseLowerPriority && control != null) {
                pauseLowerPriority(sample.source(), slot);
            }
        }
    }

    private void report(WalSample sample, SlotSample slot, Thresholds t, Level level) {
        String retained = mib(slot.retainedBytes());
        EngineEvent e = switch (level) {
            case OK -> new EngineEvent(sample.at(), EngineEvent.Kind.INFO, EngineEvent.Severity.INFO, slot.pipeline(),
                    sample.source(), "slot " + slot.slot() + " retains " + retained + " of WAL again, within budget");
            case WARNING -> new EngineEvent(sample.at(), EngineEvent.Kind.WAL_WARNING, EngineEvent.Severity.WARNING,
                    slot.pipeline(), sample.source(), "slot " + slot.slot() + " retains " + retained
                    + " of WAL (warning at " + mib(t.warningBytes()) + "): the pipeline is falling behind");
            case CRITICAL -> new EngineEvent(sample.at(), EngineEvent.Kind.WAL_CRITICAL, EngineEvent.Severity.ERROR,
                    slot.pipeline(), sample.source(), "slot " + slot.slot() + " retains " + retained
                    + " of WAL (critical at " + mib(t.criticalBytes()) + ")" + (slot.safeWalSize() >= 0
                    ? "; PostgreSQL invalidates it after " + mib(slot.safeWalSize()) + " more" : "")
                    + ": check the destination, or stop the pipeline and drop its slot yourself if it is abandoned");
            case LOST -> new EngineEvent(sample.at(), EngineEvent.Kind.WAL_CRITICAL, EngineEvent.Severity.ERROR,
                    slot.pipeline(), sample.source(), "slot " + slot.slot() + " was invalidated (wal_status = lost):"
                    + " resync the pipeline to recreate it and copy the tables again");
        };
        events.publish(e);
    }

    private void pauseLowerPriority(String source, SlotSample critical) {
        int priority = Integer.MIN_VALUE;
        List<Candidate> candidates = control.pipelinesOf(source);
        for (Candidate c : candidates) {
            if (c.pipeline().equals(critical.pipeline())) {
                priority = c.priority();
            }
        }
        List<String> paused = new ArrayList<>();
        for (Candidate c : candidates) {
            if (c.running() && c.priority() < priority) {
                control.pause(c.pipeline(), "WAL budget of " + critical.pipeline() + " is critical on source " + source);
                paused.add(c.pipeline());
            }
        }
        if (!paused.isEmpty()) {
            events.publish(new EngineEvent(java.time.Instant.now(), EngineEvent.Kind.WARNING,
                    EngineEvent.Severity.WARNING, critical.pipeline(), source,
                    "paused lower-priority pipelines " + paused + " so that " + critical.pipeline() + " can catch up"));
        }
    }

    /** Adapts a pipeline manager: candidates from its snapshots, pauses through its mailboxes (never waiting). */
    public static PipelineControl control(PipelineManager manager) {
        return new PipelineControl() {
            @Override
            public List<Candidate> pipelinesOf(String source) {
                List<Candidate> out = new ArrayList<>();
                for (PipelineStatus s : manager.statuses()) {
                    if (s.source().equals(source)) {
                        out.add(new Candidate(s.name(), s.settings().priority(), s.state().isRunning()));
                    }
                }
                return out;
            }

            @Override
            public void pause(String pipeline, String reason) {
                manager.send(pipeline, new PipelineCommand.Pause(reason));
            }
        };
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
