package io.etlstream.testkit.pg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server with {@code wal_level=logical} on a free 127.0.0.1 port, started from the zonky
 * binaries. As root, initdb and the server run as the unprivileged user {@code nobody} (initdb refuses root).
 *
 * <p>Authentication: the superuser {@code postgres} is trusted on 127.0.0.1; every other role must present its
 * password (scram-sha-256), so tests of bad passwords are real.
 */
public final class PgCluster implements AutoCloseable {

    public static final String SUPERUSER = "postgres";
    private static final String UNPRIVILEGED = "nobody";
    private static final AtomicInteger DB_COUNTER = new AtomicInteger();

    private final int major;
    private final Path install;
    private final Path dataDir;
    private final boolean asRoot;
    private int port;
    private volatile boolean running;

    private PgCluster(int major, Path install, Path dataDir, boolean asRoot) {
        this.major = major;
        this.install = install;
        this.dataDir = dataDir;
        this.asRoot = asRoot;
    }

    /**
     * Changes to a new cluster before its first start: files written into the data folder (readable by the server
     * only, as PostgreSQL wants for a key), pg_hba.conf lines that replace the harness's own when given, and
     * postgresql.conf settings (they come last, so they win). For TLS tests: certificate files, {@code hostssl}
     * lines, {@code ssl = on}.
     */
    public record Setup(java.util.Map<String, byte[]> files, List<String> hba, java.util.Map<String, String> conf) {
        public Setup {
            files = java.util.Map.copyOf(files);
            hba = List.copyOf(hba);
            conf = java.util.Map.copyOf(conf);
        }

        public static Setup none() {
            return new Setup(java.util.Map.of(), List.of(), java.util.Map.of());
        }
    }

    /** Unpacks (once), initialises and starts a new cluster of the given major version. */
    public static PgCluster start(int major) {
        return start(major, Setup.none());
    }

