package io.etlstream.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.vault.KeyImportException.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PemKeyReaderTest {
    static final char[] PASSPHRASE = "test-passphrase".toCharArray();

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = PemKeyReaderTest.class.getResourceAsStream("pem/" + name)) {
            if (in == null) {
                throw new IOException("missing fixture " + name);
            }
            return in.readAllBytes();
        }
    }

    /** The same key in each supported format decodes to the same PKCS#8 bytes. */
    @ParameterizedTest
    @CsvSource({
        "rsa2048-pkcs8.pem, false",
        "rsa2048-pkcs1.pem, false",
        "rsa2048-pkcs8-aes256.pem, true",
        "rsa2048-pkcs8-aes128-sha1.pem, true",
        "rsa2048-pkcs8-pbe-sha1-3des.pem, true"
    })
    void everySupportedFormatGivesTheSameKey(String file, boolean encrypted) throws Exception {
        byte[] reference = PemKeyReader.readPkcs8(fixture("rsa2048-pkcs8.pem"), null, "ref");
        byte[] got = PemKeyReader.readPkcs8(fixture(file), encrypted ? PASSPHRASE : null, file);
        assertThat(got).isEqualTo(reference);
        RSAPrivateCrtKey key = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA")
                .generatePrivate(new PKCS8EncodedKeySpec(got));
        assertThat(key.getModulus().bitLength()).isEqualTo(2048);
        String expectedFp = new String(fixture("rsa2048.fingerprint"), StandardCharsets.US_ASCII).trim();
        assertThat(RsaKeys.fingerprint(RsaKeys.publicKeyOf(key))).isEqualTo("SHA256:" + expectedFp);
    }

    @ParameterizedTest
    @CsvSource({
        "rsa2048-public.pem, PUBLIC_KEY, public key",
        "rsa2048-public-pkcs1.pem, PUBLIC_KEY, public key",
        "rsa2048-cert.pem, CERTIFICATE, certificate",
        "ec-pkcs8.pem, NOT_RSA, EC",
        "ec-traditional.pem, NOT_RSA, EC",
        "ed25519-pkcs8.pem, NOT_RSA, Ed25519",
        "openssh-rsa.pem, OPENSSH_FORMAT, ssh-keygen -p -m PKCS8",
        "rsa1024-pkcs8.pem, KEY_TOO_SMALL, 1024-bit",
        "rsa2048-pkcs1-legacy-encrypted.pem, LEGACY_ENCRYPTED_PEM, openssl pkcs8 -topk8",
        "rsa2048-pkcs8-scrypt.pem, UNSUPPORTED_ENCRYPTION, scrypt",
        "rsa2048-pkcs8-pbes2-des3.pem, UNSUPPORTED_ENCRYPTION, DES-EDE3-CBC"
    })
    void eachFormatProblemHasItsOwnMessage(String file, Problem problem, String hint) throws Exception {
        assertThatThrownBy(() -> PemKeyReader.readPkcs8(fixture(file), PASSPHRASE, file))
                .isInstanceOfSatisfying(KeyImportException.class, e -> assertThat(e.problem()).isEqualTo(problem))
                .hasMessageContaining(file)
                .hasMessageContaining(hint);
    }

    @Test
    void encryptedKeyWithoutPassphraseAsksForIt() {
        assertThatThrownBy(() -> PemKeyReader.readPkcs8(fixture("rsa2048-pkcs8-aes256.pem"), null, "k.p8"))
                .isInstanceOfSatisfying(KeyImportException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.PASSPHRASE_MISSING))
                .hasMessageContaining("--passphrase-file");
    }

    @Test
    void wrongPassphraseIsNamedAsSuch() {
        for (String f : new String[] {"rsa2048-pkcs8-aes256.pem", "rsa2048-pkcs8-pbe-sha1-3des.pem"}) {
            assertThatThrownBy(() -> PemKeyReader.readPkcs8(fixture(f), "not-it".toCharArray(), f))
                    .isInstanceOfSatisfying(KeyImportException.class,
                            e -> assertThat(e.problem()).isEqualTo(Problem.WRONG_PASSPHRASE))
                    .hasMessageContaining("Wrong passphrase");
        }
    }

    @Test
    void garbageInTheBase64IsReported() throws Exception {
        byte[] pem = fixture("rsa2048-pkcs8.pem");
        int i = PemKeyReader.indexOf(pem, "\n".getBytes(StandardCharsets.US_ASCII), 0) + 10;
        pem[i] = '!';
        assertThatThrownBy(() -> PemKeyReader.readPkcs8(pem, null, "bad.pem"))
                .isInstanceOfSatisfying(KeyImportException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.BAD_BASE64));
    }

    @Test
    void truncatedFilesAreReported() throws Exception {
        byte[] pem = fixture("rsa2048-pkcs8.pem");
        byte[] half = Arrays.copyOf(pem, pem.length / 2);
        assertThatThrownBy(() -> PemKeyReader.readPkcs8(half, null, "half.pem"))
                .isInstanceOfSatisfying(KeyImportException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.TRUNCATED))
                .hasMessageContaining("no matching END");
        // Body lines lost in the middle, END line intact: the DER inside is incomplete.
        String text = new String(pem, StandardCharsets.US_ASCII);
        String[] lines = text.split("\n");
        StringBuilder sb = new StringBuilder(lines[0]).append('\n');
        for (int l = 1; l < lines.length / 2; l++) {
            sb.append(lines[l]).append('\n');
        }
        sb.append(lines[lines.length - 1]).append('\n');
        assertThatThrownBy(() -> PemKeyReader.readPkcs8(sb.toString().getBytes(StandardCharsets.US_ASCII), null,
                        "cut.pem"))
                .isInstanceOfSatisfying(KeyImportException.class,
                        e -> assertThat(e.problem()).isIn(Problem.TRUNCATED, Problem.BAD_BASE64));
    }

    @Test
    void noPemAtAll() {
        assertThatThrownBy(() -> PemKeyReader.readPkcs8("hello".getBytes(StandardCharsets.US_ASCII), null, "x"))
                .isInstanceOfSatisfying(KeyImportException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.NO_PEM_BLOCK));
        assertThatThrownBy(() -> PemKeyReader.readPkcs8(new byte[] {0x30, (byte) 0x82, 1, 2}, null, "x.der"))
                .hasMessageContaining("DER");
    }

    @Test
    void jdkEncryptedPkcs8AlsoWorks() throws Exception {
        // PKCS#8 encrypted by the JDK itself (PBES2, HmacSHA256, AES-256), as another tool might write it.
        byte[] plain = PemKeyReader.readPkcs8(fixture("rsa2048-pkcs8.pem"), null, "ref");
        byte[] pem = TestKeys.encryptedPkcs8Pem(plain, PASSPHRASE);
        assertThat(PemKeyReader.readPkcs8(pem, PASSPHRASE, "jdk.p8")).isEqualTo(plain);
    }
}
