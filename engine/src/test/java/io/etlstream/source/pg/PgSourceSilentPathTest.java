package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replication timeout: a network path that silently swallows everything (no FIN, no RST: a host or NAT gone) is
 * noticed within the configured time, the source reconnects once the path is back (ending the abandoned walsender
 * that still holds the slot, instead of waiting out wal_sender_timeout) and the sink gets exactly the source's
 * changes. A walsender that is busy but alive (a sink applying back-pressure, a large transaction decoded at commit
 * on PostgreSQL 13) does not trip it.
 */
@ExtendWith(PostgresExtension.class)
class PgSourceSilentPathTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void aSilentPathIsNoticedWithinTheTimeoutAndTheStreamResumesExactly(PgDatabase db) throws Exception {
        walSenderTimeout(db, "0");
        db.execute("CREATE TABLE bh (id int PRIMARY KEY)");
        TableId t = new TableId("public", "bh");
        Path rec = dir.resolve("bh.rec");
        PgSource.Options options = fastOptions().withReplicationTimeout(TIMEOUT)
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        // One insert per transaction, straight to the server (not through the proxy), before, during and after the
        // outage: commit order is id order.
        Thread writer = new Thread(() -> {
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                while (writing.get()) {
                    st.execute("INSERT INTO bh VALUES (" + (written.get() + 1) + ")");
                    written.incrementAndGet();
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "bh-writer");
        try (PgPassword pw = PgPassword.none(); TcpProxy proxy = new TcpProxy(db.host(), db.port())) {
            // A connection attempt into the swallowing path fails at the login timeout (twice this).
            PgConnector conn = SourceFixture.throughProxy(proxy, db, pw, 2);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "blackhole", List.of(t), sink,
                            SnapshotLedger.inMemory(), options)) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                String walsender = activePid(db);
                writer.start();
                SourceFixture.await(() -> written.get() > 50, Duration.ofSeconds(20), () -> "writer stuck");
                awaitCaughtUp(db, source, Duration.ofSeconds(30));

                long cut = System.nanoTime();
                System.out.println("blackhole at " + java.time.Instant.now());
                proxy.blackhole();
                SourceFixture.await(() -> source.status().reconnects() > 0, TIMEOUT.plusSeconds(10),
                        source::toString);
                long noticedMs = (System.nanoTime() - cut) / 1_000_000;
                PgSource.Status noticed = source.status();
                System.out.println("silent path noticed after " + noticedMs + " ms (replication timeout "
                        + TIMEOUT.toMillis() + " ms)");
                assertThat(noticed.lastError()).as(noticed.toString()).contains("did not answer");
                assertThat(noticedMs).as("from the blackhole to RECONNECTING").isLessThan(TIMEOUT.toMillis() + 3000);
                // The silence counts from the last word of the server, which came at most a third of the timeout
                // before the cut (the reader asks for one then).
                assertThat(noticedMs).as("not before the timeout").isGreaterThan(TIMEOUT.toMillis() * 2 / 3 - 100);

                // The path stays dead for a while: attempts into it fail, nothing streams.
                long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (System.nanoTime() < until) {
                    assertThat(source.status().state()).isNotEqualTo(SourceState.STREAMING);
                    Thread.sleep(50);
                }
                assertThat(proxy.swallowedBytes()).as("the path swallowed traffic").isPositive();
                assertThat(activePid(db)).as("the abandoned walsender still holds the slot: the server cannot tell")
                        .isEqualTo(walsender);

                long back = System.nanoTime();
                proxy.restore();
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(40),
                        source::toString);
                long resumedMs = (System.nanoTime() - back) / 1_000_000;
                System.out.println("streaming again " + resumedMs + " ms after the path came back");
                // wal_sender_timeout (60 s) would free the slot much later: the source ended its old walsender.
                assertThat(resumedMs).as("back to STREAMING after the path returned").isLessThan(20_000);
                assertThat(activePid(db)).isNotEqualTo(walsender);

