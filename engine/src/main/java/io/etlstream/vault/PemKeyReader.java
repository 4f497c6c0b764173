package io.etlstream.vault;

import io.etlstream.vault.Der.DerException;
import io.etlstream.vault.Der.Element;
import io.etlstream.vault.KeyImportException.Problem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.security.auth.DestroyFailedException;

/**
 * Reads an RSA private key from PEM bytes (PKCS#8, encrypted PKCS#8, PKCS#1) into canonical PKCS#8 DER without
 * BouncyCastle and without ever creating a String of key material. Every format problem gets its own message.
 */
public final class PemKeyReader {
    /** Snowflake accepts RSA keys of at least 2048 bits. */
    public static final int MIN_BITS = 2048;

    private static final byte[] BEGIN = "-----BEGIN ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DASHES = "-----".getBytes(StandardCharsets.US_ASCII);

    private static final String CONVERT_PKCS8 =
            "openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in OLD.pem -out NEW.p8";

    private PemKeyReader() {}

    /**
     * Returns the canonical PKCS#8 DER of the RSA private key in {@code pem}; the caller zeroes it.
     *
     * @param source a name for the file in messages (e.g. its path); never key material
     * @param passphrase needed only for encrypted PKCS#8; may be null. Not zeroed here.
     */
    public static byte[] readPkcs8(byte[] pem, char[] passphrase, String source) {
        Block block = findBlock(pem, source);
        byte[] der = null;
        byte[] pkcs8 = null;
        try {
            switch (block.label) {
                case "PRIVATE KEY":
                    der = decodeBody(pem, block, source);
                    checkPrivateKeyInfo(der, source);
                    return canonical(der, source);
                case "RSA PRIVATE KEY":
                    if (block.legacyEncrypted) {
                        throw new KeyImportException(Problem.LEGACY_ENCRYPTED_PEM, source
                                + " is a PKCS#1 key encrypted in the legacy OpenSSL format (Proc-Type: 4,ENCRYPTED),"
                                + " which is not supported. Convert it to encrypted PKCS#8 with: " + CONVERT_PKCS8);
                    }
                    der = decodeBody(pem, block, source);
                    checkPkcs1(der, source);
                    pkcs8 = Der.pkcs1ToPkcs8(der);
                    return canonical(pkcs8, source);
                case "ENCRYPTED PRIVATE KEY":
                    if (passphrase == null || passphrase.length == 0) {
                        throw new KeyImportException(Problem.PASSPHRASE_MISSING, source
                                + " is an encrypted private key: give its passphrase (key import --passphrase-file FILE).");
                    }
                    der = decodeBody(pem, block, source);
                    pkcs8 = decrypt(der, passphrase, source);
                    checkPrivateKeyInfo(pkcs8, source);
                    return canonical(pkcs8, source);
                default:
                    throw new IllegalStateException("unreachable: " + block.label);
            }
        } finally {
            Secrets.zero(der);
            Secrets.zero(pkcs8);
        }
    }

    private record Block(String label, int bodyStart, int bodyEnd, boolean legacyEncrypted) {}