    /** As {@link #start(int)}, with {@code setup} applied between initdb and the first start. */
    public static PgCluster start(int major, Setup setup) {
        Path install = PgBinaries.installation(major);
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        try {
            Path base = Files.createTempDirectory("etl-stream-pg" + major + "-");
            Path data = base.resolve("data");
            Files.createDirectory(data);
            if (asRoot) {
                // The server's log sits beside the data folder, so the unprivileged user owns both.
                Files.setPosixFilePermissions(base, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
                chown(base);
                chown(data);
            }
            PgCluster c = new PgCluster(major, install, data, asRoot);
            c.initdb();
            c.apply(setup);
            c.startServer();
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start PostgreSQL " + major, e);
        }
    }

    private void initdb() throws IOException {
        pgCommand(List.of(bin("initdb"), "-D", dataDir.toString(), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                "--locale=C", "--no-sync"));
        String hba = String.join("\n",
                "local all all trust",
                "host all " + SUPERUSER + " 127.0.0.1/32 trust",
                "host replication " + SUPERUSER + " 127.0.0.1/32 trust",
                "host all all 127.0.0.1/32 scram-sha-256",
                "host replication all 127.0.0.1/32 scram-sha-256",
                "");
        Files.writeString(dataDir.resolve("pg_hba.conf"), hba, StandardCharsets.UTF_8);
        String conf = String.join("\n",
                "",
                "# etl-stream test harness",
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = '" + dataDir + "'",
                "wal_level = logical",
                "max_replication_slots = 64",
                "max_wal_senders = 64",
                "max_connections = 300",
                "shared_buffers = 128MB",
                // Durability of the test server itself is not under test; the engine's is.
                "fsync = off",
                "full_page_writes = off",
                "log_min_messages = warning",
                "password_encryption = 'scram-sha-256'",
                "");
        Files.writeString(dataDir.resolve("postgresql.conf"), conf, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    private void apply(Setup setup) throws IOException {
        for (var f : setup.files().entrySet()) {
            Path p = dataDir.resolve(f.getKey());
            Files.write(p, f.getValue());
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            if (asRoot) {
                chown(p);
            }
        }
        if (!setup.hba().isEmpty()) {
            Files.writeString(dataDir.resolve("pg_hba.conf"), String.join("\n", setup.hba()) + "\n", StandardCharsets.UTF_8);
        }
        StringBuilder conf = new StringBuilder();
        setup.conf().forEach((k, v) -> conf.append(k).append(" = '").append(v.replace("'", "''")).append("'\n"));
        Files.writeString(dataDir.resolve("postgresql.conf"), conf, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    private void startServer() throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            port = freePort();
            try {
                pgCommand(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-l", logFile().toString(), "-w", "-t", "60",
                        "-o", "-p " + port, "start"));
                running = true;
                return;
            } catch (IOException e) {
                last = e; // most likely a port race with another process; try another port
            }
        }
        throw new IOException("PostgreSQL " + major + " did not start; log: " + logFile() + "\n" + tail(logFile()), last);
    }

    /** Stops the server (fast shutdown) without deleting its data. */
    public void stop() {
        if (!running) {
            return;
        }
        try {
            pgCommand(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-m", "fast", "-w", "-t", "60", "stop"));
            running = false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a stopped server again on the same port. */
    public void startAgain() {
        if (running) {
            return;
        }
        try {
            pgCommand(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-l", logFile().toString(), "-w", "-t", "60",
                    "-o", "-p " + port, "start"));
            running = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Restarts the server (fast shutdown), e.g. to apply a postmaster-level setting or to cut connections. */
    public void restart() {
        stop();
        startAgain();
    }

    public boolean isRunning() {
        return running;
    }

    public int major() {
        return major;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return dataDir.getParent().resolve("postgres.log");
    }

    /** Folder with the server binaries (no client tools: the zonky archive has only the server). */
    public Path binDir() {
        return install.resolve("bin");
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
    }

    /** A superuser connection to the given database. */
    public Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", SUPERUSER);
        return DriverManager.getConnection(jdbcUrl(database), p);
    }

    /** Runs statements as superuser, each in autocommit. */
    public void execute(String database, String... statements) {
        try (Connection c = connect(database); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on PostgreSQL " + major + ": " + e.getMessage(), e);
        }
    }

    /** Creates a fresh database whose name starts with {@code prefix}. */
    public PgDatabase createDatabase(String prefix) {
        String clean = prefix.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.length() > 40) {
            clean = clean.substring(0, 40);
        }
        String name = clean + "_" + DB_COUNTER.incrementAndGet();
        execute("postgres", "CREATE DATABASE " + name);
        return new PgDatabase(this, name);
    }

    /** Adds {@code postgresql.conf} settings through ALTER SYSTEM and reloads (postmaster settings need {@link #restart()}). */
    public void setConfig(String name, String value) {
        execute("postgres", "ALTER SYSTEM SET " + name + " = '" + value.replace("'", "''") + "'", "SELECT pg_reload_conf()");
    }

    @Override
    public void close() {
        try {
            if (running) {
                pgCommand(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-m", "immediate", "-w", "-t", "60", "stop"));
                running = false;
            }
        } catch (IOException e) {
            // fall through to deletion; a stray server dies with its data folder
        } finally {
            deleteTree(dataDir.getParent());
        }
    }

    @Override
    public String toString() {
        return "PostgreSQL " + major + " on " + host() + ":" + port;
    }

    private String bin(String tool) {
        return install.resolve("bin").resolve(tool).toString();
    }

    private String pgCommand(List<String> cmd) throws IOException {
        List<String> full = new ArrayList<>();
        if (asRoot) {
            full.addAll(List.of("runuser", "-u", UNPRIVILEGED, "--"));
        }
        full.addAll(cmd);
        return PgBinaries.run(full, dataDir.getParent());
    }

    private static void chown(Path p) throws IOException {
        UserPrincipal nobody = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(UNPRIVILEGED);
        Files.setOwner(p, nobody);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp folder left behind is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