                Thread.sleep(500);
                writing.set(false);
                writer.join(10_000);
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
                assertThat(source.status().state()).isEqualTo(SourceState.STREAMING);
            } finally {
                writing.set(false);
                writer.join(10_000);
                PgSource.removePipeline(SourceFixture.connector(db, pw), "blackhole");
            }
        }
        // Deduplicated by commit LSN and seq (a transaction may come again after a reconnect): every committed
        // insert once, in commit order, and nothing else.
        Map<String, Integer> changes = new LinkedHashMap<>();
        for (RecordingSink.Row r : RecordingSink.read(rec)) {
            int id = Integer.parseInt(r.values().get("id"));
            Integer before = changes.putIfAbsent(r.lsn() + ":" + r.seq(), id);
            assertThat(before == null || before == id).as("a change delivered again is the same change").isTrue();
        }
        assertThat(written.get()).isGreaterThan(300);
        assertThat(new ArrayList<>(changes.values())).as("every change once, in commit order")
                .isEqualTo(IntStream.rangeClosed(1, written.get()).boxed().toList());
    }

    /**
     * A server that answers every login and then falls silent: each connection that fell silent soon after it opened,
     * with nothing received, doubles the next one's timeout (1, 2, 4, 8 s), so the source does not reconnect in a
     * tight loop; a transaction received brings it back to the configured second.
     */
    @Test
    void repeatedTimeoutsWithoutATransactionDoubleTheTimeoutAndATransactionResetsIt(PgDatabase db) throws Exception {
        walSenderTimeout(db, "0");
        db.execute("CREATE TABLE esc (id int PRIMARY KEY)");
        TableId t = new TableId("public", "esc");
        Duration timeout = Duration.ofSeconds(1);
        PgSource.Options options = fastOptions().withReplicationTimeout(timeout)
                .withBackoff(new ReconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(100), 0,
                        Duration.ofMinutes(1)));
        try (PgPassword pw = PgPassword.none(); TcpProxy proxy = new TcpProxy(db.host(), db.port())) {
            PgConnector conn = SourceFixture.throughProxy(proxy, db, pw, 2);
            try (PgSource source = SourceFixture.start(conn, "escalate", List.of(t), new NullSink(),
                    SnapshotLedger.inMemory(), options)) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                proxy.swallowEachConnectionAfter(Duration.ofMillis(1500));
                source.abortStreamConnection(); // the next stream is the first to fall silent
                // Each timeout names the limit it enforced: exact, whatever the machine's load does to the timing.
                List<String> limits = silenceLimits(source, 4, Duration.ofSeconds(90));
                proxy.swallowEachConnectionAfter(null);
                System.out.println("limits of the silence timeouts: " + limits);
                assertThat(limits).as("each connection silent from its start doubles the next one's limit")
                        .containsExactly("1", "2", "4", "8");

                // Healthy again: a transaction comes through, then a fresh connection has the configured second.
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("INSERT INTO esc VALUES (1)");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));
                int before = source.status().reconnects();
                source.abortStreamConnection();
                SourceFixture.await(() -> source.status().reconnects() > before
                        && source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                Thread.sleep(300);
                int beforeCut = source.status().reconnects();
                long cut = System.nanoTime();
                proxy.blackhole();
                SourceFixture.await(() -> source.status().reconnects() > beforeCut, Duration.ofSeconds(20),
                        source::toString);
                long noticedMs = (System.nanoTime() - cut) / 1_000_000;
                assertThat(source.status().lastError()).contains("did not answer").contains(" for 1 s ");
                assertThat(noticedMs).as("back to the configured timeout after a transaction").isLessThan(4000);
                proxy.restore();
            } finally {
                PgSource.removePipeline(SourceFixture.connector(db, pw), "escalate");
            }
        }
    }

    /**
     * An idle source (no transaction at all, heartbeats off) whose path dies, comes back, works for a while and dies
     * again: the second outage is noticed after the configured timeout too, not after twice it.
     */
    @Test
    void repeatedOutagesOfAnIdleSourceAreEachNoticedWithinTheConfiguredTimeout(PgDatabase db) throws Exception {
        walSenderTimeout(db, "0");
        db.execute("CREATE TABLE idle_bh (id int PRIMARY KEY)");
        TableId t = new TableId("public", "idle_bh");
        PgSource.Options options = fastOptions().withReplicationTimeout(TIMEOUT)
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1));
        try (PgPassword pw = PgPassword.none(); TcpProxy proxy = new TcpProxy(db.host(), db.port())) {
            PgConnector conn = SourceFixture.throughProxy(proxy, db, pw, 2);
            try (PgSource source = SourceFixture.start(conn, "idleout", List.of(t), new NullSink(),
                    SnapshotLedger.inMemory(), options)) {
                List<String> limits = new ArrayList<>();
                List<Long> noticed = new ArrayList<>();
                for (int outage = 0; outage < 2; outage++) {
                    SourceFixture.await(() -> source.status().state() == SourceState.STREAMING,
                            Duration.ofSeconds(40), source::toString);
                    // Healthy and idle for more than three timeouts: the connection worked, its path then died.
                    Thread.sleep(TIMEOUT.toMillis() * 4);
                    int before = source.status().reconnects();
                    long cut = System.nanoTime();
                    proxy.blackhole();
                    SourceFixture.await(() -> source.status().reconnects() > before, Duration.ofSeconds(30),
                            source::toString);
                    noticed.add((System.nanoTime() - cut) / 1_000_000);
                    limits.add(limitOf(source.status().lastError()));
                    proxy.restore();
                }
                System.out.println("idle outages noticed after " + noticed + " ms, limits " + limits);
                String configured = String.valueOf(TIMEOUT.toSeconds());
                assertThat(limits).as("both outages under the configured limit").containsExactly(configured,
                        configured);
                assertThat(noticed.get(1)).as("second outage noticed (ms)").isLessThan(TIMEOUT.toMillis() + 3000);
            } finally {
                PgSource.removePipeline(SourceFixture.connector(db, pw), "idleout");
            }
        }
    }

    /**
     * A stop while the path is dead but the replication timeout has not noticed it yet: the clean close's CopyDone
     * handshake would wait for an answer that never comes (until the operating system gives up, minutes later). It
     * gives up after {@link ReplicationStream#CLOSE_TIMEOUT_MS}.
     */
    @Test
    void aStopDuringAnOutageNobodyNoticedYetDoesNotWaitForTheDeadPath(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE stop_bh (id int PRIMARY KEY)");
        TableId t = new TableId("public", "stop_bh");
        try (PgPassword pw = PgPassword.none(); TcpProxy proxy = new TcpProxy(db.host(), db.port())) {
            PgConnector conn = SourceFixture.throughProxy(proxy, db, pw, 2);
            try {
                PgSource source = SourceFixture.start(conn, "stopbh", List.of(t), new NullSink(),
                        SnapshotLedger.inMemory(), fastOptions().withReplicationTimeout(Duration.ofSeconds(60)));
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                proxy.blackhole();
                Thread.sleep(500);
                long t0 = System.nanoTime();
                source.close();
                long closeMs = (System.nanoTime() - t0) / 1_000_000;
                System.out.println("stop during an unnoticed outage took " + closeMs + " ms");
                assertThat(source.status().reconnects()).as("the outage was not noticed before the stop").isZero();
                // Without a limit on the handshake the reader outlives close()'s patience (the drain budget + 20 s).
                assertThat(closeMs).as("close() during the outage (ms)")
                        .isLessThan(ReplicationStream.CLOSE_TIMEOUT_MS + 5_000);
            } finally {
                proxy.restore();
                PgSource.removePipeline(SourceFixture.connector(db, pw), "stopbh");
            }
        }
    }

    /**
     * PostgreSQL 13 decodes a large transaction on a table outside the publication at its commit and sends nothing
     * of it; meanwhile the walsender reads the reader's reply requests only every wal_sender_timeout/2. With
     * wal_sender_timeout four times the configured limit the source raises its limit above that instead of giving up
     * on a healthy walsender (which the next one would follow by decoding the same transaction again).
     */
    @Test
    @Pg(version = 13)
    void aLargeFilteredOutTransactionDoesNotTripATimeoutBelowHalfTheWalSenderTimeout(PgDatabase db)
            throws Exception {
        walSenderTimeout(db, "4s");
        db.execute("ALTER DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE pub13 (id int PRIMARY KEY)", "CREATE TABLE unpub13 (id int, pad text)");
        TableId t = new TableId("public", "pub13");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            NullSink sink = new NullSink();
            try (PgSource source = SourceFixture.start(conn, "filtered13", List.of(t), sink,
                    SnapshotLedger.inMemory(), fastOptions().withReplicationTimeout(Duration.ofSeconds(1)))) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(60),
                        source::toString);
                long t0 = System.nanoTime();
                db.execute("INSERT INTO unpub13 SELECT g, repeat('x', 50) FROM generate_series(1, 1000000) g");
                long committed = System.nanoTime();
                db.execute("INSERT INTO pub13 VALUES (1)");
                SourceFixture.await(() -> sink.rows() >= 1 || source.failure().isPresent(), Duration.ofSeconds(240),
                        source::toString);
                System.out.println("filtered transaction: insert took " + (committed - t0) / 1_000_000
                        + " ms, the next published row arrived " + (System.nanoTime() - committed) / 1_000_000
                        + " ms after its commit");
                assertThat(source.failure()).isEmpty();
                assertThat(sink.rows()).isEqualTo(1);
                assertThat(source.status().reconnects()).as(source.status().toString()).isZero();
            } finally {
                PgSource.removePipeline(conn, "filtered13");
            }
        }
    }

    /**
     * Without the wal_sender_timeout floor (a server whose walsender does not answer during such a replay, or answers
     * later than the limit): each new walsender decodes the transaction again and falls silent again. The abandoned
     * walsender is found busy when the source ends it, so the next connection waits twice as long, until one lets the
     * replay finish; a fixed limit would reconnect for ever.
     */
    @Test
    @Pg(version = 13)
    void aWalsenderFoundBusyWhenGivenUpOnDoublesTheNextTimeout(PgDatabase db) throws Exception {
        walSenderTimeout(db, "4s");
        db.execute("ALTER DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE pub13b (id int PRIMARY KEY)", "CREATE TABLE unpub13b (id int, pad text)");
        TableId t = new TableId("public", "pub13b");
        ReplicationStream.walSenderTimeoutFloor = false;
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            NullSink sink = new NullSink();
            try (PgSource source = SourceFixture.start(conn, "busy13", List.of(t), sink, SnapshotLedger.inMemory(),
                    fastOptions().withReplicationTimeout(Duration.ofSeconds(1)))) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(60),
                        source::toString);
                db.execute("INSERT INTO unpub13b SELECT g, repeat('x', 50) FROM generate_series(1, 1000000) g");
                db.execute("INSERT INTO pub13b VALUES (1)");
                List<String> limits = new ArrayList<>();
                int seen = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
                while (sink.rows() < 1 && source.failure().isEmpty() && System.nanoTime() < deadline) {
                    PgSource.Status st = source.status();
                    if (st.reconnects() > seen) {
                        seen = st.reconnects();
                        limits.add(limitOf(st.lastError()));
                    }
                    Thread.sleep(10);
                }
                System.out.println("busy walsender: limits of the timeouts " + limits);
                assertThat(source.failure()).isEmpty();
                assertThat(sink.rows()).as("the replay finished; timeouts " + limits).isEqualTo(1);
                assertThat(limits).as("it did fall silent at the configured limit first").startsWith("1");
                assertThat(limits.size()).as("timeouts " + limits).isLessThanOrEqualTo(4);
            } finally {
                PgSource.removePipeline(conn, "busy13");
            }
        } finally {
            ReplicationStream.walSenderTimeoutFloor = true;
        }
    }

    /** The limits named by the next {@code count} silence timeouts of {@code source}. */
    static List<String> silenceLimits(PgSource source, int count, Duration within) throws InterruptedException {
        List<String> limits = new ArrayList<>();
        int seen = source.status().reconnects();
        long deadline = System.nanoTime() + within.toNanos();
        while (limits.size() < count && System.nanoTime() < deadline) {
            PgSource.Status s = source.status();
            if (s.reconnects() > seen) {
                seen = s.reconnects();
                if (String.valueOf(s.lastError()).contains("did not answer")) {
                    limits.add(limitOf(s.lastError()));
                }
            }
            Thread.sleep(10);
        }
        return limits;
    }

    /** "1" from "... did not answer on the replication connection for 1 s (...". */
    static String limitOf(String error) {
        var m = java.util.regex.Pattern.compile("did not answer on the replication connection for ([0-9.]+) s")
                .matcher(String.valueOf(error));
        return m.find() ? m.group(1) : "no limit in: " + error;
    }

    @Test
    void aSinkHoldingTheReaderFiveTimesTheTimeoutDoesNotTripIt(PgDatabase db) throws Exception {
        walSenderTimeout(db, "0");
        db.execute("CREATE TABLE bp (id int PRIMARY KEY, pad text)");
        TableId t = new TableId("public", "bp");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            // 15 s on the first batch: five times the timeout
            PgSourceLivenessTest.BlockingSink sink = new PgSourceLivenessTest.BlockingSink(Duration.ofSeconds(15));
            try (PgSource source = SourceFixture.start(conn, "backpressure", List.of(t), sink,
                    SnapshotLedger.inMemory(), fastOptions().withQueueCapacity(2).withReplicationTimeout(TIMEOUT))) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                String walsender = activePid(db);
                for (int i = 0; i < 40; i++) {
                    db.execute("INSERT INTO bp SELECT g, repeat('p', 100) FROM generate_series(" + (i * 500 + 1)
                            + ", " + (i * 500 + 500) + ") g");
                }
                long t0 = System.nanoTime();
                SourceFixture.await(sink.blocked::get, Duration.ofSeconds(10), () -> "sink never got a batch");
                awaitCaughtUp(db, source, Duration.ofSeconds(120));
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("the sink really held the reader")
                        .isGreaterThan(Duration.ofSeconds(12));
                assertThat(source.status().reconnects()).as(source.status().toString()).isZero();
                assertThat(activePid(db)).as("the same walsender served the whole time").isEqualTo(walsender);
                assertThat(sink.inner.rows()).isEqualTo(20_000);
            } finally {
                PgSource.removePipeline(conn, "backpressure");
            }
        }
    }

    /**
     * PostgreSQL 13 has no streaming of large transactions: the walsender reads the whole transaction from WAL (and
     * spills it under a tiny logical_decoding_work_mem) before it sends a byte of it. It still answers the reader's
     * reply requests meanwhile, so a short timeout does not fire.
     */
    @Test
    @Pg(version = 13)
    void aLargeTransactionDecodedAtCommitOnPg13DoesNotTripIt(PgDatabase db) throws Exception {
        walSenderTimeout(db, "0");
        assertThat(db.queryOne("SHOW server_version_num")).startsWith("13");
        db.execute("ALTER DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE big13 (id int PRIMARY KEY, pad text)");
        TableId t = new TableId("public", "big13");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            NullSink sink = new NullSink();
            try (PgSource source = SourceFixture.start(conn, "big13_" + db.name(), List.of(t), sink,
                    SnapshotLedger.inMemory(), fastOptions().withReplicationTimeout(TIMEOUT))) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(60),
                        source::toString);
                db.execute("INSERT INTO big13 SELECT g, repeat('x', 200) FROM generate_series(1, 400000) g");
                db.execute("INSERT INTO big13 VALUES (0, 'last')");
                SourceFixture.await(() -> sink.rows() >= 400_001 || source.failure().isPresent(),
                        Duration.ofSeconds(180), source::toString);
                assertThat(source.failure()).isEmpty();
                assertThat(source.status().reconnects()).as(source.status().toString()).isZero();
                assertThat(sink.rows()).isEqualTo(400_001);
            } finally {
                PgSource.removePipeline(conn, "big13_" + db.name());
            }
        }
    }

    /**
     * Sets this test database's wal_sender_timeout (a user setting since PostgreSQL 12, read by the walsender at its
     * login). Timeouts of a few seconds need it at 0 (or a few seconds): the source keeps its timeout above half the
     * server's, 30 s by default.
     */
    static void walSenderTimeout(PgDatabase db, String value) {
        db.execute("ALTER DATABASE " + db.name() + " SET wal_sender_timeout = '" + value + "'");
    }

    private static String activePid(PgDatabase db) {
        return db.queryOne("SELECT coalesce(active_pid, 0) FROM pg_replication_slots"
                + " WHERE slot_name = 'etl_stream_blackhole' OR slot_name = 'etl_stream_backpressure'");
    }
}