    private static Block findBlock(byte[] pem, String source) {
        String firstOther = null;
        int from = 0;
        boolean sawBegin = false;
        while (true) {
            int begin = indexOf(pem, BEGIN, from);
            if (begin < 0) {
                break;
            }
            sawBegin = true;
            int labelStart = begin + BEGIN.length;
            int labelEnd = indexOf(pem, DASHES, labelStart);
            if (labelEnd < 0 || labelEnd - labelStart > 64) {
                throw new KeyImportException(Problem.TRUNCATED, source
                        + " has a broken PEM header line (no closing '-----'). Export the key again.");
            }
            // A PEM label is public format metadata, never key material.
            String label = new String(pem, labelStart, labelEnd - labelStart, StandardCharsets.US_ASCII);
            int bodyStart = labelEnd + DASHES.length;
            byte[] endMarker = ("-----END " + label + "-----").getBytes(StandardCharsets.US_ASCII);
            int endAt = indexOf(pem, endMarker, bodyStart);
            switch (label) {
                case "PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY" -> {
                    if (endAt < 0) {
                        throw new KeyImportException(Problem.TRUNCATED, source + " is truncated: the '-----BEGIN "
                                + label + "-----' block has no matching END line. Copy the whole file again.");
                    }
                    boolean legacy = indexOf(pem, "Proc-Type:".getBytes(StandardCharsets.US_ASCII), bodyStart) >= 0
                            && indexOf(pem, "Proc-Type:".getBytes(StandardCharsets.US_ASCII), bodyStart) < endAt;
                    return new Block(label, bodyStart, endAt, legacy);
                }
                default -> {
                    if (firstOther == null) {
                        firstOther = label;
                    }
                }
            }
            from = endAt < 0 ? bodyStart : endAt + endMarker.length;
        }
        if (firstOther != null) {
            throw wrongKind(firstOther, source);
        }
        if (!sawBegin && startsWith(pem, "ssh-rsa ")) {
            throw new KeyImportException(Problem.PUBLIC_KEY, source + " is an OpenSSH public key. Import the private"
                    + " key instead (the file you generated it from).");
        }
        if (!sawBegin && pem.length > 0 && pem[0] == 0x30) {
            throw new KeyImportException(Problem.NO_PEM_BLOCK, source + " looks like binary DER, not PEM. Convert it"
                    + " with: openssl pkey -inform DER -in KEY.der -out KEY.pem");
        }
        throw new KeyImportException(Problem.NO_PEM_BLOCK, source + " contains no PEM private key (no '-----BEGIN"
                + " PRIVATE KEY-----' line). Snowflake key-pair auth needs the RSA private key in PEM form, e.g. from:"
                + " openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa_key.p8");
    }

    private static KeyImportException wrongKind(String label, String source) {
        return switch (label) {
            case "PUBLIC KEY", "RSA PUBLIC KEY" -> new KeyImportException(Problem.PUBLIC_KEY, source
                    + " holds a public key (" + label + "). Import the private key; Snowflake gets only the public"
                    + " side, via ALTER USER ... SET RSA_PUBLIC_KEY.");
            case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE", "CERTIFICATE REQUEST",
                    "NEW CERTIFICATE REQUEST" -> new KeyImportException(Problem.CERTIFICATE, source
                    + " holds a certificate (" + label + "), not a private key. Import the private key file.");
            case "EC PRIVATE KEY", "DSA PRIVATE KEY" -> new KeyImportException(Problem.NOT_RSA, source + " holds an "
                    + label.substring(0, label.indexOf(' ')) + " key; Snowflake key-pair authentication needs an RSA"
                    + " key of at least 2048 bits (e.g. etl-stream key generate ALIAS).");
            case "OPENSSH PRIVATE KEY" -> new KeyImportException(Problem.OPENSSH_FORMAT, source
                    + " is in OpenSSH format. Convert a copy to PKCS#8 with: cp KEY KEY.copy && ssh-keygen -p -m"
                    + " PKCS8 -f KEY.copy   (then import KEY.copy and delete it)");
            default -> new KeyImportException(Problem.NO_PEM_BLOCK, source + " contains a '" + label
                    + "' PEM block but no private key. Expected '-----BEGIN PRIVATE KEY-----', '-----BEGIN ENCRYPTED"
                    + " PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----'.");
        };
    }

