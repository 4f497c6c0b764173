package io.etlstream.vault;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;

/** Test helpers that write keys in the PEM formats users bring (test-only; production code never writes keys). */
public final class TestKeys {
    private TestKeys() {}

    public static byte[] pem(String label, byte[] der) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("-----BEGIN " + label + "-----\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encode(der));
        out.writeBytes(("\n-----END " + label + "-----\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** PKCS#1 RSAPrivateKey: the OCTET STRING inside a PKCS#8 PrivateKeyInfo. */
    public static byte[] pkcs1Of(byte[] pkcs8) throws Exception {
        Der.Reader r = Der.Reader.of(pkcs8).next(Der.SEQUENCE).children();
        r.next(Der.INTEGER);
        r.next(Der.SEQUENCE);
        Der.Element os = r.next(Der.OCTET_STRING);
        return java.util.Arrays.copyOfRange(pkcs8, os.contentStart(), os.end());
    }

    public static byte[] encryptedPkcs8Pem(byte[] pkcs8, char[] passphrase) throws Exception {
        String alg = "PBEWithHmacSHA256AndAES_256";
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        byte[] iv = new byte[16];
        new java.security.SecureRandom().nextBytes(iv);
        PBEParameterSpec spec = new PBEParameterSpec(salt, 10_000, new javax.crypto.spec.IvParameterSpec(iv));
        SecretKey key = SecretKeyFactory.getInstance(alg).generateSecret(new PBEKeySpec(passphrase));
        Cipher c = Cipher.getInstance(alg);
        c.init(Cipher.ENCRYPT_MODE, key, spec);
        AlgorithmParameters params = c.getParameters();
        byte[] enc = c.doFinal(pkcs8);
        // EncryptedPrivateKeyInfo(AlgorithmParameters, ...) cannot name PBES2 on JDK 17: encode the DER by hand.
        byte[] algId = tlv(Der.SEQUENCE, concat(tlv(Der.OID, Der.OID_PBES2), params.getEncoded()));
        byte[] epki = tlv(Der.SEQUENCE, concat(algId, tlv(Der.OCTET_STRING, enc)));
        new EncryptedPrivateKeyInfo(epki); // must parse
        return pem("ENCRYPTED PRIVATE KEY", epki);
    }

    static byte[] tlv(int tag, byte[] content) {
        byte[] out = new byte[Der.tlvSize(content.length)];
        int p = Der.writeHeader(out, 0, tag, content.length);
        System.arraycopy(content, 0, out, p, content.length);
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
