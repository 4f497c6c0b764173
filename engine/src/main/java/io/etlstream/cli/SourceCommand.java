package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.pipeline.control.ControlApi;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.SslMode;
import io.etlstream.vault.Secrets;
import io.etlstream.vault.Vault;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code etl-stream source add|list|show|test|remove}: the PostgreSQL sources in the catalog. Passwords go to the
 * vault under {@code source.NAME.password} (never on the command line, never in the catalog).
 */
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

    /** The vault alias of a source's password. */
    static String passwordAlias(String sourceName) {
        return "source." + sourceName + ".password";
    }

    /** Where secrets come from when a command needs them: files, else the console, else stdin lines (PG first). */
    static final class SecretOptions {
        @Option(names = "--pg-password-file", paramLabel = "FILE",
                description = "Read the PostgreSQL password from FILE (else: prompt, or the first stdin line).")
        Path pgPasswordFile;

        @Option(names = {"--password-file", "--master-password-file"}, paramLabel = "FILE",
                description = "Read the vault's master password from FILE (else: prompt, or the next stdin line).")
        Path masterPasswordFile;

        @Option(names = "--no-password", description = "The source needs no password (trust or certificate auth).")
        boolean noPassword;
    }

    /**
     * The password of a stored source: none with --no-password or when it was added without one (unless
     * --pg-password-file gives one); from the vault when the source has an alias; else asked for now.
     * The caller closes the result (it zeroes the characters).
     */
    static PgPassword passwordFor(CommandSpec spec, PgSourceConfig c, String name, SecretOptions s, SecretInput in) {
        SecretOptions opts = s == null ? new SecretOptions() : s;
        if (opts.noPassword || c.passwordAlias() == null && opts.pgPasswordFile == null) {
            return PgPassword.none(); // added with --no-password: the engine connects without one too
        }
        if (c.passwordAlias() != null) {
            Vault vault = Vault.open(EtlStreamCommand.of(spec).home().vaultFile());
            if (vault.exists()) {
                VaultCommand.MasterPassword master = new VaultCommand.MasterPassword();
                master.file = opts.masterPasswordFile;
                vault.close();
                try (Vault v = VaultCommand.unlocked(spec, master, in)) {
                    char[] pw = v.password(c.passwordAlias());
                    try {
                        return PgPassword.of(pw);
                    } finally {
                        Secrets.zero(pw);
                    }
                }
            }
        }
        char[] pw = in.read(opts.pgPasswordFile, "PostgreSQL password for source " + name + ": ", "PostgreSQL password");
        try {
            return PgPassword.of(pw);
        } finally {
            Secrets.zero(pw);
        }
    }

    @Command(name = "add", description = "Add a source: --url postgresql://USER@HOST:PORT/DB or --host/--port/--database/--user."
            + " The password is read from a file, a prompt or stdin (never the command line) and stored in the vault.")
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

        @Option(names = "--sslmode", paramLabel = "MODE", description = "disable, allow, prefer, require, verify-ca or verify-full.")
        String sslmode;

        @Option(names = "--sslrootcert", paramLabel = "FILE", description = "CA certificate (PEM) for verify-ca/verify-full.")
        Path sslrootcert;

        @Option(names = "--no-test", description = "Save without connecting first.")
        boolean noTest;

        @ArgGroup(exclusive = false)
        SecretOptions secrets = new SecretOptions();

        @Override
        public Integer call() {
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
            SecretOptions opts = secrets == null ? new SecretOptions() : secrets;
            PrintWriter out = spec.commandLine().getOut();
            SecretInput in = SecretInput.system();
            EtlHome home = EtlStreamCommand.of(spec).home();
            // Through the running engine when there is one (its WAL monitor starts watching at once), else on the
            // catalog; asked first, so an existing source's vault entry is never overwritten.
            if (EngineCalls.sourceNames(home).contains(name)) {
                throw new UserFacingException("a source named '" + name + "' already exists: remove it first with"
                        + " `etl-stream source remove " + name + "`");
            }
            String alias = null;
            try (PgPassword pw = opts.noPassword ? PgPassword.none() : PgPassword.of(readPg(in, opts))) {
                if (!noTest) {
                    out.println(Test.describe(new PgConnector(config, pw)));
                }
                if (!opts.noPassword) {
                    alias = passwordAlias(name);
                    VaultCommand.MasterPassword master = new VaultCommand.MasterPassword();
                    master.file = opts.masterPasswordFile;
                    try (Vault vault = VaultCommand.unlocked(spec, master, in)) {
                        char[] copy = pw.copy();
                        try {
                            vault.putPassword(alias, copy);
                        } finally {
                            Secrets.zero(copy);
                        }
                        try {
                            addToCatalog(home, config.withPasswordAlias(alias), out);
                        } catch (RuntimeException e) {
                            vault.deletePassword(alias); // the source was not added: leave no password behind
                            throw e;
                        }
                    }
                } else {
                    addToCatalog(home, config, out);
                }
            }
            out.println("added source " + name + ": " + config.displayUrl()
                    + (alias == null ? " (no password)" : " (password in the vault as " + alias + ")"));
            return 0;
        }

        private void addToCatalog(EtlHome home, PgSourceConfig config, PrintWriter out) {
            Map<String, Object> answer = EngineCalls.call(home, ControlApi.sourceAddRequest(name, config));
            if ("running".equals(answer.get("engine"))) {
                out.println("the running engine watches source " + name + " now");
            }
        }

        private char[] readPg(SecretInput in, SecretOptions opts) {
            return in.read(opts.pgPasswordFile, "PostgreSQL password for " + name + ": ", "PostgreSQL password");
        }
    }

    @Command(name = "list", description = "List the sources.")
    static final class ListSources implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Catalog catalog = Catalog.open(EtlStreamCommand.of(spec).home())) {
                List<Source> all = catalog.sources().list();
                if (all.isEmpty()) {
                    out.println("no sources yet: add one with `etl-stream source add NAME --url postgresql://USER@HOST/DB`");
                }
                for (Source s : all) {
                    out.println(s.name() + "\t" + PgSourceConfig.of(s).displayUrl());
                }
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
            PrintWriter out = spec.commandLine().getOut();
            try (Catalog catalog = Catalog.open(EtlStreamCommand.of(spec).home())) {
                Source s = catalog.sources().require(name);
                PgSourceConfig c = PgSourceConfig.of(s);
                out.println("name:        " + s.name());
                out.println("url:         " + c.displayUrl());
                out.println("host:        " + c.host());
                out.println("port:        " + c.port());
                out.println("database:    " + c.database());
                out.println("user:        " + c.user());
                out.println("sslmode:     " + c.sslMode());
                out.println("sslrootcert: " + (c.sslRootCert() == null ? "-" : c.sslRootCert()));
                out.println("password:    " + (c.passwordAlias() == null ? "none" : "*** (vault alias " + c.passwordAlias() + ")"));
            }
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
        SecretOptions secrets = new SecretOptions();

        @Override
        public Integer call() {
            PgSourceConfig c;
            try (Catalog catalog = Catalog.open(EtlStreamCommand.of(spec).home())) {
                c = PgSourceConfig.of(catalog.sources().require(name));
            }
            try (PgPassword pw = passwordFor(spec, c, name, secrets, SecretInput.system())) {
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

    @Command(name = "remove", description = "Forget a source and delete its password from the vault. Refused while a"
            + " pipeline uses the source. With an engine running, its WAL monitor closes the source's connection at once.")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = {"--password-file", "--master-password-file"}, paramLabel = "FILE",
                description = "Read the vault's master password from FILE (else: prompt, or the first stdin line).")
        Path masterPasswordFile;

        @Override
        public Integer call() {
            EtlHome home = EtlStreamCommand.of(spec).home();
            PrintWriter out = spec.commandLine().getOut();
            // Check first (unknown source, pipelines using it), then unlock the vault, so that a refusal or a wrong
            // master password leaves both the catalog and the vault as they were.
            Map<String, Object> check = EngineCalls.call(home, ControlApi.sourceRemoveRequest(name, true));
            String alias = (String) check.get("password_alias");
            Vault vault = null;
            try {
                if (alias != null) {
                    Vault file = Vault.open(home.vaultFile());
                    if (file.exists()) {
                        file.close();
                        VaultCommand.MasterPassword master = new VaultCommand.MasterPassword();
                        master.file = masterPasswordFile;
                        vault = VaultCommand.unlocked(spec, master, SecretInput.system());
                    } else {
                        file.close();
                    }
                }
                Map<String, Object> answer = EngineCalls.call(home, ControlApi.sourceRemoveRequest(name, false));
                String removedPassword = "";
                if (vault != null && vault.entries().stream().anyMatch(e -> e.kind() == Vault.Kind.PASSWORD
                        && e.alias().equals(Vault.normalizeAlias(alias)))) {
                    vault.deletePassword(alias);
                    removedPassword = " and its password (vault entry " + alias + ")";
                }
                out.println("removed source " + name + removedPassword
                        + ("running".equals(answer.get("engine")) ? "; the running engine no longer watches it" : ""));
            } finally {
                if (vault != null) {
                    vault.close();
                }
            }
            return 0;
        }
    }
}