    /** Base64-decodes the body, skipping whitespace, into a fresh array; all intermediates are zeroed. */
    private static byte[] decodeBody(byte[] pem, Block block, String source) {
        byte[] compact = new byte[block.bodyEnd - block.bodyStart];
        int n = 0;
        try {
            for (int i = block.bodyStart; i < block.bodyEnd; i++) {
                byte b = pem[i];
                if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                    compact[n++] = b;
                }
            }
            if (n == 0) {
                throw new KeyImportException(Problem.TRUNCATED, source + " has an empty PEM block. Export the key again.");
            }
            byte[] exact = new byte[n];
            System.arraycopy(compact, 0, exact, 0, n);
            try {
                return Base64.getDecoder().decode(exact);
            } catch (IllegalArgumentException e) {
                // The exception text could quote an input character; do not chain it.
                throw new KeyImportException(Problem.BAD_BASE64, source + " is not valid PEM: the text between the"
                        + " BEGIN and END lines is not base64 (edited, or pasted with extra characters?). Export the"
                        + " key again.");
            } finally {
                Secrets.zero(exact);
            }
        } finally {
            Secrets.zero(compact);
        }
    }

    private static void checkPrivateKeyInfo(byte[] der, String source) {
        try {
            Der.Reader top = Der.Reader.of(der);
            Element seq = top.next(Der.SEQUENCE);
            if (top.hasNext()) {
                throw new DerException("trailing data", top.position());
            }
            Der.Reader r = seq.children();
            r.next(Der.INTEGER);
            Element algId = r.next(Der.SEQUENCE);
            Element oid = algId.children().next(Der.OID);
            r.next(Der.OCTET_STRING);
            if (oid.isOid(Der.OID_RSA)) {
                return;
            }
            String kind = oid.isOid(Der.OID_EC) ? "EC"
                    : oid.isOid(Der.OID_DSA) ? "DSA"
                    : oid.isOid(Der.OID_ED25519) ? "Ed25519"
                    : oid.isOid(Der.OID_ED448) ? "Ed448"
                    : oid.isOid(Der.OID_X25519) ? "X25519"
                    : oid.isOid(Der.OID_RSASSA_PSS) ? "RSASSA-PSS"
                    : "non-RSA (algorithm " + oid.oidString() + ")";
            throw new KeyImportException(Problem.NOT_RSA, source + " holds an " + kind + " key; Snowflake key-pair"
                    + " authentication needs a plain RSA key of at least 2048 bits (e.g. etl-stream key generate"
                    + " ALIAS, or openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048).");
        } catch (DerException e) {
            throw truncated(source, e);
        }
    }

    private static void checkPkcs1(byte[] der, String source) {
        try {
            Der.Reader top = Der.Reader.of(der);
            Element seq = top.next(Der.SEQUENCE);
            if (top.hasNext()) {
                throw new DerException("trailing data", top.position());
            }
            Der.Reader r = seq.children();
            for (int i = 0; i < 9; i++) {
                r.next(Der.INTEGER);
            }
        } catch (DerException e) {
            throw truncated(source, e);
        }
    }

    private static KeyImportException truncated(String source, DerException e) {
        // DerException messages carry only offsets and tags, never content.
        return new KeyImportException(Problem.TRUNCATED, source + " is damaged or truncated: the key structure"
                + " inside the PEM block is incomplete (" + e.getMessage() + "). Copy or export the whole file again.");
    }

    private static byte[] decrypt(byte[] der, char[] passphrase, String source) {
        EncryptedPrivateKeyInfo info;
        try {
            checkEncryptedInfo(der, source);
            info = new EncryptedPrivateKeyInfo(der);
        } catch (IOException e) {
            throw new KeyImportException(Problem.TRUNCATED, source + " is damaged or truncated: the encrypted key"
                    + " structure cannot be read. Export the key again.", e);
        }
        String algorithm;
        AlgorithmParameters params = info.getAlgParameters();
        String name = info.getAlgName();
        // For PBES2 the JDK names the real scheme only through the parameters (e.g. PBEWithHmacSHA256AndAES_256).
        algorithm = params != null && (name.equals("PBES2") || name.equals("1.2.840.113549.1.5.13"))
                ? params.toString() : name;
        Cipher cipher;
        SecretKey pbeKey = null;
        PBEKeySpec spec = new PBEKeySpec(passphrase);
        try {
            SecretKeyFactory factory = SecretKeyFactory.getInstance(algorithm);
            pbeKey = factory.generateSecret(spec);
            cipher = Cipher.getInstance(algorithm);
            cipher.init(Cipher.DECRYPT_MODE, pbeKey, params);
        } catch (NoSuchAlgorithmException e) {
            throw unsupported(source, algorithm, e);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw unsupported(source, algorithm, e);
        } finally {
            spec.clearPassword();
            destroyQuietly(pbeKey);
        }
        byte[] plain;
        try {
            plain = cipher.doFinal(info.getEncryptedData());
        } catch (BadPaddingException e) {
            throw wrongPassphrase(source);
        } catch (GeneralSecurityException e) {
            throw wrongPassphrase(source);
        }
        try {
            Der.Reader top = Der.Reader.of(plain);
            top.next(Der.SEQUENCE);
            if (top.hasNext()) {
                throw new DerException("trailing data", top.position());
            }
        } catch (DerException e) {
            // Padding happened to look valid, but the plaintext is garbage: the passphrase is wrong.
            Secrets.zero(plain);
            throw wrongPassphrase(source);
        }
        return plain;
    }

    /** Rejects schemes the JDK cannot decrypt (scrypt, PBES2 with DES) with a conversion command. */
    private static void checkEncryptedInfo(byte[] der, String source) {
        try {
            Der.Reader top = Der.Reader.of(der);
            Element seq = top.next(Der.SEQUENCE);
            if (top.hasNext()) {
                throw new DerException("trailing data", top.position());
            }
            Der.Reader r = seq.children();
            Element algId = r.next(Der.SEQUENCE);
            r.next(Der.OCTET_STRING);
            Der.Reader a = algId.children();
            Element oid = a.next(Der.OID);
            if (oid.isOid(Der.OID_PBES2)) {
                Der.Reader p = a.next(Der.SEQUENCE).children();
                Element kdf = p.next(Der.SEQUENCE).children().next(Der.OID);
                if (kdf.isOid(Der.OID_SCRYPT)) {
                    throw unsupported(source, "PBES2 with scrypt", null);
                }
                if (!kdf.isOid(Der.OID_PBKDF2)) {
                    throw unsupported(source, "PBES2 with key derivation " + kdf.oidString(), null);
                }
                Element enc = p.next(Der.SEQUENCE).children().next(Der.OID);
                String encOid = enc.oidString();
                if (!encOid.equals("2.16.840.1.101.3.4.1.2") && !encOid.equals("2.16.840.1.101.3.4.1.42")) {
                    String encName = switch (encOid) {
                        case "1.2.840.113549.3.7" -> "DES-EDE3-CBC";
                        case "1.3.14.3.2.7" -> "DES-CBC";
                        case "2.16.840.1.101.3.4.1.22" -> "AES-192-CBC";
                        default -> encOid;
                    };
                    throw unsupported(source, "PBES2 with " + encName, null);
                }
            }
        } catch (DerException e) {
            throw truncated(source, e);
        }
    }

    private static KeyImportException unsupported(String source, String algorithm, Exception cause) {
        return new KeyImportException(Problem.UNSUPPORTED_ENCRYPTION, source + " is encrypted with " + algorithm
                + ", which Java cannot decrypt. Re-encrypt it with AES-256 (asks for the old and a new passphrase): "
                + CONVERT_PKCS8, cause);
    }

    private static KeyImportException wrongPassphrase(String source) {
        return new KeyImportException(Problem.WRONG_PASSPHRASE, "Wrong passphrase for " + source
                + ": the key could not be decrypted. Check the passphrase file (a trailing newline is ignored).");
    }

    /** Re-encodes through the JDK to validate the key, check its size and normalise the encoding. */
    private static byte[] canonical(byte[] pkcs8, String source) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pkcs8);
        PrivateKey key;
        try {
            key = KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (GeneralSecurityException e) {
            throw new KeyImportException(Problem.TRUNCATED, source + " holds an RSA key that Java cannot read"
                    + " (damaged or unusual encoding). Export it again with: openssl pkcs8 -topk8 -nocrypt -in KEY"
                    + " -out KEY.p8");
        }
        if (!(key instanceof RSAPrivateCrtKey crt)) {
            throw new KeyImportException(Problem.NOT_RSA, source + " holds an RSA key without CRT parameters, so its"
                    + " public key cannot be derived. Export it again with: openssl pkcs8 -topk8 -nocrypt -in KEY"
                    + " -out KEY.p8");
        }
        int bits = crt.getModulus().bitLength();
        if (bits < MIN_BITS) {
            throw new KeyImportException(Problem.KEY_TOO_SMALL, source + " holds a " + bits + "-bit RSA key;"
                    + " Snowflake requires at least " + MIN_BITS + " bits. Generate a new one: etl-stream key"
                    + " generate ALIAS");
        }
        return key.getEncoded();
    }

    static void destroyQuietly(javax.security.auth.Destroyable d) {
        if (d != null && !d.isDestroyed()) {
            try {
                d.destroy();
            } catch (DestroyFailedException | RuntimeException e) {
                // Most JDK key classes cannot be destroyed; the caller already zeroed the copies it owns.
            }
        }
    }

    private static boolean startsWith(byte[] data, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
        return indexOf(data, p, 0) == 0;
    }

    static int indexOf(byte[] data, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
