package io.etlstream.source.pg;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.PGProperty;

/**
 * Opens connections to one PostgreSQL source (regular and replication) with the source's TLS settings and a
 * {@link PgPassword}; failures become {@link io.etlstream.UserFacingException}s that say what to check.
 * Does not own the password: the caller closes it after the connector is no longer used.
 */
public final class PgConnector implements AutoCloseable {

    /**
     * pgjdbc's driver, called directly: the first {@code DriverManager.getConnection} in a JVM loads and initializes
     * every JDBC driver on the class path, and the Snowflake SDK's bundled driver alone brings in about 740 classes
     * (BouncyCastle, a shaded Jackson), several CPU seconds of a fresh JVM before the first snapshot row.
     */
    private static final Driver DRIVER = new org.postgresql.Driver();

    private final PgSourceConfig config;
    private final PgPassword password;
    private final int connectTimeoutSeconds;

    public PgConnector(PgSourceConfig config, PgPassword password) {
        this(config, password, 10);
    }

    public PgConnector(PgSourceConfig config, PgPassword password, int connectTimeoutSeconds) {
        this.config = config;
        this.password = password;
        this.connectTimeoutSeconds = connectTimeoutSeconds;
    }

    public PgSourceConfig config() {
        return config;
    }

    /** A regular connection (autocommit on), application name {@code etl-stream:purpose}. */
    public Connection connect(String purpose) {
        return open(baseProperties(purpose), false);
    }

    /**
     * A regular connection whose every read gives up after {@code networkTimeoutSeconds}: for short catalog and slot
     * queries on the reader thread, where a network path that died silently must fail the query, not hang the reader
     * until the operating system gives up on the connection. Not for statements that may wait legitimately.
     */
    public Connection connect(String purpose, int networkTimeoutSeconds) {
        Properties p = baseProperties(purpose);
        PGProperty.SOCKET_TIMEOUT.set(p, networkTimeoutSeconds);
        return open(p, false);
    }

    /** A regular connection under an exact application name (the WAL monitor's {@code etl-stream-monitor-<source>}). */
    public Connection connectAs(String applicationName) {
        Properties p = baseProperties("");
        PGProperty.APPLICATION_NAME.set(p, applicationName);
        return open(p, false);
    }

    /**
     * A logical replication connection ({@code replication=database}), for the slot and the stream.
     * Simple query mode is required by the walsender.
     */
    public Connection connectReplication(String purpose) {
        Properties p = baseProperties(purpose);
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
        return open(p, true);
    }

    private Connection open(Properties p, boolean replication) {
        config.validateLocally();
        try {
            Connection c = DRIVER.connect(config.jdbcUrl(), p);
            if (c == null) {
                throw new IllegalStateException("pgjdbc does not take the URL " + config.jdbcUrl());
            }
            return c;
        } catch (SQLException e) {
            throw ConnectionErrors.explain(config, e, replication);
        }
    }

    private Properties baseProperties(String purpose) {
        Properties p = new Properties();
        PGProperty.USER.set(p, config.user());
        PGProperty.AUTHENTICATION_PLUGIN_CLASS_NAME.set(p, PgPassword.Plugin.class.getName());
        p.setProperty(PgPassword.HANDLE_PROPERTY, password.handle());
        PGProperty.APPLICATION_NAME.set(p, "etl-stream:" + purpose);
        PGProperty.CONNECT_TIMEOUT.set(p, connectTimeoutSeconds);
        PGProperty.LOGIN_TIMEOUT.set(p, connectTimeoutSeconds * 2);
        PGProperty.TCP_KEEP_ALIVE.set(p, true);
        // Text output of the walsender and of COPY must not depend on server defaults (REFERENCE.md).
        PGProperty.OPTIONS.set(p, "-c IntervalStyle=postgres -c DateStyle=ISO -c extra_float_digits=3");
        PGProperty.SSL_MODE.set(p, config.sslMode().pgName());
        if (config.sslMode() == SslMode.DISABLE) {
            PGProperty.SSL.set(p, false);
        } else {
            if (config.sslMode() == SslMode.REQUIRE || config.sslMode().verifiesCertificate()) {
                PGProperty.SSL.set(p, true);
            }
            if (config.sslRootCert() != null) {
                PGProperty.SSL_ROOT_CERT.set(p, config.sslRootCert().toString());
            }
            if (!config.sslMode().verifiesCertificate()) {
                // allow/prefer/require encrypt without checking the certificate, as libpq does.
                PGProperty.SSL_FACTORY.set(p, "org.postgresql.ssl.NonValidatingFactory");
            }
        }
        return p;
    }

    /**
     * Zeroes the password this connector holds: it can open no connection afterwards. For the owner of a connector
     * made for one run (a pipeline's runner closes its connector when it stops).
     */
    @Override
    public void close() {
        password.close();
    }
}
