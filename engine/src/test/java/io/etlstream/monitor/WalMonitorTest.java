package io.etlstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class WalMonitorTest {

    @Test
    void samplesSlotLagRetainedWalAndStatusFromTheServer(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE lag_t (id int PRIMARY KEY, pad text)",
                "SELECT pg_create_logical_replication_slot('lag_slot', 'pgoutput')",
                "INSERT INTO lag_t SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g");
        try {
            ProbeTarget target = new ProbeTarget("main", "k", WalMonitorLeakTest.target(db, "main").opener(),
                    Map.of("lag_slot", "orders"));
            try (WalMonitor monitor = new WalMonitor(() -> List.of(target), e -> { }, Clock.systemUTC(), null, null)) {
                List<WalSample> seen = new ArrayList<>();
                monitor.addListener(seen::add);
                long before = SourceProbe.parseLsn(db.queryOne("SELECT pg_current_wal_lsn()::text"));
                monitor.tick();
                long after = SourceProbe.parseLsn(db.queryOne("SELECT pg_current_wal_lsn()::text"));
                WalSample s = monitor.latest().get("main");
                assertThat(s.ok()).isTrue();
                assertThat(seen).containsExactly(s);
                assertThat(s.standby()).isFalse();
                // The cluster is shared with other tests (their heartbeats, autovacuum), so WAL may move during the tick.
                assertThat(s.currentLsn()).isBetween(before, after);
                SlotSample slot = s.slots().stream().filter(x -> x.slot().equals("lag_slot")).findFirst().orElseThrow();
                assertThat(slot.pipeline()).isEqualTo("orders");
                assertThat(slot.active()).isFalse();
                // 2,000 rows of ~200 bytes were written after the slot: it is behind and retains at least that much.
                assertThat(slot.confirmedLagBytes()).isGreaterThan(400_000);
                assertThat(slot.retainedBytes()).isGreaterThanOrEqualTo(slot.confirmedLagBytes());
                assertThat(slot.walStatus()).isEqualTo("reserved");
                assertThat(slot.spillBytes()).isGreaterThanOrEqualTo(0);
                assertThat(s.maxSlotWalKeepBytes()).isEqualTo(-1);
            }
        } finally {
            db.execute("SELECT pg_drop_replication_slot('lag_slot')");
        }
    }

    @Test
    void idleSourcesGetHeartbeatsTheirSlotsCanSee(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE hb_t (id int PRIMARY KEY)", "CREATE PUBLICATION hb_pub FOR TABLE hb_t",
                "SELECT pg_create_logical_replication_slot('hb_slot', 'pgoutput')");
        try {
            ProbeTarget owned = new ProbeTarget("hb", "k", WalMonitorLeakTest.target(db, "hb").opener(),
                    Map.of("hb_slot", "p"));
            try (WalMonitor monitor = new WalMonitor(() -> List.of(owned), e -> { }, Clock.systemUTC(),
                    Duration.ofHours(1), null)) {
                monitor.tick();
                monitor.tick(); // within the interval: no second heartbeat
            }
            assertThat(heartbeats(db, "hb_slot")).isEqualTo(1);
        } finally {
            db.execute("SELECT pg_drop_replication_slot('hb_slot')");
        }
    }

    @Test
    void sourcesWithoutOwnedSlotsGetNoHeartbeat(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE nohb_t (id int PRIMARY KEY)", "CREATE PUBLICATION nohb_pub FOR TABLE nohb_t",
                "SELECT pg_create_logical_replication_slot('foreign_slot', 'pgoutput')");
        try {
            ProbeTarget notOurs = new ProbeTarget("x", "k", WalMonitorLeakTest.target(db, "x").opener(), Map.of());
            try (WalMonitor monitor = new WalMonitor(() -> List.of(notOurs), e -> { }, Clock.systemUTC(),
                    Duration.ZERO, null)) {
                monitor.tick();
                assertThat(monitor.latest().get("x").slots()).extracting(SlotSample::pipeline).containsOnlyNulls();
            }
            assertThat(heartbeats(db, "foreign_slot")).isZero();
        } finally {
            db.execute("SELECT pg_drop_replication_slot('foreign_slot')");
        }
    }

    @Test
    void aChangedConnectionKeyReconnectsAndAnUnreachableSourceIsReportedNotThrown(PgDatabase db) throws Exception {
        List<io.etlstream.metrics.EngineEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<ProbeTarget> targets = new java.util.concurrent.CopyOnWriteArrayList<>();
        targets.add(WalMonitorLeakTest.target(db, "a"));
        targets.add(new ProbeTarget("down", "k", app -> java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2", "u", null), Map.of()));
        try (WalMonitor monitor = new WalMonitor(() -> List.copyOf(targets), events::add, Clock.systemUTC(), null,
                null); Connection checker = db.connect()) {
            monitor.tick();
            assertThat(monitor.latest().get("a").ok()).isTrue();
            assertThat(monitor.latest().get("down").ok()).isFalse();
            assertThat(monitor.latest().get("down").error()).isNotBlank();
            assertThat(monitor.openProbes()).isEqualTo(1);
            assertThat(events).anyMatch(e -> "down".equals(e.source()) && e.message().contains("reachable"));
            String pidBefore = db.queryOne("SELECT pid FROM pg_stat_activity WHERE application_name = '"
                    + SourceProbe.APPLICATION_PREFIX + "a'");
            targets.set(0, new ProbeTarget("a", "other-settings", targets.get(0).opener(), Map.of()));
            monitor.tick();
            WalMonitorLeakTest.awaitBackends(checker, 1, "after reconnect");
            assertThat(db.queryOne("SELECT pid FROM pg_stat_activity WHERE application_name = '"
                    + SourceProbe.APPLICATION_PREFIX + "a'")).isNotEqualTo(pidBefore);
        }
    }

    private static int heartbeats(PgDatabase db, String slot) throws Exception {
        int n = 0;
        try (Connection c = db.connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_peek_binary_changes('" + slot
                        + "', NULL, NULL, 'proto_version', '1', 'publication_names', '" + slot.replace("_slot", "_pub")
                        .replace("foreign", "nohb") + "', 'messages', 'true')")) {
            while (rs.next()) {
                byte[] m = rs.getBytes(1);
                if (m[0] == 'M' && new String(m, java.nio.charset.StandardCharsets.UTF_8)
                        .contains(SourceProbe.HEARTBEAT_PREFIX)) {
                    n++;
                }
            }
        }
        return n;
    }
}
