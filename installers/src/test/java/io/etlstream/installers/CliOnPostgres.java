package io.etlstream.installers;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.testkit.pg.PgCluster;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/**
 * Drives a shipped CLI launcher against a real PostgreSQL (the engine's test harness) over TLS with certificate
 * checks and SCRAM: vault init, source add, doctor, pipeline list. This is what needs java.sql, the TLS and EC
 * providers and the PKCS12 settings from the launcher's jlinked runtime and cfg, not only {@code --version}.
 */
final class CliOnPostgres {

    private static final String ROLE = "etl_installed";

    private CliOnPostgres() {}

    /** Runs the sequence in fresh homes under {@code tmp}; fails with the launcher's whole output on any surprise. */
    static void assertDoctorAndPipelineList(Path cli, Path tmp) throws IOException {
        Path certDir = Files.createDirectories(tmp.resolve("certs"));
        TestCertificates certs = TestCertificates.create(certDir, "localhost", "dns:localhost,ip:127.0.0.1");
        List<String> hba = List.of(
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "hostssl all all 127.0.0.1/32 scram-sha-256",
                "hostssl replication all 127.0.0.1/32 scram-sha-256");
        try (PgCluster pg = PgCluster.start(17, new PgCluster.Setup(certs.serverFiles(), hba,
                Map.of("ssl", "on", "ssl_cert_file", "server.crt", "ssl_key_file", "server.key")))) {
            PgDatabase db = pg.createDatabase("installed");
            // Throwaway credentials of a throwaway server; the launcher reads them from files, as a script would.
            String pgPassword = "pg-" + Long.toHexString(System.nanoTime());
            db.createRole(ROLE, pgPassword, true);
            db.execute("GRANT CREATE ON DATABASE \"" + db.name() + "\" TO " + ROLE,
                    "CREATE TABLE public.orders (id int PRIMARY KEY, note text)",
                    "ALTER TABLE public.orders OWNER TO " + ROLE);
            Path master = secretFile(tmp.resolve("master"), "master-" + Long.toHexString(System.nanoTime()) + "-Xy9");
            Path pgPw = secretFile(tmp.resolve("pg"), pgPassword);

            String home = tmp.resolve("home").toString();
            Run init = Run.of(cli, "--home", home, "vault", "init", "--password-file", master.toString());
            assertThat(init.exitCode()).as(init.describe()).isZero();

            Run add = Run.of(cli, "--home", home, "source", "add", "--host", "127.0.0.1", "--port",
                    String.valueOf(pg.port()), "--database", db.name(), "--user", ROLE, "--sslmode", "verify-full",
                    "--sslrootcert", certs.caPem().toString(), "--pg-password-file", pgPw.toString(),
                    "--password-file", master.toString(), "src");
            assertThat(add.exitCode()).as(add.describe()).isZero();
            assertThat(add.out()).as(add.describe()).contains("replication connection ok");

            Run doctor = Run.of(cli, "--home", home, "doctor", "--source", "src", "--tables", "public.orders",
                    "--password-file", master.toString());
            assertThat(doctor.exitCode()).as(doctor.describe()).isZero();
            assertThat(doctor.out()).as(doctor.describe())
                    .contains("ok       connection: connected as " + ROLE, "ok       wal_level: logical",
                            "ok       replication connection: accepted", "0 error(s)");
            assertThat(doctor.out() + doctor.err()).doesNotContain(pgPassword);

            Path fresh = tmp.resolve("fresh-home");
            Run list = Run.of(cli, "--home", fresh.toString(), "pipeline", "list");
            assertThat(list.exitCode()).as(list.describe()).isZero();
            assertThat(list.out()).as(list.describe()).contains("No pipelines yet");
            assertThat(fresh.resolve("catalog")).isDirectory();
        }
    }

    private static Path secretFile(Path file, String secret) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, secret + "\n");
        return file;
    }
}
