package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.testkit.pg.PgDatabase;
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

        assertThat(run("source", "remove", "src1").exit()).isZero();
        assertThat(run("source", "show", "src1").exit()).isEqualTo(1);
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
}
