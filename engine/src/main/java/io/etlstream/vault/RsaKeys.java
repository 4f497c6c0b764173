package io.etlstream.vault;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;

/** Public-side helpers for RSA keys: deriving the public key, Snowflake's fingerprint, PKCS#8 decoding. */
public final class RsaKeys {
    private RsaKeys() {}

    /** The public key that belongs to a CRT private key (every key the vault stores has CRT parameters). */
    public static RSAPublicKey publicKeyOf(PrivateKey privateKey) {
        if (!(privateKey instanceof RSAPrivateCrtKey crt)) {
            throw new IllegalArgumentException("not an RSA CRT private key: " + privateKey.getAlgorithm());
        }
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA")
                    .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot build an RSA public key", e);
        }
    }

    /** {@code SHA256:<base64 of SHA-256 over the SubjectPublicKeyInfo DER>}, as Snowflake shows in RSA_PUBLIC_KEY_FP. */
    public static String fingerprint(PublicKey publicKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(publicKey.getEncoded());
            return "SHA256:" + Base64.getEncoder().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Base64 of the SubjectPublicKeyInfo DER: the value for {@code RSA_PUBLIC_KEY}. */
    public static String publicKeyBase64(PublicKey publicKey) {
        return Base64.getEncoder().encodeToString(publicKey.getEncoded());
    }

    /** Builds the key object from PKCS#8 bytes; does not zero {@code pkcs8}. */
    static PrivateKey privateKeyFromPkcs8(byte[] pkcs8) {
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new VaultException(VaultException.Reason.CORRUPTED,
                    "A key in the vault cannot be decoded; the entry is damaged. Delete and re-import it.", e);
        }
    }
}
