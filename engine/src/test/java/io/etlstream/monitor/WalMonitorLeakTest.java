package io.etlstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.metrics.EngineEvent;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The old monitor leaked a connection pool whenever an error cut its loop short. Here: 300 cycles of adding and
 * removing sources against a real PostgreSQL while other sources' sampling fails; after every cycle the monitor's
 * backends in pg_stat_activity must equal the live sources, and none may remain after close.
 */
@ExtendWith(PostgresExtension.class)
class WalMonitorLeakTest {

    private static final int CYCLES = 300;

    @Test
    void addingAndRemovingSourcesWhileOthersFailNeverLeaksAConnection(PgDatabase db) throws Exception {
        Map<String, ProbeTarget> live = new ConcurrentHashMap<>();
        Set<String> failingNow = ConcurrentHashMap.newKeySet();
        List<EngineEvent> events = new CopyOnWriteArrayList<>();
        Random random = new Random(42);
        WalMonitor monitor = new WalMonitor(() -> new ArrayList<>(live.values()), events::add,
                java.time.Clock.systemUTC(), null, source -> {
                    if (failingNow.contains(source)) {
                        throw new SQLException("injected sampling failure of " + source, "XX000");
                    }
                });
        int next = 0;
        int injected = 0;
        int terminated = 0;
        long tickNanos = 0;
        long awaitNanos = 0;
        long t0 = System.nanoTime();
        try (Connection checker = db.connect()) {
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                int adds = 1 + random.nextInt(3);
                for (int i = 0; i < adds; i++) {
                    String name = "src" + (next++);
                    live.put(name, target(db, name));
                }
                List<String> names = new ArrayList<>(live.keySet());
                int removes = Math.min(names.size() - 1, random.nextInt(3) + (live.size() > 8 ? 2 : 0));
                for (int i = 0; i < removes; i++) {
                    live.remove(names.get(random.nextInt(names.size())));
                }
                failingNow.clear();
                for (String n : live.keySet()) {
                    if (random.nextInt(4) == 0) {
                        failingNow.add(n);
                        injected++;
                    }
                }
                if (cycle % 25 == 7 && !live.isEmpty()) {
                    // A real failure too: the server ends one probe's backend under it.
                    terminated += Integer.parseInt(db.queryOne("SELECT count(pg_terminate_backend(pid)) FROM"
                            + " pg_stat_activity WHERE application_name = '" + SourceProbe.APPLICATION_PREFIX
                            + live.keySet().iterator().next() + "'"));
                }
                long a = System.nanoTime();
                monitor.tick();
                tickNanos += System.nanoTime() - a;
                int expected = live.size();
                assertThat(monitor.openProbes()).isEqualTo(expected);
                long b = System.nanoTime();
                awaitBackends(checker, expected, "after cycle " + cycle);
                awaitNanos += System.nanoTime() - b;
                Map<String, WalSample> latest = monitor.latest();
                assertThat(latest.keySet()).isEqualTo(live.keySet());
                for (WalSample s : latest.values()) {
                    assertThat(s.ok()).as("sample of %s", s.source()).isEqualTo(!failingNow.contains(s.source()));
                }
            }
            monitor.close();
            awaitBackends(checker, 0, "after close");
        } finally {
            monitor.close();
        }
        System.out.printf("[leak-test] %d cycles, %d sources added, %d injected failures, %d backends terminated,"
                + " %d ms (ticks %d ms, waiting for backends to exit %d ms)%n", CYCLES, next, injected, terminated, (System.nanoTime() - t0) / 1_000_000,
                tickNanos / 1_000_000, awaitNanos / 1_000_000);
        assertThat(injected).isGreaterThan(100);
        assertThat(terminated).isGreaterThan(5);
        assertThat(events).anyMatch(e -> e.kind() == EngineEvent.Kind.WARNING
                && e.message().contains("injected sampling failure"));
    }

    static ProbeTarget target(PgDatabase db, String name) {
        return new ProbeTarget(name, db.jdbcUrl(), app -> {
            Properties p = new Properties();
            p.setProperty("user", "postgres");
            p.setProperty("ApplicationName", app);
            return DriverManager.getConnection(db.jdbcUrl(), p);
        }, Map.of());
    }

    static int backends(Connection c) throws SQLException {
        try (var st = c.createStatement();
                var rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '"
                        + SourceProbe.APPLICATION_PREFIX + "%' AND datname = current_database()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** A closed connection's backend exits a moment later: wait for the count with a deadline. */
    static void awaitBackends(Connection c, int expected, String when) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int seen;
        while ((seen = backends(c)) != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("monitor backends " + when + ": expected " + expected + ", saw " + seen);
            }
            Thread.sleep(1);
        }
    }
}
