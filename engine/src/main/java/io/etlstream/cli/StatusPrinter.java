package io.etlstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableStatus;
import io.etlstream.pipeline.control.StatusCodec;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** Prints pipeline snapshots as a table, a detail page, or JSON (the control channel's field names). */
final class StatusPrinter {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StatusPrinter() {}

    static void table(PrintWriter out, List<PipelineStatus> list, boolean json, String engine) {
        if (json) {
            out.println(json(list.stream().map(StatusCodec::toMap).toList()));
            return;
        }
        if (engine != null) {
            out.println("engine: " + engine);
        }
        Listing.of(list)
                .column("name", PipelineStatus::name)
                .column("state", s -> s.state().label() + (s.sourceReconnect() == null ? ""
                        : s.sourceReconnect().neverConnected() ? " (cannot connect)" : " (reconnecting)"))
                .column("enabled", PipelineStatus::enabled)
                .column("source", PipelineStatus::source)
                .column("destination", PipelineStatus::destination)
                .column("tables", s -> s.tables().size())
                .column("lsn", s -> PipelineStatus.formatLsn(s.lastCommittedLsn()))
                .column("lag", s -> s.lagBytes() < 0 ? "-" : bytes(s.lagBytes()))
                .column("rows_s", s -> String.format(Locale.ROOT, "%.0f", s.rowsPerSecond()))
                .column("error", s -> s.lastError() == null ? "" : s.lastError().cause())
                .ifEmpty("No pipelines yet. Create one with 'etl-stream pipeline create'.")
                .print(out, false);
    }

    static void detail(PrintWriter out, PipelineStatus s, boolean json) {
        if (json) {
            out.println(json(StatusCodec.toMap(s)));
            return;
        }
        out.printf("pipeline     %s%n", s.name());
        out.printf("state        %s%s%n", s.state().label(), s.enabled() ? " (runs with the engine)" : "");
        out.printf("source       %s%n", s.source());
        out.printf("destination  %s%n", s.destination());
        out.printf("settings     mode %s, merge every %ds, %s deletes, snapshot %s, parallelism %d, priority %d,"
                + " oversize %s%n",
                s.settings().mode().name().toLowerCase(Locale.ROOT), s.settings().mergeInterval().toSeconds(),
                s.settings().deletes().name().toLowerCase(Locale.ROOT), s.settings().snapshot() ? "yes" : "no",
                s.settings().parallelism(), s.settings().priority(),
                s.settings().oversize().name().toLowerCase(Locale.ROOT));
        out.printf("committed    %s%n", PipelineStatus.formatLsn(s.lastCommittedLsn()));
        if (s.lagBytes() >= 0) {
            out.printf(Locale.ROOT, "lag          %s, %.1f s%n", bytes(s.lagBytes()), Math.max(0, s.lagSeconds()));
        }
        out.printf(Locale.ROOT, "throughput   %.0f rows/s, %s/s%n", s.rowsPerSecond(), bytes((long) s.bytesPerSecond()));
        if (s.sourceReconnect() != null) {
            var r = s.sourceReconnect();
            out.printf("source       %s since %s, %d failed attempt(s)%s: %s%n",
                    r.neverConnected() ? "not reachable (never connected), trying" : "reconnecting",
                    r.since(), r.attempt(),
                    r.nextAttemptAt() == null ? "" : ", next attempt " + r.nextAttemptAt(), r.lastError());
        }
        if (s.nextAttemptAt() != null) {
            out.printf("next attempt %s (attempt %d)%n", s.nextAttemptAt(), s.attempt() + 1);
        }
        if (s.lastError() != null) {
            out.printf("last error   %s%n", s.lastError().cause());
            out.printf("what to do   %s%n", s.lastError().suggestedAction());
        }
        out.println("tables:");
        for (TableStatus t : s.tables()) {
            double f = t.snapshotFraction();
            if (t.phase() == TablePhase.ERRORED) {
                // Stopped by the sink: its changes are not written until it is copied again.
                out.printf(Locale.ROOT, "  %-40s %-16s %s%n", t.table(), "stopped", t.error() == null ? "" : t.error());
                out.printf(Locale.ROOT, "  %-40s %-16s %s%n", "", "what to do", TableStatus.resyncCommand(s.name(),
                        t.table()));
                continue;
            }
            out.printf(Locale.ROOT, "  %-40s %-16s %s%n", t.table(), t.phase().name().toLowerCase(Locale.ROOT),
                    f < 0 ? "" : String.format(Locale.ROOT, "%.0f%% copied", f * 100));
        }
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.1f GiB", b / 1073741824.0);
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
