package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.PgCluster;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replication stream's end-of-stream probe (a 1 ms timeout read on pgjdbc's socket, see
 * {@link ReplicationStream}) on a TLS replication connection, where that read goes through the JDK's SSLSocket: an
 * ended connection is still noticed at once and the source resumes exactly; a busy healthy stream whose TLS records
 * arrive in pieces (so the probe's read times out in the middle of a record) loses, repeats and corrupts nothing.
 * A real PostgreSQL 17 with {@code ssl = on} and only {@code hostssl} lines for the pipeline's user.
 */
class PgSourceTlsProbeTest {

    private static final String PW = "probe-Tls-1";
    private static final Duration STATUS = Duration.ofSeconds(10);
    private static Path certDir;
    private static TestCertificates certs;
    private static PgCluster cluster;
    private static PgDatabase db;

    @TempDir
    Path dir;

    @BeforeAll
    static void startTlsServer() throws Exception {
        certDir = Files.createTempDirectory("etl-stream-probe-tls-");
        certs = TestCertificates.create(certDir, "localhost", "dns:localhost,ip:127.0.0.1");
        cluster = PgCluster.start(17, new PgCluster.Setup(certs.serverFiles(), List.of(
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "host replication postgres 127.0.0.1/32 trust",
                "hostssl all all 127.0.0.0/8 scram-sha-256",
                "hostssl replication all 127.0.0.0/8 scram-sha-256"), Map.of(
                "ssl", "on",
                "ssl_cert_file", "server.crt",
                "ssl_key_file", "server.key")));
        db = cluster.createDatabase("probe_tls");
        db.execute("CREATE ROLE tls_probe LOGIN SUPERUSER PASSWORD '" + PW + "'");
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (certDir != null) {
            try (var files = Files.walk(certDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static PgConnector tlsThrough(TcpProxy proxy, SslMode mode, PgPassword pw) {
        return new PgConnector(new PgSourceConfig(proxy.host(), proxy.port(), db.name(), "tls_probe", mode,
                mode == SslMode.REQUIRE ? null : certs.caPem()), pw);
    }

    private static PgConnector plain(PgPassword pw) {
        return new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres", SslMode.DISABLE, null),
                pw);
    }

    private static PgSource.Options options() {
        return SourceFixture.fastOptions().withStatusInterval(STATUS)
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1));
    }

    /** Waits until the source reconnected once more than {@code before}; returns the milliseconds since {@code t0}. */
    private static long awaitReconnect(PgSource source, int before, long t0) {
        SourceFixture.await(() -> source.status().reconnects() > before, Duration.ofSeconds(9),
                () -> source.status().toString());
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void anEndedTlsConnectionIsNoticedAtOnceAndTheSourceResumesExactly() throws Exception {
        db.execute("CREATE TABLE dead_tls (id int PRIMARY KEY)");
        TableId t = new TableId("public", "dead_tls");
        Path rec = dir.resolve("dead.rec");
        try (PgPassword pw = PgPassword.of(PW.toCharArray()); TcpProxy proxy = new TcpProxy(db.host(), db.port())) {
            PgConnector conn = tlsThrough(proxy, SslMode.VERIFY_FULL, pw);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "dead_tls", List.of(t), sink, SnapshotLedger.inMemory(),
                            options())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(60),
                        source::toString);
                assertThat(db.queryColumn("SELECT s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s ON s.pid = r.pid"
                        + " WHERE r.usename = 'tls_probe'")).containsExactly("t");
                db.execute("INSERT INTO dead_tls SELECT generate_series(1, 100)");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));

                // 1. The network drops the connection: a FIN with no TLS close_notify, no PostgreSQL goodbye.
                Thread.sleep(500); // just after a status update, so the next one (10 s on) cannot be what notices
                db.execute("INSERT INTO dead_tls SELECT generate_series(101, 150)"); // maybe on its way at the cut
                long cut = System.nanoTime();
                proxy.cutAll();
                long cutMs = awaitReconnect(source, 0, cut);
                System.out.println("TLS: cut connection noticed after " + cutMs + " ms; " + source.status());
                assertThat(cutMs).as("cut to RECONNECTING (status interval %s)", STATUS).isLessThan(4000);
                assertThat(source.status().lastError()).contains("replication connection");
                awaitStreaming(source);
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));

                // 2. The server ends the walsender: a FATAL error, then TLS close_notify and FIN.
                Thread.sleep(500);
                db.execute("INSERT INTO dead_tls SELECT generate_series(151, 200)");
                long kill = System.nanoTime();
                assertThat(db.queryColumn("SELECT pg_terminate_backend(pid) FROM pg_stat_replication"
                        + " WHERE usename = 'tls_probe'")).containsExactly("t");
                long killMs = awaitReconnect(source, 1, kill);
                System.out.println("TLS: terminated walsender noticed after " + killMs + " ms; " + source.status());
                assertThat(killMs).as("terminate to RECONNECTING").isLessThan(4000);
                awaitStreaming(source);
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));

                // 3. The whole server goes down (fast shutdown) and comes back: the walsender sends CommandComplete,
                // which pgjdbc's non-blocking read leaves unread, then TLS close_notify and FIN.
                Thread.sleep(500);
                db.execute("INSERT INTO dead_tls SELECT generate_series(201, 250)");
                int before = source.status().reconnects();
                cluster.stop();
                // From when pg_ctl returns (the server is down): its shutdown checkpoint is not the source's time.
                long down = System.nanoTime();
                try {
                    long downMs = awaitReconnect(source, before, down);
                    System.out.println("TLS: server shutdown noticed " + downMs + " ms after it was down; "
                            + source.status());
                    assertThat(downMs).as("server down to RECONNECTING (status interval %s)", STATUS)
                            .isLessThan(5000);
                } finally {
                    cluster.startAgain();
                }
                awaitStreaming(source);
                db.execute("INSERT INTO dead_tls SELECT generate_series(251, 300)");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(60));
                assertThat(source.status().reconnects()).isGreaterThanOrEqualTo(3);
            } finally {
                PgSource.removePipeline(plain(pw), "dead_tls");
            }
        }
        // A sink may see a transaction again after a reconnect (it dedupes by commit LSN and seq, see package-info):
        // after that, every change exactly once, in commit order.
        Map<String, Integer> changes = new LinkedHashMap<>();
        for (RecordingSink.Row r : RecordingSink.read(rec)) {
            Integer id = Integer.parseInt(r.values().get("id"));
            Integer before = changes.putIfAbsent(r.lsn() + ":" + r.seq(), id);
            assertThat(before == null || before.equals(id)).as("a change delivered again is the same change").isTrue();
        }
        assertThat(List.copyOf(changes.values())).as("every change once, in commit order")
                .isEqualTo(IntStream.rangeClosed(1, 300).boxed().toList());
    }

    @Test
    void aBusyTlsStreamWhoseRecordsArriveInPiecesIsNotCorruptedByTheProbe() throws Exception {
        db.execute("CREATE TABLE busy_tls (id int PRIMARY KEY, v text)");
        TableId t = new TableId("public", "busy_tls");
        Path rec = dir.resolve("busy.rec");
        int rows;
        try (PgPassword pw = PgPassword.of(PW.toCharArray());
                TcpProxy proxy = TcpProxy.trickling(db.host(), db.port())) {
            PgConnector conn = tlsThrough(proxy, SslMode.REQUIRE, pw);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "busy_tls", List.of(t), sink, SnapshotLedger.inMemory(),
                            options())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(60),
                        source::toString);
                // Single-row transactions (a lull after each, where the stream polls and the probe runs) and every
                // seventh a row of 40 KB to 570 KB: one pgoutput message over dozens of 16 KB TLS records.
                AtomicReference<Throwable> writerFailed = new AtomicReference<>();
                int total = 280;
                Thread writer = new Thread(() -> {
                    try {
                        for (int i = 1; i <= total; i++) {
                            int repeats = i % 7 == 0 ? 1_000 + (i * 7919) % 14_000 : 1 + i % 20;
                            db.execute("INSERT INTO busy_tls VALUES (" + i + ", repeat(md5('" + i + "') || 'é€|',"
                                    + repeats + "))");
                            Thread.sleep(i % 3 == 0 ? 0 : 15);
                        }
                    } catch (Throwable e) {
                        writerFailed.set(e);
                    }
                }, "busy-tls-writer");
                writer.start();
                writer.join(120_000);
                assertThat(writer.isAlive()).as("writer still running").isFalse();
                assertThat(writerFailed.get()).isNull();
                rows = total;
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(120));
                PgSource.Status s = source.status();
                System.out.println("TLS busy stream through a trickling proxy: " + s);
                assertThat(s.reconnects()).as("a healthy stream is never taken for a dead one: " + s).isZero();
                assertThat(s.lastError()).as(s.toString()).isNull();
            } finally {
                PgSource.removePipeline(plain(pw), "busy_tls");
            }
        }
        Map<String, String> expected = new TreeMap<>();
        for (String line : db.queryColumn("SELECT id || '|' || length(v) || '|' || md5(v) FROM busy_tls")) {
            String[] f = line.split("\\|");
            expected.put(f[0], f[1] + "|" + f[2]);
        }
        assertThat(expected).hasSize(rows);
        Map<String, String> received = new TreeMap<>();
        long bytes = 0;
        for (RecordingSink.Row r : RecordingSink.read(rec)) {
            assertThat(r.op()).isEqualTo("I");
            String v = r.values().get("v");
            bytes += v.length();
            String previous = received.put(r.values().get("id"), v.length() + "|" + md5(v));
            assertThat(previous).as("row %s arrived twice", r.values().get("id")).isNull();
        }
        System.out.println("TLS busy stream: " + received.size() + " rows, " + bytes + " characters");
        assertThat(received).isEqualTo(expected);
    }

    private static void awaitStreaming(PgSource source) {
        SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                source::toString);
    }

    private static String md5(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
