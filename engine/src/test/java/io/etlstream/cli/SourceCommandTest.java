package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.etlstream.catalog.Destination;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.monitor.CatalogSources;
import io.etlstream.pipeline.Engine;
import io.etlstream.pipeline.replay.ReplayRecording;
import io.etlstream.pipeline.replay.ReplaySource;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.pgoutput.PgOutputFixtures;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.vault.Vault;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import io.etlstream.testkit.pg.PostgresExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@ExtendWith(PostgresExtension.class)
class SourceCommandTest {

    @TempDir
    Path home;

    record Run(int exit, String out, String err) {}

    private Run run(String... args) {
        CommandLine cl = EtlStreamCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] full = new String[args.length + 2];
        full[0] = "--home";
        full[1] = home.toString();
        System.arraycopy(args, 0, full, 2, args.length);
        int code = cl.execute(full);
        return new Run(code, out.toString(), err.toString());
    }

    static List<String> vaultAliases(Path home) {
        try (Vault v = Vault.open(new EtlHome(home).vaultFile())) {
            return v.entries().stream().map(Vault.Entry::alias).toList();
        }
    }

    static String monitorConnections(PgDatabase db, String role) {
        return db.queryOne("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + role
                + "' AND application_name LIKE 'etl-stream-monitor-%'");
    }

    static void await(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void addAndRemoveGoThroughTheRunningEngineWhoseMonitorReactsAtOnceAndRemoveRefusesWhileAPipelineUsesIt(
            PgDatabase db) throws Exception {
        db.createRole("cli_mon", "mon-Secret", true);
        Path pwFile = home.resolve("pw.txt");
        Files.writeString(pwFile, "mon-Secret\n");
        Path master = home.resolve("master.txt");
        Files.writeString(master, "correct horse battery staple 42\n");
        assertThat(run("vault", "init", "--password-file", master.toString()).exit()).isZero();
        EtlHome etlHome = new EtlHome(home);
        ScheduledExecutorService replay = Executors.newScheduledThreadPool(1);
        try (Vault vault = Vault.open(etlHome.vaultFile())) {
            char[] mp = "correct horse battery staple 42".toCharArray();
            vault.unlock(mp);
            java.util.Arrays.fill(mp, '\0');
            var recording = ReplayRecording.of(PgOutputFixtures.read(17, "basic"));
            // A one-hour sampling interval: only the control channel's nudge can open or close a probe in this test.
            Engine.Options options = Engine.Options.of(HomeLock.CONSOLE, new ReplaySource(recording, replay, 5, 20))
                    .withSources(c -> new CatalogSources(c, config -> {
                        char[] pw = vault.password(config.passwordAlias());
                        try {
                            return PgPassword.of(pw);
                        } finally {
                            java.util.Arrays.fill(pw, '\0');
                        }
                    }), Duration.ofHours(1));
            try (Engine engine = Engine.start(etlHome, options)) {
                Run add = run("source", "add", "mon", "--url", "postgresql://cli_mon@" + db.host() + ":" + db.port()
                        + "/" + db.name(), "--pg-password-file", pwFile.toString(), "--master-password-file",
                        master.toString());
                assertThat(add.exit()).as(add.err()).isZero();
                assertThat(add.out()).contains("the running engine watches source mon now").contains("added source mon");
                assertThat(engine.catalog().sources().find("mon")).isPresent();
                await("the monitor opens its probe for the new source", () -> monitorConnections(db, "cli_mon")
                        .equals("1"));
                Run again = run("source", "add", "mon", "--url", "postgresql://cli_mon@h/d", "--no-test",
                        "--no-password");
                assertThat(again.exit()).isEqualTo(1);
                assertThat(again.err()).contains("already exists");

                engine.catalog().destinations().add(Destination.draft("sf1", "acct", "http://127.0.0.1:1", "u", "r",
                        "DB", "SC", "key"));
                assertThat(run("pipeline", "create", "mon_orders", "--source", "mon", "--destination", "sf1",
                        "--tables", "public.orders").exit()).isZero();
                Run refused = run("source", "remove", "mon", "--password-file", master.toString());
                assertThat(refused.exit()).isEqualTo(1);
                assertThat(refused.err()).contains("used by pipeline(s) mon_orders").contains("pipeline delete");
                assertThat(engine.catalog().sources().find("mon")).isPresent();
                assertThat(vaultAliases(home)).contains("source.mon.password");

                assertThat(run("pipeline", "delete", "mon_orders", "--keep-slot").exit()).isZero();
                Run removed = run("source", "remove", "mon", "--password-file", master.toString());
                assertThat(removed.exit()).as(removed.err()).isZero();
                assertThat(removed.out()).contains("removed source mon and its password")
                        .contains("the running engine no longer watches it");
                assertThat(engine.catalog().sources().find("mon")).isEmpty();
                assertThat(vaultAliases(home)).doesNotContain("source.mon.password");
                await("the monitor closes the removed source's probe", () -> monitorConnections(db, "cli_mon")
                        .equals("0"));
            }
        } finally {
            replay.shutdownNow();
        }
    }

    @Test
    void addListShowTestDoctorRemove(PgDatabase db) throws Exception {
        db.createRole("cli_user", "cli-Secret", true);
        db.execute("CREATE TABLE cli_ok (id int PRIMARY KEY)", "CREATE TABLE cli_nokey (id int)",
                "GRANT CREATE ON DATABASE " + db.name() + " TO cli_user", "GRANT SELECT ON cli_ok, cli_nokey TO cli_user");
        Path pwFile = home.resolve("pw.txt");
        Files.writeString(pwFile, "cli-Secret\n");
        Path wrongFile = home.resolve("wrong.txt");
        Files.writeString(wrongFile, "nope\n");
        Path master = home.resolve("master.txt");
        Files.writeString(master, "correct horse battery staple 42\n");
        assertThat(run("vault", "init", "--password-file", master.toString()).exit()).isZero();

        Run add = run("source", "add", "src1", "--url", "postgresql://cli_user@" + db.host() + ":" + db.port() + "/" + db.name(),
                "--pg-password-file", pwFile.toString(), "--master-password-file", master.toString());
        assertThat(add.exit()).as(add.err()).isZero();
        assertThat(add.out()).contains("ok: connected").contains("replication connection ok").contains("added source src1")
                .contains("source.src1.password");

        Run wrong = run("source", "add", "src2", "--host", db.host(), "--port", String.valueOf(db.port()), "--database",
                db.name(), "--user", "cli_user", "--pg-password-file", wrongFile.toString(), "--master-password-file",
                master.toString());
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("rejected the password").doesNotContain("\tat ");

        Run list = run("source", "list");
        assertThat(list.out()).contains("src1").doesNotContain("src2");
        Run show = run("source", "show", "src1");
        assertThat(show.out()).contains("user:        cli_user").contains("password:    ***").doesNotContain("cli-Secret");

        // The password now comes from the vault: only the master password is needed.
        Run test = run("source", "test", "src1", "--master-password-file", master.toString());
        assertThat(test.exit()).as(test.err()).isZero();
        assertThat(run("source", "test", "src1", "--master-password-file", wrongFile.toString()).exit()).isEqualTo(1);

        Run ok = run("doctor", "--source", "src1", "--tables", "cli_ok", "--master-password-file", master.toString());
        assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
        assertThat(ok.out()).contains("ok").contains("wal_level");
        Run bad = run("doctor", "--source", "src1", "--tables", "public.cli_ok,cli_nokey", "--master-password-file",
                master.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.out()).contains("ERROR").contains("fix: ALTER TABLE \"public\".\"cli_nokey\" ADD PRIMARY KEY");

        assertThat(run("source", "remove", "src1", "--password-file", wrongFile.toString()).exit()).isEqualTo(1);
        assertThat(run("source", "show", "src1").exit()).as("a wrong master password removes nothing").isZero();
        assertThat(vaultAliases(home)).contains("source.src1.password");
        Run removed = run("source", "remove", "src1", "--password-file", master.toString());
        assertThat(removed.exit()).as(removed.err()).isZero();
        assertThat(removed.out()).contains("removed source src1 and its password");
        assertThat(vaultAliases(home)).doesNotContain("source.src1.password");
        assertThat(run("source", "show", "src1").exit()).isEqualTo(1);
        assertThat(run("source", "remove", "src1").err()).contains("no source named src1");
        assertThat(run("source", "add", "x", "--url", "postgresql://u:pw@h/d", "--no-test").err()).contains("password");
        assertThat(run("source", "add").exit()).isEqualTo(2);
        for (Path p : List.of(home.resolve("catalog"))) {
            try (var files = Files.walk(p)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                            .as("catalog file " + f).doesNotContain("cli-Secret");
                }
            }
        }
    }

    /** A source added with --no-password is tested and checked without one: no prompt, no stdin, no option. */
    @Test
    void aSourceAddedWithoutAPasswordIsTestedAndCheckedWithoutOne(PgDatabase db) {
        db.execute("CREATE TABLE nopw_t (id int PRIMARY KEY)");
        Run add = run("source", "add", "nopw", "--host", db.host(), "--port", String.valueOf(db.port()), "--database",
                db.name(), "--user", "postgres", "--no-password");
        assertThat(add.exit()).as(add.err()).isZero();
        assertThat(run("source", "show", "nopw").out()).contains("password:    none");
        Run test = assertTimeoutPreemptively(Duration.ofMinutes(1), () -> run("source", "test", "nopw"));
        assertThat(test.exit()).as(test.out() + test.err()).isZero();
        assertThat(test.out()).contains("ok: connected");
        Run doctor = assertTimeoutPreemptively(Duration.ofMinutes(1),
                () -> run("doctor", "--source", "nopw", "--tables", "nopw_t"));
        assertThat(doctor.exit()).as(doctor.out() + doctor.err()).isZero();
        assertThat(doctor.out()).contains("wal_level");
    }
}
