package io.etlstream.catalog;

import java.util.Locale;

/** libpq {@code sslmode} values for a PostgreSQL source, stored as the libpq spelling. */
public enum SslMode {
    DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA, VERIFY_FULL;

    /** The libpq / pgjdbc spelling, e.g. {@code verify-full}. */
    public String pgValue() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static SslMode fromPgValue(String value) {
        return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
