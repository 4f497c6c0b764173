package io.etlstream.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.pipeline.TableStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {

    @TempDir
    Path home;

    static PipelineStatus status(String name, long lagBytes, double rowsPerSecond, long tableRows) {
        return new PipelineStatus(name, "src", "dst", PipelineState.STREAMING, true, PipelineSettings.DEFAULTS,
                List.of(new TableStatus(TableRef.parse("public.t"), TablePhase.STREAMING, 0, 0, tableRows,
                        tableRows * 10)),
                1, lagBytes, 0.5, rowsPerSecond, rowsPerSecond * 10, 2.5, 0, 0, 0, null, null, Instant.EPOCH, 1);
    }

    @Test
    void aRingKeepsTheLastWindowOnly() {
        RingSeries r = new RingSeries(60);
        for (long s = 1000; s < 1150; s++) {
            r.record(s, s);
        }
        List<RingSeries.Point> all = r.points(0, 1150);
        assertThat(all).hasSize(60);
        assertThat(all.get(0).epochSecond()).isEqualTo(1090);
        assertThat(all.get(59).value()).isEqualTo(1149);
        assertThat(r.points(1100, 1110)).extracting(RingSeries.Point::epochSecond).containsExactly(1100L, 1101L, 1102L,
                1103L, 1104L, 1105L, 1106L, 1107L, 1108L, 1109L);
        assertThat(r.average(1100, 1110)).isEqualTo(1104.5);
        assertThat(r.average(0, 10)).isNaN();
    }

    @Test
    void chartsGetAlignedBucketAveragesOfTheWindow() {
        AtomicReference<Double> rate = new AtomicReference<>(0.0);
        MetricsRecorder recorder = new MetricsRecorder(() -> List.of(status("p", 0, rate.get(), 0)), null, 600,
                Duration.ofDays(1));
        for (long s = 1000; s < 1300; s++) {
            rate.set((double) s);
            recorder.tick(Instant.ofEpochSecond(s));
        }
        MetricKey key = new MetricKey("p", null, MetricKey.ROWS_PER_SECOND);
        Instant now = Instant.ofEpochSecond(1299);
        List<RingSeries.Point> points = recorder.downsampled(key, now, Duration.ofSeconds(120), 12);

        // 120 s in 10 s buckets aligned to multiples of 10: 1180..1290, each the mean of its seconds.
        assertThat(points).hasSize(12);
        assertThat(points.get(0)).isEqualTo(new RingSeries.Point(1180, 1184.5));
        assertThat(points.get(11)).isEqualTo(new RingSeries.Point(1290, 1294.5));
        assertThat(recorder.downsampled(key, now, Duration.ofSeconds(5), 100)).extracting(RingSeries.Point::value)
                .containsExactly(1295.0, 1296.0, 1297.0, 1298.0, 1299.0);
        assertThat(recorder.downsampled(new MetricKey("q", null, MetricKey.ROWS_PER_SECOND), now,
                Duration.ofSeconds(60), 10)).isEmpty();
    }

    @Test
    void perSecondSeriesAreDownsampledToMinutesInTheCatalogAndPruned() {
        try (Catalog catalog = Catalog.open(new EtlHome(home))) {
            long srcId = catalog.sources().add(Source.draft("src", "127.0.0.1", 5432, "db", "u")).id();
            long dstId = catalog.destinations().add(Destination.draft("dst", "acct", "http://127.0.0.1:1", "u", "r",
                    "DB", "SC", "key")).id();
            catalog.pipelines().add(Pipeline.draft("orders", srcId, dstId));

            AtomicReference<List<PipelineStatus>> now = new AtomicReference<>();
            MetricsRecorder rec = new MetricsRecorder(now::get, new CatalogMetricHistory(catalog));
            Instant t0 = Instant.parse("2026-01-01T10:00:00Z");
            // Minute 10:00 at lag 100, 10:01 at lag 200, 10:02 at 300; table rows grow by 5 per second.
            for (int s = 0; s <= 180; s++) {
                now.set(List.of(status("orders", 100L * (1 + s / 60), s / 60 + 1, 5L * s)));
                rec.tick(t0.plusSeconds(s));
            }
            Instant end = t0.plusSeconds(180);
            MetricKey lag = new MetricKey("orders", null, MetricKey.LAG_BYTES);
            assertThat(rec.recent(lag, end, Duration.ofMinutes(1))).hasSize(60);
            assertThat(rec.latest(lag, end)).isEqualTo(400);
            assertThat(rec.latest(new MetricKey("orders", "public.t", MetricKey.ROWS_PER_SECOND), end)).isEqualTo(5);
            assertThat(rec.latest(new MetricKey("orders", "public.t", MetricKey.BYTES_PER_SECOND), end)).isEqualTo(50);

            // Three completed minutes; 10:03 has one second so far and is not history yet.
            List<MetricHistory.MinutePoint> minutes = rec.history(lag, t0, end.plusSeconds(60));
            assertThat(minutes).extracting(MetricHistory.MinutePoint::minute)
                    .containsExactly(t0, t0.plusSeconds(60), t0.plusSeconds(120));
            assertThat(minutes).extracting(MetricHistory.MinutePoint::value).containsExactly(100.0, 200.0, 300.0);
            assertThat(rec.history(new MetricKey("orders", "public.t", MetricKey.ROWS_PER_SECOND), t0.plusSeconds(60),
                    end)).extracting(MetricHistory.MinutePoint::value).containsExactly(5.0, 5.0);

            // 31 days later the prune removes these minutes.
            now.set(List.of(status("orders", 1, 1, 0)));
            rec.tick(t0.plus(Duration.ofDays(31)));
            rec.tick(t0.plus(Duration.ofDays(31)).plusSeconds(61));
            assertThat(rec.history(lag, t0, end)).isEmpty();

            // A deleted pipeline's series leave memory.
            now.set(List.of());
            rec.tick(t0.plus(Duration.ofDays(32)));
            assertThat(rec.keys()).isEmpty();
        }
    }

    @Test
    void theEventLogKeepsRecentEventsAndStoresThemWithoutBlockingTheCaller() {
        try (Catalog catalog = Catalog.open(new EtlHome(home))) {
            long srcId = catalog.sources().add(Source.draft("src", "127.0.0.1", 5432, "db", "u")).id();
            long dstId = catalog.destinations().add(Destination.draft("dst", "acct", "http://127.0.0.1:1", "u", "r",
                    "DB", "SC", "key")).id();
            long pid = catalog.pipelines().add(Pipeline.draft("orders", srcId, dstId)).id();
            List<EngineEvent> sent = new ArrayList<>();
            try (EventLog log = new EventLog(3, new CatalogEventStore(catalog))) {
                for (int i = 0; i < 5; i++) {
                    EngineEvent e = new EngineEvent(Instant.now(), EngineEvent.Kind.STATE_CHANGE,
                            i == 4 ? EngineEvent.Severity.ERROR : EngineEvent.Severity.INFO, "orders", "src", "event " + i);
                    sent.add(e);
                    log.publish(e);
                }
                assertThat(log.recent(10)).containsExactlyElementsOf(sent.subList(2, 5));
            }
            var stored = catalog.events().recentForPipeline(pid, 10);
            assertThat(stored).extracting(io.etlstream.catalog.Event::message)
                    .containsExactly("event 0", "event 1", "event 2", "event 3", "event 4");
            assertThat(stored.get(4).level()).isEqualTo(io.etlstream.catalog.EventLevel.ERROR);
            assertThat(stored.get(0).sourceId()).isEqualTo(srcId);
            assertThat(stored.get(0).kind()).isEqualTo("state_change");
        }
    }
}
