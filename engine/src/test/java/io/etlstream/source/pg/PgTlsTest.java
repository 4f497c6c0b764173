package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.source.pg.ConnectionErrors.ConnectionFailedException;
import io.etlstream.source.pg.ConnectionErrors.Kind;
import io.etlstream.testkit.pg.PgCluster;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connections to a real PostgreSQL with {@code ssl = on}, its certificate signed by a CA made at test time for
 * {@code localhost} / {@code 127.0.0.1}. The server also listens on 127.0.0.2, a name the certificate does not list.
 * User {@code tls_user} may connect only over TLS (hostssl lines only); {@code tls_reject} is turned away
 * without TLS by a {@code hostnossl ... reject} line.
 */
class PgTlsTest {

    private static final String PW = "tls-Pw-1";
    private static Path dir;
    private static TestCertificates certs;
    private static PgCluster cluster;
    private static PgDatabase db;

    @BeforeAll
    static void startTlsServer() throws Exception {
        dir = Files.createTempDirectory("etl-stream-tls-");
        certs = TestCertificates.create(dir, "localhost", "dns:localhost,ip:127.0.0.1");
        List<String> hba = List.of(
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "host replication postgres 127.0.0.1/32 trust",
                "hostnossl all tls_reject 127.0.0.0/8 reject",
                "hostssl all all 127.0.0.0/8 scram-sha-256",
                "hostssl replication all 127.0.0.0/8 scram-sha-256");
        cluster = PgCluster.start(17, new PgCluster.Setup(certs.serverFiles(), hba, Map.of(
                "ssl", "on",
                "ssl_cert_file", "server.crt",
                "ssl_key_file", "server.key",
                "listen_addresses", "127.0.0.1,127.0.0.2")));
        db = cluster.createDatabase("tls");
        db.execute("CREATE ROLE tls_user LOGIN SUPERUSER PASSWORD '" + PW + "'",
                "CREATE ROLE tls_reject LOGIN PASSWORD '" + PW + "'");
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static PgSourceConfig config(String host, String user, SslMode mode, Path ca) {
        return new PgSourceConfig(host, cluster.port(), db.name(), user, mode, ca);
    }

    @Test
    void requireEncryptsTheRegularConnection() throws Exception {
        assertThat(tlsOfOwnSession(config("127.0.0.1", "tls_user", SslMode.REQUIRE, null))).isEqualTo("true");
    }

    @Test
    void verifyCaAcceptsTheRightCaAndRefusesAnother() throws Exception {
        assertThat(tlsOfOwnSession(config("127.0.0.1", "tls_user", SslMode.VERIFY_CA, certs.caPem()))).isEqualTo("true");

        ConnectionFailedException wrongCa = fail(config("127.0.0.1", "tls_user", SslMode.VERIFY_CA, certs.otherCaPem()));
        assertThat(wrongCa.kind()).isEqualTo(Kind.TLS_CERTIFICATE);
        assertThat(wrongCa.getMessage()).contains("not signed by the CA").contains(certs.otherCaPem().toString())
                .contains("--sslrootcert").doesNotContain("\tat ");
    }

    @Test
    void verifyFullChecksTheHostName() throws Exception {
        assertThat(tlsOfOwnSession(config("localhost", "tls_user", SslMode.VERIFY_FULL, certs.caPem()))).isEqualTo("true");
        assertThat(tlsOfOwnSession(config("127.0.0.1", "tls_user", SslMode.VERIFY_FULL, certs.caPem()))).isEqualTo("true");
        // 127.0.0.2 reaches the same server, but the certificate does not name it.
        assertThat(tlsOfOwnSession(config("127.0.0.2", "tls_user", SslMode.VERIFY_CA, certs.caPem()))).isEqualTo("true");

        ConnectionFailedException wrongName = fail(config("127.0.0.2", "tls_user", SslMode.VERIFY_FULL, certs.caPem()));
        assertThat(wrongName.kind()).isEqualTo(Kind.TLS_HOSTNAME);
        assertThat(wrongName.getMessage()).contains("'127.0.0.2'").contains("not issued for").contains("verify-ca");
    }

    @Test
    void aServerThatRequiresTlsSaysSoWhenTlsIsOff() {
        ConnectionFailedException onlyHostssl = fail(config("127.0.0.1", "tls_user", SslMode.DISABLE, null));
        assertThat(onlyHostssl.kind()).isEqualTo(Kind.TLS_MISMATCH);
        assertThat(onlyHostssl.getMessage()).contains("requires TLS").contains("tls_user").contains("--sslmode require");

        ConnectionFailedException rejected = fail(config("127.0.0.1", "tls_reject", SslMode.DISABLE, null));
        assertThat(rejected.kind()).isEqualTo(Kind.TLS_MISMATCH);
        assertThat(rejected.getMessage()).contains("requires TLS").contains("tls_reject");

        // The same user with TLS is let in: the refusal above was about encryption only.
        try (PgPassword pw = PgPassword.of(PW.toCharArray());
                Connection c = new PgConnector(config("127.0.0.1", "tls_reject", SslMode.REQUIRE, null), pw).connect("t")) {
            assertThat(c.isValid(5)).isTrue();
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theReplicationStreamUsesTheSameTlsSettings() throws Exception {
        db.execute("CREATE TABLE IF NOT EXISTS tls_t (id int PRIMARY KEY, v text)", "INSERT INTO tls_t VALUES (1, 'before')");
        TableId t = new TableId("public", "tls_t");
        Path rec = dir.resolve("rec.txt");
        try (PgPassword pw = PgPassword.of(PW.toCharArray())) {
            PgConnector conn = new PgConnector(config("localhost", "tls_user", SslMode.VERIFY_FULL, certs.caPem()), pw);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "tls_stream", List.of(t), sink, SnapshotLedger.inMemory(),
                            SourceFixture.fastOptions())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING || source.failure().isPresent(),
                        Duration.ofSeconds(60), source::toString);
                db.execute("INSERT INTO tls_t VALUES (2, 'über TLS')", "UPDATE tls_t SET v = 'changed' WHERE id = 1");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(60));
                // Every session of the pipeline's user (walsender included) is encrypted; there is at least the walsender.
                assertThat(db.queryColumn("SELECT s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s ON s.pid = r.pid"
                        + " WHERE r.usename = 'tls_user'")).containsExactly("t");
                assertThat(db.queryColumn("SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid"
                        + " WHERE a.usename = 'tls_user'")).isNotEmpty().containsOnly("t");
            }
            PgSource.removePipeline(conn, "tls_stream");
        }
        List<RecordingSink.Row> rows = RecordingSink.read(rec);
        assertThat(rows).extracting(r -> r.op() + ":" + r.values().get("id") + ":" + r.values().get("v"))
                .containsSubsequence("U:1:changed").contains("I:2:über TLS");
        assertThat(rows.get(0).values().get("v")).isEqualTo("before");
    }

    /** Connects with {@code cfg} and returns pg_stat_ssl.ssl of the session as PostgreSQL sees it ("true"/"false"). */
    private static String tlsOfOwnSession(PgSourceConfig cfg) throws SQLException {
        try (PgPassword pw = PgPassword.of(PW.toCharArray());
                Connection c = new PgConnector(cfg, pw, 5).connect("tls-test"); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            return Boolean.toString(rs.getBoolean(1));
        }
    }

    private static ConnectionFailedException fail(PgSourceConfig cfg) {
        try (PgPassword pw = PgPassword.of(PW.toCharArray()); Connection c = new PgConnector(cfg, pw, 5).connect("t")) {
            throw new AssertionError("connected unexpectedly to " + cfg.displayUrl());
        } catch (ConnectionFailedException e) {
            assertThat(e.getMessage()).doesNotContain(PW);
            return e;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
