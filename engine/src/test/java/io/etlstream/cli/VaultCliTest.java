package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.etlstream.vault.Vault;
import io.etlstream.vault.VaultPublicKey;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultCliTest {
    static final String MASTER = "cli master password 42";

    @TempDir
    Path tmp;

    Path home() {
        return tmp.resolve("home");
    }

    Path pwFile() throws Exception {
        Path f = tmp.resolve("master.txt");
        if (!Files.exists(f)) {
            Files.writeString(f, MASTER + "\n");
        }
        return f;
    }

    CliRun cli(String... args) throws Exception {
        String[] full = new String[args.length + 2];
        full[0] = "--home";
        full[1] = home().toString();
        System.arraycopy(args, 0, full, 2, args.length);
        return CliRun.run(full);
    }

    @Test
    void initStatusAndPasswordSources() throws Exception {
        CliRun none = cli("vault", "status");
        assertThat(none.exit()).isZero();
        assertThat(none.out()).contains("No vault");

        Path weak = tmp.resolve("weak.txt");
        Files.writeString(weak, "short\n");
        CliRun refused = cli("vault", "init", "--password-file", weak.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).contains("too short");
        assertThat(refused.err()).contains("at least 12");
        assertThat(Files.exists(home().resolve("vault.p12"))).isFalse();

        CliRun init = cli("vault", "init", "--password-file", pwFile().toString());
        assertThat(init.exit()).as(init.err()).isZero();
        assertThat(init.out()).contains("Password strength:").contains("Created");

        CliRun again = cli("vault", "init", "--password-file", pwFile().toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already exists");

        // Master password on stdin (piped), the database password from the next line.
        CliRun put = CliRun.withStdin(MASTER + "\npg-secret\n", "--home", home().toString(), "vault", "put-password",
                "pg-main");
        assertThat(put.exit()).as(put.err()).isZero();

        CliRun wrong = CliRun.withStdin("not the password\n", "--home", home().toString(), "vault", "unlock");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("Wrong master password");
        CliRun ok = CliRun.withStdin(MASTER + "\n", "--home", home().toString(), "vault", "unlock");
        assertThat(ok.exit()).isZero();
        assertThat(ok.out()).contains("correct").contains("control channel");

        CliRun status = cli("vault", "status", "--json");
        assertThat(status.exit()).isZero();
        JsonNode s = new ObjectMapper().readTree(status.out());
        assertThat(s.get("exists").asBoolean()).isTrue();
        assertThat(s.at("/entries/passwords").asInt()).isEqualTo(1);
        assertThat(s.at("/protection/macIterations").asInt()).isGreaterThanOrEqualTo(600_000);
        assertThat(s.at("/protection/minEntryIterations").asInt()).isGreaterThanOrEqualTo(600_000);
        assertThat(s.get("permissions").asText()).isEqualTo("rw-------");

        CliRun noPw = CliRun.withStdin("", "--home", home().toString(), "key", "list");
        assertThat(noPw.exit()).isEqualTo(1);
        assertThat(noPw.err()).contains("--password-file");

        Path newPw = tmp.resolve("new.txt");
        Files.writeString(newPw, "a brand new master password");
        CliRun change = cli("vault", "change-password", "--password-file", pwFile().toString(),
                "--new-password-file", newPw.toString());
        assertThat(change.exit()).as(change.err()).isZero();
        assertThat(cli("vault", "unlock", "--password-file", newPw.toString()).exit()).isZero();
        assertThat(cli("vault", "unlock", "--password-file", pwFile().toString()).exit()).isEqualTo(1);
    }

    @Test
    void keyLifecycleWithRotation() throws Exception {
        assertThat(cli("vault", "init", "--password-file", pwFile().toString()).exit()).isZero();
        String pw = pwFile().toString();

        CliRun gen = cli("key", "generate", "sf_prod", "--user", "etl_loader", "--password-file", pw);
        assertThat(gen.exit()).as(gen.err()).isZero();
        assertThat(gen.out()).contains("ALTER USER ETL_LOADER SET RSA_PUBLIC_KEY='MII").contains("SHA256:");

        Path pem = Path.of(getClass().getResource("/io/etlstream/vault/pem/rsa2048-pkcs8-aes256.pem").toURI());
        Path pass = tmp.resolve("pass.txt");
        Files.writeString(pass, "test-passphrase\n");
        CliRun imp = cli("key", "import", "imported", "--file", pem.toString(), "--passphrase-file", pass.toString(),
                "--password-file", pw);
        assertThat(imp.exit()).as(imp.err()).isZero();
        String expectedFp = Files.readString(pem.resolveSibling("rsa2048.fingerprint")).trim();
        assertThat(imp.out()).contains("SHA256:" + expectedFp);

        CliRun badImport = cli("key", "import", "pub", "--file", pem.resolveSibling("rsa2048-public.pem").toString(),
                "--password-file", pw);
        assertThat(badImport.exit()).isEqualTo(1);
        assertThat(badImport.err()).contains("public key");

        CliRun list = cli("key", "list", "--json", "--password-file", pw);
        assertThat(list.exit()).as(list.err()).isZero();
        JsonNode keys = new ObjectMapper().readTree(list.out());
        assertThat(keys).hasSize(2);
        String oldFp = keys.get(1).get("fingerprint").asText();
        assertThat(keys.get(1).get("alias").asText()).isEqualTo("sf_prod");

        CliRun start = cli("key", "rotate", "sf_prod", "--user", "etl_loader", "--password-file", pw);
        assertThat(start.exit()).as(start.err()).isZero();
        assertThat(start.out()).contains("SET RSA_PUBLIC_KEY_2='");

        CliRun unchecked = cli("key", "rotate", "sf_prod", "--finish", "--password-file", pw);
        assertThat(unchecked.exit()).isEqualTo(1);
        assertThat(unchecked.err()).contains("--verify-url");

        // A peer that accepts only a JWT signed by the pending key, as Snowflake would once RSA_PUBLIC_KEY_2 is set.
        VaultPublicKey pending;
        try (Vault v = Vault.open(home().resolve("vault.p12"))) {
            v.unlock(MASTER.toCharArray());
            pending = v.publicKey("sf_prod.next");
        }
        AtomicReference<String> subject = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v2/statements", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                int status = 401;
                try {
                    SignedJWT jwt = SignedJWT.parse(ex.getRequestHeaders().getFirst("Authorization").substring(7));
                    if (jwt.verify(new RSASSAVerifier(pending.key()))
                            && jwt.getJWTClaimsSet().getSubject().equals("XY12345.ETL_LOADER")) {
                        status = 200;
                        subject.set(jwt.getJWTClaimsSet().getSubject());
                    }
                } catch (Exception e) {
                    status = 400;
                }
                byte[] body = (status == 200 ? "{\"data\":[[\"1\"]],\"statementHandle\":\"h\"}"
                        : "{\"code\":\"390144\",\"message\":\"JWT token is invalid.\"}").getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            CliRun refused = cli("key", "rotate", "sf_prod", "--finish", "--verify-url", url, "--account",
                    "xy12345", "--user", "someone_else", "--password-file", pw);
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("nothing was switched").contains("RSA_PUBLIC_KEY_2");
            assertThat(cli("key", "list", "--password-file", pw).out()).contains(oldFp).contains("pending rotation");

            CliRun finish = cli("key", "rotate", "sf_prod", "--finish", "--verify-url", url, "--account",
                    "xy12345.us-east-1", "--user", "etl_loader", "--password-file", pw);
            assertThat(finish.exit()).as(finish.err()).isZero();
            assertThat(finish.out()).contains("Login with the new key works").contains("UNSET RSA_PUBLIC_KEY;");
            assertThat(subject.get()).isEqualTo("XY12345.ETL_LOADER");
        } finally {
            server.stop(0);
        }
        CliRun after = cli("key", "list", "--json", "--password-file", pw);
        JsonNode keys2 = new ObjectMapper().readTree(after.out());
        assertThat(keys2).hasSize(2);
        assertThat(keys2.get(1).get("fingerprint").asText()).isEqualTo(pending.fingerprint()).isNotEqualTo(oldFp);

        CliRun show = cli("key", "show-public", "imported", "--user", "Mixed Case", "--password-file", pw);
        assertThat(show.out()).contains("ALTER USER \"Mixed Case\" SET RSA_PUBLIC_KEY='");
        assertThat(cli("key", "delete", "imported", "--password-file", pw).exit()).isZero();
        CliRun gone = cli("key", "show-public", "imported", "--password-file", pw);
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).contains("no key named 'imported'");
    }

    @Test
    void nonInteractiveInitAndChangePasswordFromStdin() throws Exception {
        String h = home().toString();
        CliRun init = CliRun.withStdin(MASTER + "\n", "--home", h, "vault", "init");
        assertThat(init.exit()).as(init.err()).isZero();
        CliRun change = CliRun.withStdin(MASTER + "\nsecond master password\n", "--home", h, "vault",
                "change-password");
        assertThat(change.exit()).as(change.err()).isZero();
        assertThat(CliRun.withStdin("second master password\n", "--home", h, "vault", "unlock").exit()).isZero();
        CliRun weak = CliRun.withStdin("second master password\nshort\n", "--home", h, "vault", "change-password");
        assertThat(weak.exit()).isEqualTo(1);
        assertThat(weak.err()).contains("Nothing was changed");
    }
}
