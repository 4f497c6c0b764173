package io.etlstream.pipeline.control;

import io.etlstream.pipeline.PipelineError;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.SourceReconnect;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.pipeline.TableStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link PipelineStatus} to and from plain maps (JSON objects with stable field names), for the control channel
 * and {@code --json} output. Both ends use the same snapshot type.
 */
public final class StatusCodec {

    private StatusCodec() {}

    public static Map<String, Object> toMap(PipelineStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("source", s.source());
        m.put("destination", s.destination());
        m.put("state", s.state().label());
        m.put("enabled", s.enabled());
        PipelineSettings st = s.settings();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("mode", st.mode().name().toLowerCase(Locale.ROOT));
        settings.put("merge_interval_seconds", st.mergeInterval().toSeconds());
        settings.put("deletes", st.deletes().name().toLowerCase(Locale.ROOT));
        settings.put("snapshot", st.snapshot());
        settings.put("parallelism", st.parallelism());
        settings.put("priority", st.priority());
        settings.put("oversize", st.oversize().name().toLowerCase(Locale.ROOT));
        m.put("settings", settings);
        List<Map<String, Object>> tables = new ArrayList<>();
        for (TableStatus t : s.tables()) {
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("table", t.table().toString());
            tm.put("phase", t.phase().name().toLowerCase(Locale.ROOT));
            tm.put("snapshot_rows_copied", t.snapshotRowsCopied());
            tm.put("snapshot_rows_total", t.snapshotRowsTotal());
            tm.put("rows_streamed", t.rowsStreamed());
            tm.put("bytes_streamed", t.bytesStreamed());
            if (t.error() != null) {
                tm.put("error", t.error());
                tm.put("suggested_action", TableStatus.resyncCommand(s.name(), t.table()));
            }
            tables.add(tm);
        }
        m.put("tables", tables);
        m.put("last_committed_lsn", PipelineStatus.formatLsn(s.lastCommittedLsn()));
        m.put("lag_bytes", s.lagBytes());
        m.put("lag_seconds", s.lagSeconds());
        m.put("rows_per_second", s.rowsPerSecond());
        m.put("bytes_per_second", s.bytesPerSecond());
        m.put("batch_latency_ms", s.batchLatencyMillis());
        m.put("rows_total", s.rowsTotal());
        m.put("bytes_total", s.bytesTotal());
        m.put("attempt", s.attempt());
        m.put("next_attempt_at", s.nextAttemptAt() == null ? null : s.nextAttemptAt().toString());
        if (s.lastError() != null) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("at", s.lastError().at().toString());
            e.put("cause", s.lastError().cause());
            e.put("suggested_action", s.lastError().suggestedAction());
            e.put("permanent", s.lastError().permanent());
            m.put("last_error", e);
        } else {
            m.put("last_error", null);
        }
        m.put("since", s.since().toString());
        m.put("version", s.version());
        SourceReconnect r = s.sourceReconnect();
        if (r != null) {
            Map<String, Object> rm = new LinkedHashMap<>();
            rm.put("attempt", r.attempt());
            rm.put("last_error", r.lastError());
            rm.put("next_attempt_at", r.nextAttemptAt() == null ? null : r.nextAttemptAt().toString());
            rm.put("since", r.since().toString());
            rm.put("never_connected", r.neverConnected());
            m.put("source_reconnecting", rm);
        } else {
            m.put("source_reconnecting", null);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    public static PipelineStatus fromMap(Map<String, Object> m) {
        Map<String, Object> st = (Map<String, Object>) m.get("settings");
        PipelineSettings settings = new PipelineSettings(
                PipelineSettings.Mode.valueOf(str(st, "mode").toUpperCase(Locale.ROOT)),
                Duration.ofSeconds(num(st, "merge_interval_seconds").longValue()),
                PipelineSettings.Deletes.valueOf(str(st, "deletes").toUpperCase(Locale.ROOT)),
                (Boolean) st.get("snapshot"), num(st, "parallelism").intValue(), num(st, "priority").intValue(),
                PipelineSettings.parseOversize(String.valueOf(st.getOrDefault("oversize", "stop"))));
        List<TableStatus> tables = new ArrayList<>();
        for (Map<String, Object> t : (List<Map<String, Object>>) m.get("tables")) {
            tables.add(new TableStatus(TableRef.parse(str(t, "table")),
                    TablePhase.valueOf(str(t, "phase").toUpperCase(Locale.ROOT)),
                    num(t, "snapshot_rows_copied").longValue(), num(t, "snapshot_rows_total").longValue(),
                    num(t, "rows_streamed").longValue(), num(t, "bytes_streamed").longValue(), str(t, "error")));
        }
        Map<String, Object> e = (Map<String, Object>) m.get("last_error");
        PipelineError error = e == null ? null : new PipelineError(Instant.parse(str(e, "at")), str(e, "cause"),
                str(e, "suggested_action"), (Boolean) e.get("permanent"));
        String next = (String) m.get("next_attempt_at");
        Map<String, Object> rm = (Map<String, Object>) m.get("source_reconnecting");
        SourceReconnect reconnect = null;
        if (rm != null) {
            String rn = (String) rm.get("next_attempt_at");
            reconnect = new SourceReconnect(num(rm, "attempt").intValue(), str(rm, "last_error"),
                    rn == null ? null : Instant.parse(rn), Instant.parse(str(rm, "since")),
                    Boolean.TRUE.equals(rm.get("never_connected"))); // absent from older engines: a lost connection
        }
        return new PipelineStatus(str(m, "name"), str(m, "source"), str(m, "destination"),
                PipelineState.valueOf(str(m, "state").toUpperCase(Locale.ROOT)), (Boolean) m.get("enabled"), settings,
                tables, PipelineStatus.parseLsn(str(m, "last_committed_lsn")), num(m, "lag_bytes").longValue(),
                num(m, "lag_seconds").doubleValue(), num(m, "rows_per_second").doubleValue(),
                num(m, "bytes_per_second").doubleValue(), num(m, "batch_latency_ms").doubleValue(),
                num(m, "rows_total").longValue(), num(m, "bytes_total").longValue(), num(m, "attempt").intValue(),
                next == null ? null : Instant.parse(next), error, Instant.parse(str(m, "since")),
                num(m, "version").longValue(), reconnect);
    }

    private static String str(Map<String, Object> m, String k) {
        return (String) m.get(k);
    }

    private static Number num(Map<String, Object> m, String k) {
        return (Number) m.get(k);
    }
}
