package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import java.util.Locale;

/** TLS policy for a PostgreSQL connection, with libpq's names and meanings. */
public enum SslMode {
    DISABLE("disable"),
    ALLOW("allow"),
    PREFER("prefer"),
    REQUIRE("require"),
    VERIFY_CA("verify-ca"),
    VERIFY_FULL("verify-full");

    private final String pgName;

    SslMode(String pgName) {
        this.pgName = pgName;
    }

    /** The libpq / pgjdbc spelling. */
    public String pgName() {
        return pgName;
    }

    /** Whether the server certificate is checked against a CA file. */
    public boolean verifiesCertificate() {
        return this == VERIFY_CA || this == VERIFY_FULL;
    }

    public static SslMode parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (SslMode m : values()) {
            if (m.pgName.equals(t)) {
                return m;
            }
        }
        throw new UserFacingException("unknown sslmode '" + text + "': use disable, allow, prefer, require, verify-ca or verify-full");
    }

    @Override
    public String toString() {
        return pgName;
    }
}
