package io.etlstream.testkit.pg;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** One database on a test cluster, created fresh for a test class or a parameterised invocation. */
public record PgDatabase(PgCluster cluster, String name) {

    public String jdbcUrl() {
        return cluster.jdbcUrl(name);
    }

    public String host() {
        return cluster.host();
    }

    public int port() {
        return cluster.port();
    }

    public int major() {
        return cluster.major();
    }

    /** A superuser connection. */
    public Connection connect() throws SQLException {
        return cluster.connect(name);
    }

    /** Runs statements as superuser, each in autocommit. */
    public void execute(String... statements) {
        cluster.execute(name, statements);
    }

    /** Runs a query as superuser and returns the first column of every row as text. */
    public List<String> queryColumn(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("query failed: " + sql + ": " + e.getMessage(), e);
        }
    }

    /** Runs a query that returns one value. */
    public String queryOne(String sql) {
        List<String> rows = queryColumn(sql);
        if (rows.size() != 1) {
            throw new IllegalStateException("expected one row from " + sql + ", got " + rows.size());
        }
        return rows.get(0);
    }

    /** Creates a login role with a password (and optionally REPLICATION) for tests of non-superuser access. */
    public void createRole(String role, String password, boolean replication) {
        execute("CREATE ROLE " + role + " LOGIN " + (replication ? "REPLICATION " : "") + "PASSWORD '"
                + password.replace("'", "''") + "'");
    }

    @Override
    public String toString() {
        return "PostgreSQL " + cluster.major() + " (" + name + ")";
    }
}
