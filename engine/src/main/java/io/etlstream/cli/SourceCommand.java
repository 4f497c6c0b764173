package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.SourceRegistry;
import io.etlstream.source.pg.SslMode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code etl-stream source add|list|show|test|remove}: the PostgreSQL sources this engine knows. */
@Command(name = "source", description = "Manage PostgreSQL sources.", mixinStandardHelpOptions = true,
        subcommands = {SourceCommand.Add.class, SourceCommand.ListSources.class, SourceCommand.Show.class,
                SourceCommand.Test.class, SourceCommand.Remove.class})
public final class SourceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static SourceRegistry registry(CommandSpec spec) {
        return new SourceRegistry(EtlStreamCommand.of(spec).home().dir());
    }

    /** How a run-time password is given (never on the command line itself). */
    static final class PasswordOptions {
        @Option(names = "--password-file", paramLabel = "FILE",
                description = "Read the password from the first line of FILE (instead of stdin or a prompt).")
        Path passwordFile;

        @Option(names = "--password-stdin", description = "Read the password from the first line of stdin.")
        boolean passwordStdin;

        @Option(names = "--no-password", description = "Connect without a password (trust or certificate authentication).")
        boolean noPassword;

        PgPassword read(CommandSpec spec, String sourceName) {
            if (noPassword) {
                return PgPassword.none();
            }
            char[] pw = PasswordInput.read(passwordFile, passwordStdin, System.in, "Password for source " + sourceName + ": ");
            try {
                return PgPassword.of(pw);
            } finally {
                Arrays.fill(pw, '\0');
            }
        }
    }

    @Command(name = "add", description = "Add a source: --url postgresql://USER@HOST:PORT/DB or --host/--port/--database/--user."
            + " The password is read from stdin or a prompt, never from the command line.")
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Where where;

        static final class Where {
            @Option(names = "--url", paramLabel = "URL", required = true) String url;
            @ArgGroup(exclusive = false) Parts parts;
        }

        static final class Parts {
            @Option(names = "--host", required = true) String host;
            @Option(names = "--port", defaultValue = "5432") int port;
            @Option(names = "--database", required = true) String database;
            @Option(names = "--user", required = true) String user;
        }

        @Option(names = "--sslmode", paramLabel = "MODE", description = "disable, require, verify-ca or verify-full.")
        String sslmode;

        @Option(names = "--sslrootcert", paramLabel = "FILE", description = "CA certificate (PEM) for verify-ca/verify-full.")
        Path sslrootcert;

        @Option(names = "--no-test", description = "Save without connecting (and without asking for the password).")
        boolean noTest;

        @ArgGroup(exclusive = false)
        PasswordOptions password = new PasswordOptions();

        @Override
        public Integer call() {
            SourceRegistry.checkName(name);
            PgSourceConfig config;
            if (where.url != null) {
                config = PgSourceConfig.fromUrl(where.url);
                if (sslmode != null || sslrootcert != null) {
                    config = new PgSourceConfig(config.host(), config.port(), config.database(), config.user(),
                            sslmode != null ? SslMode.parse(sslmode) : config.sslMode(),
                            sslrootcert != null ? sslrootcert : config.sslRootCert());
                }
            } else {
                config = new PgSourceConfig(where.parts.host, where.parts.port, where.parts.database, where.parts.user,
                        sslmode == null ? SslMode.DISABLE : SslMode.parse(sslmode), sslrootcert);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (registry(spec).find(name).isPresent()) {
                throw new UserFacingException("a source named '" + name + "' already exists: remove it first with"
                        + " `etl-stream source remove " + name + "`");
            }
            if (!noTest) {
                try (PgPassword pw = (password == null ? new PasswordOptions() : password).read(spec, name)) {
                    out.println(Test.describe(new PgConnector(config, pw)));
                }
            }
            registry(spec).add(name, config);
            out.println("added source " + name + ": " + config.displayUrl());
            out.println("note: the password is not stored yet (no vault): commands that connect ask for it again");
            return 0;
        }
    }

    @Command(name = "list", description = "List the sources.")
    static final class ListSources implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            SourceRegistry r = registry(spec);
            List<String> names = r.names();
            PrintWriter out = spec.commandLine().getOut();
            if (names.isEmpty()) {
                out.println("no sources yet: add one with `etl-stream source add NAME --url postgresql://USER@HOST/DB`");
            }
            for (String n : names) {
                out.println(n + "\t" + r.get(n).displayUrl());
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Show one source.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            PgSourceConfig c = registry(spec).get(name);
            PrintWriter out = spec.commandLine().getOut();
            out.println("name:        " + name);
            out.println("url:         " + c.displayUrl());
            out.println("host:        " + c.host());
            out.println("port:        " + c.port());
            out.println("database:    " + c.database());
            out.println("user:        " + c.user());
            out.println("sslmode:     " + c.sslMode());
            out.println("sslrootcert: " + (c.sslRootCert() == null ? "-" : c.sslRootCert()));
            out.println("password:    *** (vault alias " + c.passwordAlias() + ")");
            return 0;
        }
    }

    @Command(name = "test", description = "Connect to a source (regular and replication connection) and report.")
    static final class Test implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @ArgGroup(exclusive = false)
        PasswordOptions password = new PasswordOptions();

        @Override
        public Integer call() {
            PgSourceConfig c = registry(spec).get(name);
            try (PgPassword pw = (password == null ? new PasswordOptions() : password).read(spec, name)) {
                spec.commandLine().getOut().println(describe(new PgConnector(c, pw)));
            }
            return 0;
        }

        static String describe(PgConnector connector) {
            String version;
            try (Connection conn = connector.connect("test"); Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_setting('server_version'), current_user")) {
                rs.next();
                version = "PostgreSQL " + rs.getString(1) + " as " + rs.getString(2);
            } catch (SQLException e) {
                throw new UserFacingException("connected, but a first query failed: " + e.getMessage(), e);
            }
            String replication;
            try (Connection r = connector.connectReplication("test"); Statement st = r.createStatement();
                    ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
                rs.next();
                replication = "replication connection ok";
            } catch (UserFacingException e) {
                replication = "replication connection refused: " + e.getMessage();
            } catch (SQLException e) {
                replication = "replication connection failed: " + e.getMessage();
            }
            return "ok: connected to " + connector.config().displayUrl() + " (" + version + "); " + replication;
        }
    }

    @Command(name = "remove", description = "Forget a source (pipelines that use it must be removed first).")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            if (!registry(spec).remove(name)) {
                throw new UserFacingException("no source named '" + name + "': list them with `etl-stream source list`");
            }
            spec.commandLine().getOut().println("removed source " + name);
            return 0;
        }
    }
}
