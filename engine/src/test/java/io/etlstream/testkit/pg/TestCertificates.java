package io.etlstream.testkit.pg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A throwaway certificate authority and a server certificate it signed, made at test time with the JDK's own
 * {@code keytool} (no openssl, no extra library): PEM files for PostgreSQL ({@code ssl_cert_file},
 * {@code ssl_key_file}) and for clients ({@code sslrootcert}), plus the PEM of a second, unrelated CA.
 *
 * @param caPem        the CA certificate that signed the server certificate
 * @param otherCaPem   a CA that signed nothing here (a "wrong CA" for verify-ca)
 * @param serverCert   the server certificate (PEM)
 * @param serverKey    the server's private key (PKCS#8 PEM, unencrypted, as PostgreSQL reads it)
 */
public record TestCertificates(Path caPem, Path otherCaPem, Path serverCert, Path serverKey) {

    // Protects throwaway keystores that live for one test run in a temp folder.
    private static final String STORE_PW = "test-only";

    /**
     * Creates the files in {@code dir}. The server certificate names {@code commonName} and carries the subject
     * alternative names {@code sans} in keytool syntax (e.g. {@code dns:localhost,ip:127.0.0.1}).
     */
    public static TestCertificates create(Path dir, String commonName, String sans) {
        try {
            Path ca = dir.resolve("ca.p12");
            Path other = dir.resolve("other-ca.p12");
            Path server = dir.resolve("server.p12");
            Path csr = dir.resolve("server.csr");
            TestCertificates out = new TestCertificates(dir.resolve("ca.pem"), dir.resolve("other-ca.pem"),
                    dir.resolve("server.crt"), dir.resolve("server.key"));
            keytool("-genkeypair", "-keystore", ca.toString(), "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
                    "-dname", "CN=etl-stream test CA", "-ext", "bc:c", "-validity", "3");
            keytool("-exportcert", "-rfc", "-keystore", ca.toString(), "-alias", "ca", "-file", out.caPem.toString());
            keytool("-genkeypair", "-keystore", other.toString(), "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
                    "-dname", "CN=etl-stream unrelated CA", "-ext", "bc:c", "-validity", "3");
            keytool("-exportcert", "-rfc", "-keystore", other.toString(), "-alias", "ca", "-file",
                    out.otherCaPem.toString());
            keytool("-genkeypair", "-keystore", server.toString(), "-alias", "server", "-keyalg", "RSA", "-keysize",
                    "2048", "-dname", "CN=" + commonName, "-validity", "3");
            keytool("-certreq", "-keystore", server.toString(), "-alias", "server", "-file", csr.toString());
            keytool("-gencert", "-keystore", ca.toString(), "-alias", "ca", "-infile", csr.toString(), "-outfile",
                    out.serverCert.toString(), "-rfc", "-validity", "3", "-ext", "SAN=" + sans,
                    "-ext", "KU=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth");
            writeKeyPem(server, out.serverKey);
            return out;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot create test certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The contents of the server certificate and key, for {@link PgCluster.Setup#files()}. */
    public java.util.Map<String, byte[]> serverFiles() {
        try {
            return java.util.Map.of("server.crt", Files.readAllBytes(serverCert), "server.key", Files.readAllBytes(serverKey));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void writeKeyPem(Path store, Path pem) throws IOException, GeneralSecurityException {
        char[] pw = STORE_PW.toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, pw);
        }
        Key key = ks.getKey("server", pw);
        byte[] der = key.getEncoded();
        try {
            String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
            Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n",
                    StandardCharsets.US_ASCII);
        } finally {
            Arrays.fill(der, (byte) 0);
            Arrays.fill(pw, '\0');
        }
    }

    private static void keytool(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", STORE_PW, "-noprompt"));
        if (Arrays.asList(args).contains("-genkeypair")) {
            cmd.addAll(List.of("-keypass", STORE_PW));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException("keytool " + args[0] + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
