package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.sql.SQLException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/** Turns a failed connection attempt into one message that names the cause and what to check; never a stack trace. */
public final class ConnectionErrors {

    /** What went wrong, so callers (doctor, wizard) can react without parsing messages. */
    public enum Kind {
        UNKNOWN_HOST, REFUSED, TIMEOUT, WRONG_PASSWORD, NO_PASSWORD, HBA_REJECTED, NO_DATABASE, TLS_MISMATCH,
        TLS_CERTIFICATE, TLS_HOSTNAME, NO_REPLICATION_PRIVILEGE, TOO_MANY_CONNECTIONS, STARTING_UP, OTHER
    }

    /** A connection failure of a known kind; the message says what to do. */
    public static final class ConnectionFailedException extends UserFacingException {
        private static final long serialVersionUID = 1L;
        private final Kind kind;

        ConnectionFailedException(Kind kind, String message, Throwable cause) {
            super(message, cause);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    private ConnectionErrors() {}

    public static ConnectionFailedException explain(PgSourceConfig c, SQLException e, boolean replication) {
        String where = c.host() + ":" + c.port();
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String msg = e.getMessage() == null ? "" : e.getMessage();
        String lower = msg.toLowerCase(Locale.ROOT);
        Throwable root = rootCause(e);

        if (has(e, UnknownHostException.class)) {
            return new ConnectionFailedException(Kind.UNKNOWN_HOST, "cannot resolve the host name '" + c.host()
                    + "': check the spelling of --host and that this machine's DNS knows it", e);
        }
        if (has(e, ConnectException.class) || lower.contains("refused")) {
            return new ConnectionFailedException(Kind.REFUSED, "connection to " + where + " was refused: check the"
                    + " port (PostgreSQL's default is 5432), that PostgreSQL is running, and that listen_addresses in"
                    + " postgresql.conf includes the address you connect to", e);
        }
        if (has(e, NoRouteToHostException.class) || has(e, SocketTimeoutException.class)
                || lower.contains("timed out") || lower.contains("timeout")) {
            return new ConnectionFailedException(Kind.TIMEOUT, "no answer from " + where + " in time: check the host"
                    + " and port, and that no firewall or security group drops traffic to that port", e);
        }
        if ("28P01".equals(state) || lower.contains("password authentication failed")) {
            return new ConnectionFailedException(Kind.WRONG_PASSWORD, "PostgreSQL rejected the password of user '"
                    + c.user() + "': check the password (update it with `etl-stream source add` again) and the user"
                    + " name", e);
        }
        if (lower.contains("no password was provided") || lower.contains("password-based authentication")) {
            return new ConnectionFailedException(Kind.NO_PASSWORD, "the server asks user '" + c.user()
                    + "' for a password but none was given: store one for this source (it is read from stdin or a"
                    + " prompt)", e);
        }
        if ("3D000".equals(state) || (lower.contains("database") && lower.contains("does not exist"))) {
            return new ConnectionFailedException(Kind.NO_DATABASE, "database '" + c.database() + "' does not exist on "
                    + where + ": check the database name (list them with psql -l)", e);
        }
        // "no encryption" (PostgreSQL 14+) / "SSL off" (older): a plain connection that only hostssl lines would admit,
        // or that a hostnossl ... reject line turns away.
        boolean plainRefused = lower.contains("pg_hba.conf")
                && (lower.contains("no encryption") || lower.contains("ssl off"));
        if (lower.contains("does not support ssl") || plainRefused) {
            String fix = lower.contains("does not support ssl")
                    ? "the server does not offer TLS: turn on ssl in postgresql.conf (ssl = on with a certificate) or use --sslmode disable"
                    : "the server requires TLS for user '" + c.user() + "' (its pg_hba.conf admits only hostssl"
                            + " connections) but sslmode is " + c.sslMode() + ": use --sslmode require, or verify-ca /"
                            + " verify-full with --sslrootcert FILE";
            return new ConnectionFailedException(Kind.TLS_MISMATCH, "TLS mismatch with " + where + ": " + fix, e);
        }
        if (lower.contains("hostname") && lower.contains("could not be verified")) {
            return new ConnectionFailedException(Kind.TLS_HOSTNAME, "the server certificate of " + where + " is not"
                    + " issued for the name '" + c.host() + "' (sslmode verify-full compares --host with the"
                    + " certificate's subjectAltName/CN): connect with --host set to a name the certificate lists, or"
                    + " use --sslmode verify-ca to check only the CA", e);
        }
        if (has(e, SSLException.class) || has(e, CertificateException.class) || lower.contains("ssl")
                || lower.contains("certificate")) {
            boolean untrusted = lower.contains("pkix") || lower.contains("certification path")
                    || lower.contains("unable to find valid");
            String what = untrusted
                    ? "the server certificate is not signed by the CA in " + (c.sslRootCert() == null ? "--sslrootcert"
                            : c.sslRootCert()) + ": give the CA certificate (PEM) that signed the server certificate"
                            + " with --sslrootcert FILE"
                    : "the TLS handshake failed (" + oneLine(root) + "): check that --sslrootcert is the CA that signed"
                            + " the server certificate and that the server's ssl settings are valid";
            return new ConnectionFailedException(Kind.TLS_CERTIFICATE, "TLS with " + where + " failed: " + what, e);
        }
        if (replication && ("42501".equals(state) || lower.contains("must be superuser or replication")
                || lower.contains("permission denied to start wal sender"))) {
            return new ConnectionFailedException(Kind.NO_REPLICATION_PRIVILEGE, "user '" + c.user() + "' may not open a"
                    + " replication connection: run ALTER ROLE " + Sql.ident(c.user()) + " WITH REPLICATION; (on Amazon"
                    + " RDS: GRANT rds_replication TO " + Sql.ident(c.user()) + ";)", e);
        }
        if ("28000".equals(state) || lower.contains("no pg_hba.conf entry")) {
            String line = replication
                    ? "host replication " + c.user() + " <client-address>/32 scram-sha-256"
                    : "host " + c.database() + " " + c.user() + " <client-address>/32 scram-sha-256";
            return new ConnectionFailedException(Kind.HBA_REJECTED, "the server's pg_hba.conf has no entry that lets user '"
                    + c.user() + "' connect" + (replication ? " for replication" : "") + " from this machine: add a line"
                    + " like `" + line + "` to pg_hba.conf and run SELECT pg_reload_conf();", e);
        }
        if ("53300".equals(state) || lower.contains("too many clients") || lower.contains("remaining connection slots")) {
            return new ConnectionFailedException(Kind.TOO_MANY_CONNECTIONS, "PostgreSQL on " + where + " has no free"
                    + " connection slots: close idle sessions or raise max_connections (or max_wal_senders for"
                    + " replication connections) in postgresql.conf", e);
        }
        if ("57P03".equals(state) || lower.contains("starting up") || lower.contains("shutting down")) {
            return new ConnectionFailedException(Kind.STARTING_UP, "PostgreSQL on " + where + " is starting up or"
                    + " shutting down: wait and retry", e);
        }
        return new ConnectionFailedException(Kind.OTHER, "cannot connect to " + c.displayUrl() + ": " + oneLine(e)
                + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")"), e);
    }

    private static boolean has(Throwable t, Class<? extends Throwable> type) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (type.isInstance(x)) {
                return true;
            }
            if (x.getCause() == x) {
                break;
            }
        }
        return false;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable x = t;
        while (x.getCause() != null && x.getCause() != x) {
            x = x.getCause();
        }
        return x;
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
