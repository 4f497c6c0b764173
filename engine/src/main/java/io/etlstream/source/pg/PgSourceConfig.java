package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a PostgreSQL source lives and how to reach it: host, port, database, user and TLS settings.
 * Holds no password: that comes from the vault (under {@link #passwordAlias()}) or is given at run time.
 */
public record PgSourceConfig(String host, int port, String database, String user, SslMode sslMode, Path sslRootCert,
        String passwordAlias) {

    public static final int DEFAULT_PORT = 5432;

    public PgSourceConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        if (host.isBlank()) {
            throw new UserFacingException("the source needs a host name (e.g. --host db.example.com)");
        }
        if (database.isBlank()) {
            throw new UserFacingException("the source needs a database name (e.g. --database app)");
        }
        if (user.isBlank()) {
            throw new UserFacingException("the source needs a user name (e.g. --user etl)");
        }
        if (port <= 0 || port > 65535) {
            throw new UserFacingException("port " + port + " is not a TCP port: use a number from 1 to 65535 (PostgreSQL's default is 5432)");
        }
        sslMode = sslMode == null ? SslMode.DISABLE : sslMode;
        if (sslMode.verifiesCertificate() && sslRootCert == null) {
            throw new UserFacingException("sslmode " + sslMode + " checks the server certificate: give the CA file with --sslrootcert FILE");
        }
    }

    public PgSourceConfig(String host, int port, String database, String user, SslMode sslMode, Path sslRootCert) {
        this(host, port, database, user, sslMode, sslRootCert, null);
    }

    /** The connection settings of a catalog source (its password stays in the vault under its alias). */
    public static PgSourceConfig of(io.etlstream.catalog.Source s) {
        return new PgSourceConfig(s.host(), s.port(), s.databaseName(), s.userName(), SslMode.parse(s.sslMode().pgValue()),
                s.sslRootCert() == null ? null : Path.of(s.sslRootCert()), s.passwordAlias());
    }

    /** A catalog draft for these settings under {@code name}. */
    public io.etlstream.catalog.Source toCatalog(String name) {
        return io.etlstream.catalog.Source.draft(name, host, port, database, user)
                .withSsl(io.etlstream.catalog.SslMode.fromPgValue(sslMode.pgName()),
                        sslRootCert == null ? null : sslRootCert.toString())
                .withPasswordAlias(passwordAlias);
    }

    /** The same source with a password alias (the vault entry that holds its password). */
    public PgSourceConfig withPasswordAlias(String alias) {
        return new PgSourceConfig(host, port, database, user, sslMode, sslRootCert, alias);
    }

    /**
     * Parses {@code postgresql://user@host:port/database?sslmode=...&sslrootcert=...}. A password inside the URL is
     * refused: it would end up in shell history and process lists.
     */
    public static PgSourceConfig fromUrl(String url) {
        String u = url.trim();
        if (u.startsWith("jdbc:")) {
            u = u.substring(5);
        }
        if (!u.startsWith("postgresql://") && !u.startsWith("postgres://")) {
            throw new UserFacingException("'" + redact(url) + "' is not a PostgreSQL URL: use postgresql://USER@HOST:PORT/DATABASE");
        }
        URI uri;
        try {
            uri = new URI(u);
        } catch (URISyntaxException e) {
            throw new UserFacingException("cannot read the URL '" + redact(url) + "': " + e.getReason()
                    + "; use postgresql://USER@HOST:PORT/DATABASE (percent-encode special characters)");
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && userInfo.contains(":")) {
            throw new UserFacingException("the URL contains a password: remove it from the URL; the password is read from"
                    + " stdin or a prompt and stored in the vault");
        }
        if (uri.getHost() == null) {
            throw new UserFacingException("the URL '" + redact(url) + "' has no host: use postgresql://USER@HOST:PORT/DATABASE");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String database = decode(path.startsWith("/") ? path.substring(1) : path);
        Map<String, String> query = query(uri.getRawQuery());
        String user = userInfo != null ? decode(userInfo) : query.get("user");
        if (user == null) {
            throw new UserFacingException("the URL has no user: use postgresql://USER@HOST:PORT/DATABASE");
        }
        if (query.containsKey("password")) {
            throw new UserFacingException("the URL contains a password: remove it; the password is read from stdin or a prompt");
        }
        SslMode mode = query.containsKey("sslmode") ? SslMode.parse(query.get("sslmode")) : SslMode.DISABLE;
        Path ca = query.containsKey("sslrootcert") ? Path.of(query.get("sslrootcert")) : null;
        int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new PgSourceConfig(host, port, database, user, mode, ca);
    }

    /** A URL without secrets, for display. */
    public String displayUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        StringBuilder sb = new StringBuilder("postgresql://").append(user).append('@').append(h).append(':').append(port)
                .append('/').append(database).append("?sslmode=").append(sslMode.pgName());
        if (sslRootCert != null) {
            sb.append("&sslrootcert=").append(sslRootCert);
        }
        return sb.toString();
    }

    /** The JDBC URL (no credentials: those go into connection properties). */
    public String jdbcUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + java.net.URLEncoder.encode(database, StandardCharsets.UTF_8)
                .replace("+", "%20");
    }

    /** Checks the parts that can be checked without a network: the CA file exists and is readable. */
    public void validateLocally() {
        if (sslRootCert != null && sslMode.verifiesCertificate()) {
            if (!Files.isRegularFile(sslRootCert) || !Files.isReadable(sslRootCert)) {
                throw new UserFacingException("the CA file " + sslRootCert + " does not exist or cannot be read: give the"
                        + " PEM file of the certificate authority that signed the server certificate (--sslrootcert FILE)");
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
            out.put(k.toLowerCase(java.util.Locale.ROOT), v);
        }
        return out;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String redact(String url) {
        return url.replaceAll("://([^:@/]*):[^@/]*@", "://$1:***@").replaceAll("(?i)password=[^&]*", "password=***");
    }
}
