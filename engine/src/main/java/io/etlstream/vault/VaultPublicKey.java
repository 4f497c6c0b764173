package io.etlstream.vault;

import java.security.interfaces.RSAPublicKey;
import java.util.Locale;
import java.util.Objects;

/** The public side of a key in the vault: what may be shown, copied and sent to Snowflake. */
public record VaultPublicKey(String alias, RSAPublicKey key) {

    public VaultPublicKey {
        Objects.requireNonNull(alias, "alias");
        Objects.requireNonNull(key, "key");
    }

    public int bits() {
        return key.getModulus().bitLength();
    }

    /** As Snowflake reports it in {@code DESC USER}: {@code RSA_PUBLIC_KEY_FP}. */
    public String fingerprint() {
        return RsaKeys.fingerprint(key);
    }

    public String base64() {
        return RsaKeys.publicKeyBase64(key);
    }

    /**
     * The statement that registers this key for {@code user}.
     *
     * @param slot 1 for {@code RSA_PUBLIC_KEY}, 2 for {@code RSA_PUBLIC_KEY_2}
     */
    public String alterUserStatement(String user, int slot) {
        return "ALTER USER " + quoteUser(user) + " SET " + slotProperty(slot) + "='" + base64() + "';";
    }

    /** The property name for a slot. */
    public static String slotProperty(int slot) {
        return switch (slot) {
            case 1 -> "RSA_PUBLIC_KEY";
            case 2 -> "RSA_PUBLIC_KEY_2";
            default -> throw new IllegalArgumentException("Snowflake has key slots 1 and 2, not " + slot);
        };
    }

    /** Quotes a user name unless it is a plain unquoted identifier (Snowflake folds those to upper case). */
    public static String quoteUser(String user) {
        if (user == null || user.isBlank()) {
            return "<snowflake_user>";
        }
        if (user.matches("[A-Za-z_][A-Za-z0-9_$]*")) {
            return user.toUpperCase(Locale.ROOT);
        }
        return '"' + user.replace("\"", "\"\"") + '"';
    }
}
