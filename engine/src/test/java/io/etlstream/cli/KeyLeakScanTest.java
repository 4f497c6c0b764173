package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.etlstream.sink.snowflake.KeyPairJwt;
import io.etlstream.sink.snowflake.SqlApiClient;
import io.etlstream.vault.RsaKeys;
import io.etlstream.vault.TestKeys;
import io.etlstream.vault.Vault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates and imports keys through the CLI, signs with them, then searches the home folder, new temp-folder
 * entries, the logs and the CLI output for the keys in any form. Expected: zero hits (a positive control proves
 * the search finds a key that is really there).
 */
class KeyLeakScanTest {
    static final String MASTER = "leak scan master password";
    static final String PASSPHRASE = "leak scan pem passphrase";
    static final long MAX_SCANNED_FILE = 64L << 20;

    @Test
    void keysNeverReachDiskLogsOrOutputUnencrypted() throws Exception {
        Path tmpRoot = Path.of(System.getProperty("java.io.tmpdir"));
        Set<Path> tmpBefore = listing(tmpRoot);

        StringBuilder logs = new StringBuilder();
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
            @Override
            protected synchronized void append(ILoggingEvent e) {
                logs.append(e.getFormattedMessage()).append('\n');
                if (e.getArgumentArray() != null) {
                    for (Object a : e.getArgumentArray()) {
                        logs.append(a).append('\n');
                    }
                }
                if (e.getThrowableProxy() != null) {
                    logs.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
                }
            }
        };
        capture.setContext(ctx);
        capture.start();
        Level savedLevel = root.getLevel();
        root.addAppender(capture);
        root.setLevel(Level.TRACE);

