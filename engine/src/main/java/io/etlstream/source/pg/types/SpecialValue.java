package io.etlstream.source.pg.types;

/**
 * PostgreSQL values with no place in an Arrow decimal, date, timestamp or interval: numeric NaN/±Infinity,
 * date/timestamp ±infinity, (PostgreSQL 17+) interval ±infinity, and timestamps after 294247-01-10 AD (PostgreSQL's go
 * to 294276 AD; Arrow's microseconds since 1970 end there). They travel in a companion int8 column ({@link #code}); the
 * value column is null for that row.
 */
public enum SpecialValue {
    POSITIVE_INFINITY((byte) 1),
    NEGATIVE_INFINITY((byte) 2),
    NAN((byte) 3),
    /** A real timestamp too late for Arrow's microseconds since 1970 (after 294247-01-10 AD). */
    BEYOND_RANGE((byte) 4);

    /** The value stored in the companion column. */
    public final byte code;

    SpecialValue(byte code) {
        this.code = code;
    }

    /** How a message names the value ("POSITIVE_INFINITY", "a timestamp after 294247-01-10 AD"). */
    public String describe() {
        return this == BEYOND_RANGE ? "a timestamp after 294247-01-10 AD" : name();
    }

    public static SpecialValue ofCode(byte code) {
        for (SpecialValue s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown special value code " + code);
    }
}
