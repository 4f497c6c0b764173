package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.source.pg.ConnectionErrors.ConnectionFailedException;
import io.etlstream.source.pg.ConnectionErrors.Kind;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class PgConnectorTest {

    private static final char[] PW = "s3cret-Pw".toCharArray();

    @Test
    void connectsWithAPasswordHeldAsChars(PgDatabase db) throws Exception {
        db.createRole("conn_ok", "s3cret-Pw", true);
        try (PgPassword pw = PgPassword.of(PW)) {
            PgConnector connector = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "conn_ok",
                    SslMode.DISABLE, null), pw);
            try (Connection c = connector.connect("test"); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_user, current_setting('IntervalStyle')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("conn_ok");
                assertThat(rs.getString(2)).isEqualTo("postgres");
            }
            try (Connection c = connector.connectReplication("test"); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
                assertThat(rs.next()).isTrue();
            }
            assertThat(pw.toString()).isEqualTo("***");
        }
    }

    @Test
    void eachFailureHasItsOwnMessage(PgDatabase db) throws Exception {
        db.createRole("conn_user", "s3cret-Pw", false);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Set<Kind> kinds = EnumSet.noneOf(Kind.class);
        Set<String> messages = new java.util.HashSet<>();

        ConnectionFailedException unknownHost = fail(new PgSourceConfig("no-such-host.invalid", 5432, db.name(),
                "conn_user", SslMode.DISABLE, null), "s3cret-Pw");
        assertThat(unknownHost.kind()).isEqualTo(Kind.UNKNOWN_HOST);
        assertThat(unknownHost.getMessage()).contains("no-such-host.invalid").contains("check");

        ConnectionFailedException refused = fail(new PgSourceConfig(db.host(), closedPort, db.name(), "conn_user",
                SslMode.DISABLE, null), "s3cret-Pw");
        assertThat(refused.kind()).isEqualTo(Kind.REFUSED);
        assertThat(refused.getMessage()).contains(String.valueOf(closedPort)).contains("port");

        ConnectionFailedException wrongPw = fail(new PgSourceConfig(db.host(), db.port(), db.name(), "conn_user",
                SslMode.DISABLE, null), "wrong");
        assertThat(wrongPw.kind()).isEqualTo(Kind.WRONG_PASSWORD);
        assertThat(wrongPw.getMessage()).contains("password").contains("conn_user").doesNotContain("wrong");

        ConnectionFailedException noDb = fail(new PgSourceConfig(db.host(), db.port(), "no_such_db_x", "conn_user",
                SslMode.DISABLE, null), "s3cret-Pw");
        assertThat(noDb.kind()).isEqualTo(Kind.NO_DATABASE);
        assertThat(noDb.getMessage()).contains("no_such_db_x").contains("does not exist");

        // The test server has no TLS: asking for it is a mismatch, reported as such.
        ConnectionFailedException tls = fail(new PgSourceConfig(db.host(), db.port(), db.name(), "conn_user",
                SslMode.REQUIRE, null), "s3cret-Pw");
        assertThat(tls.kind()).isEqualTo(Kind.TLS_MISMATCH);
        assertThat(tls.getMessage()).contains("TLS").contains("sslmode");

        for (ConnectionFailedException e : new ConnectionFailedException[] {unknownHost, refused, wrongPw, noDb, tls}) {
            kinds.add(e.kind());
            messages.add(e.getMessage());
            assertThat(e.getMessage()).doesNotContain("s3cret").doesNotContain("\tat ");
        }
        assertThat(kinds).hasSize(5);
        assertThat(messages).hasSize(5);
    }

    @Test
    void aMissingCaFileIsReportedBeforeConnecting(PgDatabase db) {
        PgSourceConfig cfg = new PgSourceConfig(db.host(), db.port(), db.name(), "x", SslMode.VERIFY_FULL,
                Path.of("/nonexistent/ca.pem"));
        try (PgPassword pw = PgPassword.none()) {
            assertThatThrownBy(() -> new PgConnector(cfg, pw).connect("test"))
                    .isInstanceOf(UserFacingException.class).hasMessageContaining("/nonexistent/ca.pem");
        }
        assertThatThrownBy(() -> new PgSourceConfig(db.host(), db.port(), db.name(), "x", SslMode.VERIFY_CA, null))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("--sslrootcert");
    }

    @Test
    void urlsAreParsedAndPasswordsInThemRefused() {
        PgSourceConfig c = PgSourceConfig.fromUrl("postgresql://etl%40corp@db.example.com:6543/My%20Db?sslmode=verify-full&sslrootcert=/etc/ca.pem");
        assertThat(c.user()).isEqualTo("etl@corp");
        assertThat(c.host()).isEqualTo("db.example.com");
        assertThat(c.port()).isEqualTo(6543);
        assertThat(c.database()).isEqualTo("My Db");
        assertThat(c.sslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(c.sslRootCert()).isEqualTo(Path.of("/etc/ca.pem"));
        assertThat(PgSourceConfig.fromUrl("postgres://u@h/d").port()).isEqualTo(5432);
        assertThatThrownBy(() -> PgSourceConfig.fromUrl("postgresql://u:hunter2@h/d"))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("password").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> PgSourceConfig.fromUrl("mysql://u@h/d")).isInstanceOf(UserFacingException.class);
    }

    private static ConnectionFailedException fail(PgSourceConfig cfg, String password) {
        try (PgPassword pw = PgPassword.of(password.toCharArray())) {
            try (Connection c = new PgConnector(cfg, pw, 5).connect("test")) {
                throw new AssertionError("connected unexpectedly to " + cfg.displayUrl());
            } catch (ConnectionFailedException e) {
                return e;
            } catch (java.sql.SQLException e) {
                throw new AssertionError(e);
            }
        }
    }
}