        Path work = Files.createTempDirectory("etl-leak-scan");
        Path home = work.resolve("home");
        Path input = Files.createDirectories(work.resolve("user-input"));
        StringBuilder output = new StringBuilder();
        List<String> aliases = new ArrayList<>();
        try {
            Path pw = input.resolve("master.txt");
            Files.writeString(pw, MASTER);
            Path pass = input.resolve("passphrase.txt");
            Files.writeString(pass, PASSPHRASE);
            String h = home.toString();
            record(output, expectOk(CliRun.run("--home", h, "vault", "init", "--password-file", pw.toString())));
            record(output, expectOk(CliRun.run("--home", h, "key", "generate", "gen2048", "--password-file",
                    pw.toString())));
            record(output, expectOk(CliRun.run("--home", h, "key", "generate", "gen4096", "--bits", "4096",
                    "--password-file", pw.toString())));
            aliases.addAll(List.of("gen2048", "gen4096"));

            // Keys the user brings, in each PEM format; the user deletes the files after the import.
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            for (String format : List.of("pkcs8", "pkcs1", "encrypted")) {
                byte[] pkcs8 = g.generateKeyPair().getPrivate().getEncoded();
                byte[] pem = switch (format) {
                    case "pkcs8" -> TestKeys.pem("PRIVATE KEY", pkcs8);
                    case "pkcs1" -> TestKeys.pem("RSA PRIVATE KEY", TestKeys.pkcs1Of(pkcs8));
                    default -> TestKeys.encryptedPkcs8Pem(pkcs8, PASSPHRASE.toCharArray());
                };
                Path file = input.resolve(format + ".pem");
                Files.write(file, pem);
                List<String> args = new ArrayList<>(List.of("--home", h, "key", "import", "imp-" + format, "--file",
                        file.toString(), "--password-file", pw.toString()));
                if (format.equals("encrypted")) {
                    args.addAll(List.of("--passphrase-file", pass.toString()));
                }
                record(output, expectOk(CliRun.run(args.toArray(String[]::new))));
                Files.delete(file);
                aliases.add("imp-" + format);
            }
            record(output, expectOk(CliRun.run("--home", h, "key", "list", "--password-file", pw.toString())));
            record(output, expectOk(CliRun.run("--home", h, "key", "show-public", "gen2048", "--user", "u",
                    "--password-file", pw.toString())));
            record(output, expectOk(CliRun.run("--home", h, "vault", "status", "--json")));

            // Use every key: sign a JWT and send it to a peer that checks the signature.
            Map<String, PrivateKey> keys = new LinkedHashMap<>();
            try (Vault vault = Vault.open(home.resolve("vault.p12"))) {
                vault.unlock(MASTER.toCharArray());
                for (String a : aliases) {
                    keys.put(a, vault.privateKey(a));
                }
            }
            signAndSend(keys);
            Files.delete(pw);
            Files.delete(pass);

            Map<String, byte[]> binary = new LinkedHashMap<>();
            Map<String, byte[]> text = new LinkedHashMap<>();
            for (Map.Entry<String, PrivateKey> e : keys.entrySet()) {
                addNeedles(e.getKey(), (RSAPrivateCrtKey) e.getValue(), binary, text);
            }
            text.put("master password", MASTER.getBytes(StandardCharsets.UTF_8));
            text.put("PEM passphrase", PASSPHRASE.getBytes(StandardCharsets.UTF_8));

            // Positive control: the scanner must find a key that really is on disk.
            Path control = Files.createTempDirectory("etl-leak-control");
            byte[] leaked = keys.get("gen2048").getEncoded();
            Files.write(control.resolve("leaked.pem"), TestKeys.pem("PRIVATE KEY", leaked));
            Files.write(control.resolve("leaked.der"), leaked);
            List<String> controlHits = new ArrayList<>();
            scanTree(control, binary, text, controlHits);
            assertThat(controlHits).anyMatch(s -> s.contains("base64 of PKCS#8"))
                    .anyMatch(s -> s.contains("private exponent bytes"));
            Files.delete(control.resolve("leaked.pem"));
            Files.delete(control.resolve("leaked.der"));
            Files.delete(control);

            List<String> hits = new ArrayList<>();
            scanTree(home, binary, text, hits);
            try (Stream<Path> s = Files.list(tmpRoot)) {
                for (Path p : s.filter(p -> !tmpBefore.contains(p)).toList()) {
                    scanTree(p, binary, text, hits);
                }
            }
            scanBytes("captured logs", logs.toString().getBytes(StandardCharsets.UTF_8), binary, text, hits);
            scanBytes("CLI output", output.toString().getBytes(StandardCharsets.UTF_8), binary, text, hits);

            assertThat(Files.list(home).map(p -> p.getFileName().toString()).toList())
                    .contains("vault.p12");
            assertThat(logs).as("logs were captured").contains("Generated a 4096-bit RSA key");
            assertThat(hits).isEmpty();
        } finally {
            root.detachAppender(capture);
            root.setLevel(savedLevel);
            deleteTree(work);
        }
    }

    private static void signAndSend(Map<String, PrivateKey> keys) throws Exception {
        Map<String, RSAPublicKey> byFingerprint = new LinkedHashMap<>();
        for (PrivateKey k : keys.values()) {
            RSAPublicKey pub = RsaKeys.publicKeyOf(k);
            byFingerprint.put(RsaKeys.fingerprint(pub), pub);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v2/statements", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                int status = 401;
                try {
                    SignedJWT jwt = SignedJWT.parse(ex.getRequestHeaders().getFirst("Authorization").substring(7));
                    String iss = jwt.getJWTClaimsSet().getIssuer();
                    RSAPublicKey pub = byFingerprint.get(iss.substring(iss.indexOf("SHA256:")));
                    if (pub != null && jwt.verify(new RSASSAVerifier(pub))) {
                        status = 200;
                    }
                } catch (Exception e) {
                    status = 400;
                }
                byte[] body = "{\"data\":[[\"1\"]]}".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            for (PrivateKey k : keys.values()) {
                SqlApiClient.Result r = new SqlApiClient(url, new KeyPairJwt("acct", "user", k))
                        .execute(SqlApiClient.Statement.of("SELECT 1"));
                assertThat(r.finished()).isTrue();
            }
        } finally {
            server.stop(0);
        }
    }

    private static void addNeedles(String alias, RSAPrivateCrtKey key, Map<String, byte[]> binary,
            Map<String, byte[]> text) throws Exception {
        byte[] pkcs8 = key.getEncoded();
        byte[] pkcs1 = TestKeys.pkcs1Of(pkcs8);
        binary.put(alias + ": PKCS#8 DER", middle(pkcs8, 64));
        binary.put(alias + ": PKCS#1 DER", middle(pkcs1, 64));
        binary.put(alias + ": modulus bytes", middle(unsigned(key.getModulus()), 48));
        binary.put(alias + ": private exponent bytes", middle(unsigned(key.getPrivateExponent()), 48));
        binary.put(alias + ": prime p bytes", middle(unsigned(key.getPrimeP()), 32));
        text.put(alias + ": base64 of PKCS#8", middle(Base64.getEncoder().encode(pkcs8), 64));
        text.put(alias + ": base64 of PKCS#1", middle(Base64.getEncoder().encode(pkcs1), 64));
        text.put(alias + ": base64url of PKCS#8", middle(Base64.getUrlEncoder().encode(pkcs8), 64));
        for (Map.Entry<String, BigInteger> n : Map.of("modulus", key.getModulus(),
                "private exponent", key.getPrivateExponent()).entrySet()) {
            String hex = HexFormat.of().formatHex(unsigned(n.getValue()));
            text.put(alias + ": " + n.getKey() + " hex", middle(hex.getBytes(StandardCharsets.US_ASCII), 64));
            text.put(alias + ": " + n.getKey() + " HEX",
                    middle(hex.toUpperCase().getBytes(StandardCharsets.US_ASCII), 64));
            text.put(alias + ": " + n.getKey() + " decimal",
                    middle(n.getValue().toString().getBytes(StandardCharsets.US_ASCII), 60));
        }
    }

    private static void scanTree(Path root, Map<String, byte[]> binary, Map<String, byte[]> text, List<String> hits)
            throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(Files::isRegularFile).toList();
        } catch (UncheckedIOException | IOException e) {
            // Another process removed part of a temp folder while we walked it.
            return;
        }
        for (Path f : files) {
            try {
                if (Files.size(f) > MAX_SCANNED_FILE) {
                    continue;
                }
                scanBytes(f.toString(), Files.readAllBytes(f), binary, text, hits);
            } catch (IOException e) {
                // Gone or unreadable (another process's temp file).
            }
        }
    }

    private static void scanBytes(String where, byte[] data, Map<String, byte[]> binary, Map<String, byte[]> text,
            List<String> hits) {
        byte[] compact = stripWhitespace(data);
        for (Map.Entry<String, byte[]> n : binary.entrySet()) {
            if (indexOf(data, n.getValue()) >= 0) {
                hits.add(where + ": " + n.getKey());
            }
        }
        for (Map.Entry<String, byte[]> n : text.entrySet()) {
            if (indexOf(data, n.getValue()) >= 0 || indexOf(compact, n.getValue()) >= 0) {
                hits.add(where + ": " + n.getKey());
            }
        }
    }

    private static byte[] stripWhitespace(byte[] data) {
        byte[] out = new byte[data.length];
        int n = 0;
        for (byte b : data) {
            if (b != '\n' && b != '\r' && b != ' ' && b != '\t') {
                out[n++] = b;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int indexOf(byte[] data, byte[] needle) {
        if (needle.length == 0) {
            return 0;
        }
        byte first = needle[0];
        outer:
        for (int i = 0; i <= data.length - needle.length; i++) {
            if (data[i] != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] middle(byte[] b, int len) {
        int start = Math.max(0, b.length / 2 - len / 2);
        return Arrays.copyOfRange(b, start, Math.min(b.length, start + len));
    }

    private static byte[] unsigned(BigInteger v) {
        byte[] b = v.toByteArray();
        return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }

    private static Set<Path> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new HashSet<>(s.toList());
        }
    }

    private static CliRun expectOk(CliRun r) {
        assertThat(r.exit()).as(r.err()).isZero();
        return r;
    }

    private static void record(StringBuilder output, CliRun r) {
        output.append(r.out()).append(r.err());
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
