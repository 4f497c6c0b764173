package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.home.EtlHome;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.vault.Vault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A home ready for {@code etl-stream run} in a child JVM: the PostgreSQL source {@code pg} and a destination
 * {@code sf}, either at the emulator (vault with the destination's key, its user registered there) or a placeholder
 * for runs with the recording sink. Shared by the child-JVM tests of {@code run}.
 */
final class RunHome {

    private static final String MASTER = "run-child master password";

    private final Path home;
    /** The vault's master password file; null without a vault. */
    private final Path passwordFile;

    private RunHome(Path home, Path passwordFile) {
        this.home = home;
        this.passwordFile = passwordFile;
    }

    /** {@code dir/home} with no vault and a destination nobody connects to: for {@code run --recording-sink}. */
    static RunHome forRecordingSink(Path dir, PgDatabase db) {
        Path home = dir.resolve("home");
        try (Catalog c = Catalog.open(new EtlHome(home))) {
            c.sources().add(Source.draft("pg", db.host(), db.port(), db.name(), "postgres"));
            c.destinations().add(Destination.draft("sf", "acct", "http://127.0.0.1:1", "u", "r", "DB", "SC", "key"));
        }
        return new RunHome(home, null);
    }

    /** Sets up {@code dir/home} against the emulator, which must outlive every child started from it. */
    static RunHome forEmulator(Path dir, PgDatabase db, SnowflakeEmulator emu, String schema) throws IOException {
        Path home = dir.resolve("home");
        Path pw = dir.resolve("master.txt");
        Files.writeString(pw, MASTER);
        String h = home.toString();
        ok(CliRun.run("--home", h, "vault", "init", "--password-file", pw.toString()));
        ok(CliRun.run("--home", h, "key", "generate", "loader", "--password-file", pw.toString()));
        PublicKey pub;
        try (Vault v = Vault.open(new EtlHome(home).vaultFile())) {
            char[] m = MASTER.toCharArray();
            v.unlock(m);
            Arrays.fill(m, '\0');
            pub = v.publicKey("loader").key();
        }
        try (Catalog c = Catalog.open(new EtlHome(home))) {
            c.sources().add(Source.draft("pg", db.host(), db.port(), db.name(), "postgres"));
        }
        emu.registerUser("LOADER", pub);
        emu.sql("CREATE DATABASE IF NOT EXISTS DB");
        emu.sql("CREATE SCHEMA IF NOT EXISTS DB." + schema);
        ok(CliRun.run("--home", h, "destination", "add", "sf", "--url", emu.url().toString(), "--user", "LOADER",
                "--role", "ACCOUNTADMIN", "--database", "DB", "--schema", schema, "--key", "loader"));
        return new RunHome(home, pw);
    }

    /** Creates and enables pipeline {@code name} from {@code pg} to {@code sf}; {@code options} go to {@code create}. */
    void pipeline(String name, String tables, String... options) {
        List<String> args = new ArrayList<>(List.of("--home", home.toString(), "pipeline", "create", name, "--source",
                "pg", "--destination", "sf", "--tables", tables));
        args.addAll(List.of(options));
        ok(CliRun.run(args.toArray(String[]::new)));
        ok(CliRun.run("--home", home.toString(), "pipeline", "start", name));
    }

    /** Starts {@code etl-stream run} in a child JVM (with the master password from a file when there is a vault). */
    RunChild run(String... runArgs) throws IOException {
        List<String> args = new ArrayList<>(passwordFile == null ? List.of()
                : List.of("--password-file", passwordFile.toString()));
        args.addAll(List.of(runArgs));
        return RunChild.start(home, args.toArray(String[]::new));
    }

    Path dir() {
        return home;
    }

    private static void ok(CliRun r) {
        assertThat(r.exit()).as("exit of a CLI command; err: " + r.err()).isEqualTo(0);
    }
}
