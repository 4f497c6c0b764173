package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.source.pg.SnapshotProgress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Snapshot progress reaches the table status every time and the event log at start, end and every 5 s between. */
class SnapshotProgressReporterTest {

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    record Reported(TableRef table, TablePhase phase, long copied, long total) {}

    @Test
    void throttlesEventsPerTableButNotTheStatus() {
        List<Reported> status = new ArrayList<>();
        List<EngineEvent> events = new ArrayList<>();
        RunnerListener listener = new RunnerListener() {
            @Override
            public void tableProgress(TableRef table, TablePhase phase, long rowsCopied, long rowsTotal) {
                status.add(new Reported(table, phase, rowsCopied, rowsTotal));
            }

            @Override
            public void streaming() {
            }

            @Override
            public void progress(long committedLsn, long rowsTotal, long bytesTotal, long lagBytes, double lagSeconds,
                    double batchLatencyMillis) {
            }

            @Override
            public void failed(Throwable cause) {
            }

            @Override
            public void stopped(long confirmedLsn) {
            }
        };
        MutableClock clock = new MutableClock();
        SnapshotProgressReporter r = new SnapshotProgressReporter("orders_pipe", "pg1", listener, events::add, clock,
                Duration.ofSeconds(5));
        TableId t = new TableId("public", "orders");
        TableId u = new TableId("shop", "items");
        r.accept(new SnapshotProgress(t, 0, 0, 1_000_000, 174_000_000, Duration.ZERO, null, false));
        r.accept(new SnapshotProgress(u, 0, 0, -1, 8_192, Duration.ZERO, null, false));
        for (int i = 1; i <= 12; i++) { // one report a second for 12 s
            clock.now = clock.now.plusSeconds(1);
            r.accept(new SnapshotProgress(t, i * 50_000L, i * 9_000_000L, 1_000_000, 174_000_000,
                    Duration.ofSeconds(i), Duration.ofSeconds(20 - i), false));
        }
        clock.now = clock.now.plusSeconds(1);
        r.accept(new SnapshotProgress(t, 1_000_000, 180_000_000, 1_000_000, 174_000_000, Duration.ofSeconds(13),
                Duration.ZERO, true));
        r.accept(new SnapshotProgress(u, 3, 90, 3, 8_192, Duration.ofMillis(40), Duration.ZERO, true));

        assertThat(status).hasSize(16);
        assertThat(status.get(5)).isEqualTo(new Reported(new TableRef("public", "orders"), TablePhase.SNAPSHOTTING,
                200_000, 1_000_000));
        assertThat(status.get(1).total()).as("unknown estimate").isZero();
        // start of each table, t at 5 s and 10 s, then both ends
        assertThat(events).extracting(EngineEvent::message).containsExactly(
                "snapshot of public.orders started: about 1,000,000 rows, 174.0 MB on disk",
                "snapshot of shop.items started: 0.0 MB on disk",
                "snapshot of public.orders: 250,000 of about 1,000,000 rows (25%), 45.0 MB, about 15.0 s left",
                "snapshot of public.orders: 500,000 of about 1,000,000 rows (50%), 90.0 MB, about 10.0 s left",
                "snapshot of public.orders copied: 1,000,000 rows, 180.0 MB in 13.0 s",
                "snapshot of shop.items copied: 3 rows, 0.0 MB in 0.0 s");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.pipeline()).isEqualTo("orders_pipe");
            assertThat(e.source()).isEqualTo("pg1");
            assertThat(e.kind()).isEqualTo(EngineEvent.Kind.INFO);
        });
    }
}
