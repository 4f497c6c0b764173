package io.etlstream.testkit.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

@ExtendWith(PostgresExtension.class)
class PgHarnessTest {

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void aPgoutputSlotSeesAnInsertedRow(PgDatabase db) throws SQLException {
        assertThat(db.queryOne("SHOW wal_level")).isEqualTo("logical");
        assertThat(db.queryOne("SHOW server_version_num")).startsWith(String.valueOf(db.major()));

        db.execute("CREATE TABLE harness_t (id int PRIMARY KEY, note text)",
                "CREATE PUBLICATION harness_pub FOR TABLE harness_t",
                "SELECT pg_create_logical_replication_slot('harness_slot', 'pgoutput')",
                "INSERT INTO harness_t VALUES (42, 'hello from the harness')");

        List<byte[]> messages = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_peek_binary_changes('harness_slot', NULL,"
                        + " NULL, 'proto_version', '1', 'publication_names', 'harness_pub')")) {
            while (rs.next()) {
                messages.add(rs.getBytes(1));
            }
        } finally {
            db.execute("SELECT pg_drop_replication_slot('harness_slot')");
        }

        // pgoutput: Begin, Relation, Insert, Commit for one single-row transaction.
        assertThat(messages).extracting(m -> (char) m[0]).containsExactly('B', 'R', 'I', 'C');
        String insert = new String(messages.get(2), StandardCharsets.UTF_8);
        assertThat(insert).contains("hello from the harness").contains("42");
    }

    @Test
    void nonSuperusersMustPresentTheirPassword(PgDatabase db) throws SQLException {
        db.createRole("harness_reader", "right-password", false);
        Properties ok = new Properties();
        ok.setProperty("user", "harness_reader");
        ok.setProperty("password", "right-password");
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), ok)) {
            assertThat(c.isValid(2)).isTrue();
        }
        Properties wrong = new Properties();
        wrong.setProperty("user", "harness_reader");
        wrong.setProperty("password", "wrong-password");
        assertThatThrownBy(() -> DriverManager.getConnection(db.jdbcUrl(), wrong).close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed");
    }

    @Test
    void aClusterRestartsOnTheSamePort(PgDatabase db) throws SQLException {
        int port = db.port();
        db.cluster().restart();
        assertThat(db.port()).isEqualTo(port);
        assertThat(db.queryOne("SELECT 1")).isEqualTo("1");
    }
}
