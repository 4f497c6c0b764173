package io.etlstream.vault;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.SecretKey;

/**
 * The secret handed to the PKCS12 KeyStore when an entry is written. Unlike {@code SecretKeySpec} it can be
 * destroyed: {@link #destroy()} zeroes its own bytes and every copy {@link #getEncoded()} handed out.
 */
final class VaultSecretKey implements SecretKey {
    private static final long serialVersionUID = 1L;

    private final String algorithm;
    private final byte[] material;
    private final transient List<byte[]> copies = new ArrayList<>();
    private volatile boolean destroyed;

    /** Takes ownership of {@code material}: the caller must not zero it before {@link #destroy()}. */
    VaultSecretKey(String algorithm, byte[] material) {
        this.algorithm = algorithm;
        this.material = material;
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    @Override
    public synchronized byte[] getEncoded() {
        if (destroyed) {
            throw new IllegalStateException("key destroyed");
        }
        byte[] copy = material.clone();
        copies.add(copy);
        return copy;
    }

    @Override
    public synchronized void destroy() {
        destroyed = true;
        Arrays.fill(material, (byte) 0);
        for (byte[] c : copies) {
            Arrays.fill(c, (byte) 0);
        }
        copies.clear();
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "VaultSecretKey[" + algorithm + ", ***]";
    }
}
