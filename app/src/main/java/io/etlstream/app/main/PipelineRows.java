package io.etlstream.app.main;

import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.i18n.Messages;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.SourceReconnect;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Turns engine snapshots into list rows: the state in the user's words, lag and throughput as short figures. */
public final class PipelineRows {

    private PipelineRows() {}

    public static List<PipelineRow> of(List<PipelineStatus> statuses, Map<String, ConsoleEngine.Endpoints> endpoints) {
        return of(statuses, endpoints, Instant.now());
    }

    /** As {@link #of(List, Map)}, with {@code now} for "next attempt in N s" (rows are re-taken every second). */
    public static List<PipelineRow> of(List<PipelineStatus> statuses, Map<String, ConsoleEngine.Endpoints> endpoints,
            Instant now) {
        return statuses.stream().map(s -> {
            ConsoleEngine.Endpoints e = endpoints.getOrDefault(s.name(),
                    new ConsoleEngine.Endpoints(s.source(), s.destination()));
            boolean live = s.state().isRunning();
            SourceReconnect r = s.sourceReconnect();
            return new PipelineRow(s.name(), e.source(), e.destination(), describe(s), s.state(),
                    live && s.lagBytes() >= 0 ? Messages.get("main.lag.value", bytes(s.lagBytes()),
                            String.format(java.util.Locale.ROOT, "%.1f", Math.max(0, s.lagSeconds()))) : "",
                    live ? Messages.get("main.rate.value",
                            String.format(java.util.Locale.ROOT, "%.1f", s.rowsPerSecond())) : "",
                    s.tables().stream().map(t -> t.table().toString()).toList(),
                    r == null ? "" : notice(r, s.state() == PipelineState.FAILED, now), showsFailure(s));
        }).toList();
    }

    /** The details box: why the source cannot reach PostgreSQL, and whether the pipeline waits for it or has failed. */
    private static String notice(SourceReconnect r, boolean failed, Instant now) {
        String error = withoutFullStop(r.lastError());
        String progress = progress(r, now);
        if (failed) {
            return r.neverConnected() ? Messages.get("main.unreachable.detailFailed", error, progress)
                    : Messages.get("main.reconnect.detailFailed", error, progress);
        }
        return r.neverConnected() ? Messages.get("main.unreachable.detail", error, progress)
                : Messages.get("main.reconnect.detail", error, progress);
    }

    /**
     * The state as the list shows it; a failure adds what happened, a retry when it happens, and a table the sink
     * stopped its reason and the resync that brings it back (it stays stopped until then, across restarts); a
     * source that lost PostgreSQL adds a short "reconnecting", one that never reached it "cannot connect" (the row's
     * source notice has the details), also next to a failure, which comes after it.
     */
    static String describe(PipelineStatus s) {
        String state = stateLabel(s.state());
        SourceReconnect reconnect = s.sourceReconnect();
        if (reconnect != null) {
            boolean failed = s.state() == PipelineState.FAILED && s.lastError() != null;
            if (reconnect.neverConnected()) {
                state = failed ? Messages.get("state.failedUnreachable", state) : Messages.get("state.unreachable", state);
            } else {
                state = failed ? Messages.get("state.failedReconnecting", state)
                        : Messages.get("state.reconnecting", state);
            }
        }
        if (s.state() == PipelineState.FAILED && s.lastError() != null) {
            String action = s.lastError().suggestedAction();
            return action == null || action.isBlank() ? Messages.get("state.failedCause", state, s.lastError().cause())
                    : Messages.get("state.failedBecause", state, s.lastError().cause(), action);
        }
        for (TableStatus t : s.tables()) {
            if (t.phase() == TablePhase.ERRORED) {
                state = Messages.get("state.tableStopped", state, t.table().toString(),
                        t.error() == null ? "" : t.error(), TableStatus.resyncCommand(s.name(), t.table()));
            }
        }
        return state;
    }

    /** Whether the status shows a failure: the pipeline failed, or the sink stopped one of its tables. */
    static boolean showsFailure(PipelineStatus s) {
        return (s.state() == PipelineState.FAILED && s.lastError() != null)
                || s.tables().stream().anyMatch(t -> t.phase() == TablePhase.ERRORED);
    }

    /** The error ends the notice's first sentence, which brings its own full stop. */
    private static String withoutFullStop(String error) {
        String e = error == null ? "" : error.strip();
        return e.endsWith(".") ? e.substring(0, e.length() - 1) : e;
    }

    /** "3 failed attempts, next in 4 s" or, with no attempt scheduled or one due, "trying now". */
    private static String progress(SourceReconnect r, Instant now) {
        long wait = r.nextAttemptAt() == null ? 0
                : Math.max(0, (Duration.between(now, r.nextAttemptAt()).toMillis() + 999) / 1000);
        return Messages.get("reconnect.progress", r.attempt(),
                wait == 0 ? Messages.get("reconnect.now") : Messages.get("reconnect.next", wait));
    }

    public static String stateLabel(PipelineState state) {
        return switch (state) {
            case CREATED -> Messages.get("state.created");
            case SNAPSHOTTING -> Messages.get("state.snapshotting");
            case STREAMING -> Messages.get("state.streaming");
            case STOPPING -> Messages.get("state.stopping");
            case PAUSED -> Messages.get("state.paused");
            case STOPPED -> Messages.get("state.stopped");
            case FAILED -> Messages.get("state.failed");
            case RETRYING -> Messages.get("state.retrying");
            case DELETED -> Messages.get("state.deleted");
        };
    }

    /** Bytes in binary units with one decimal: 0 B, 512 B, 1.5 KiB, 3.2 MiB, 1.1 GiB. */
    public static String bytes(double b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        double v = b;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? String.format(java.util.Locale.ROOT, "%.0f %s", v, units[u])
                : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
