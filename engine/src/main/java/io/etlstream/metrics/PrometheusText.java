package io.etlstream.metrics;

import io.etlstream.monitor.SlotSample;
import io.etlstream.monitor.WalSample;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** Renders pipeline snapshots and WAL samples in the Prometheus text exposition format (version 0.0.4). */
public final class PrometheusText {

    private PrometheusText() {}

    public static String render(List<PipelineStatus> pipelines, Collection<WalSample> wal) {
        StringBuilder b = new StringBuilder(4096);
        header(b, "etl_stream_pipeline_state", "gauge", "1 for the state the pipeline is in, 0 for the others");
        for (PipelineStatus s : pipelines) {
            for (PipelineState st : PipelineState.values()) {
                if (st == PipelineState.DELETED) {
                    continue;
                }
                b.append("etl_stream_pipeline_state{pipeline=\"").append(esc(s.name())).append("\",state=\"")
                        .append(st.label()).append("\"} ").append(s.state() == st ? 1 : 0).append('\n');
            }
        }
        gauge(b, pipelines, "etl_stream_pipeline_lag_bytes", "WAL bytes between the server and the confirmed LSN",
                PipelineStatus::lagBytes);
        gauge(b, pipelines, "etl_stream_pipeline_lag_seconds", "Age of the oldest change not yet durable",
                PipelineStatus::lagSeconds);
        gauge(b, pipelines, "etl_stream_pipeline_rows_per_second", "Rows per second over the last second",
                PipelineStatus::rowsPerSecond);
        gauge(b, pipelines, "etl_stream_pipeline_bytes_per_second", "Bytes per second over the last second",
                PipelineStatus::bytesPerSecond);
        gauge(b, pipelines, "etl_stream_pipeline_batch_latency_ms", "Decode-to-durable latency of the last batch",
                PipelineStatus::batchLatencyMillis);
        gauge(b, pipelines, "etl_stream_pipeline_committed_lsn", "Last LSN confirmed to PostgreSQL",
                s -> (double) s.lastCommittedLsn());
        gauge(b, pipelines, "etl_stream_pipeline_retry_attempt", "Consecutive failed attempts (0 when healthy)",
                s -> s.attempt());
        counter(b, pipelines, "etl_stream_pipeline_rows_total", "Rows delivered since the runner started",
                s -> (double) s.rowsTotal());
        counter(b, pipelines, "etl_stream_pipeline_bytes_total", "Bytes delivered since the runner started",
                s -> (double) s.bytesTotal());
        header(b, "etl_stream_slot_retained_bytes", "gauge", "WAL a replication slot keeps (restart_lsn lag)");
        for (WalSample w : wal) {
            for (SlotSample s : w.slots()) {
                b.append("etl_stream_slot_retained_bytes").append(slotLabels(w, s)).append(' ')
                        .append(s.retainedBytes()).append('\n');
            }
        }
        header(b, "etl_stream_slot_confirmed_lag_bytes", "gauge", "WAL between the server and confirmed_flush_lsn");
        for (WalSample w : wal) {
            for (SlotSample s : w.slots()) {
                b.append("etl_stream_slot_confirmed_lag_bytes").append(slotLabels(w, s)).append(' ')
                        .append(s.confirmedLagBytes()).append('\n');
            }
        }
        header(b, "etl_stream_source_up", "gauge", "1 when the WAL monitor could sample the source");
        for (WalSample w : wal) {
            b.append("etl_stream_source_up{source=\"").append(esc(w.source())).append("\"} ").append(w.ok() ? 1 : 0)
                    .append('\n');
        }
        return b.toString();
    }

    private static String slotLabels(WalSample w, SlotSample s) {
        return "{source=\"" + esc(w.source()) + "\",slot=\"" + esc(s.slot()) + "\",pipeline=\""
                + esc(s.pipeline() == null ? "" : s.pipeline()) + "\"}";
    }

    private static void gauge(StringBuilder b, List<PipelineStatus> ps, String name, String help,
            ToDoubleFunction<PipelineStatus> v) {
        series(b, ps, name, "gauge", help, v);
    }

    private static void counter(StringBuilder b, List<PipelineStatus> ps, String name, String help,
            ToDoubleFunction<PipelineStatus> v) {
        series(b, ps, name, "counter", help, v);
    }

    private static void series(StringBuilder b, List<PipelineStatus> ps, String name, String type, String help,
            ToDoubleFunction<PipelineStatus> v) {
        header(b, name, type, help);
        for (PipelineStatus s : ps) {
            b.append(name).append("{pipeline=\"").append(esc(s.name())).append("\"} ").append(num(v.applyAsDouble(s)))
                    .append('\n');
        }
    }

    private static void header(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String num(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return String.format(Locale.ROOT, "%.6g", d);
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
