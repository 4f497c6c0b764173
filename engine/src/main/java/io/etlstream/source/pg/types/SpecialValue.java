package io.etlstream.source.pg.types;

/**
 * PostgreSQL values with no place in an Arrow decimal, date, timestamp or interval: numeric NaN/±Infinity,
 * date/timestamp ±infinity and (PostgreSQL 17+) interval ±infinity. They travel in a companion int8 column ({@link #code}); the value column is null for that row.
 */
public enum SpecialValue {
    POSITIVE_INFINITY((byte) 1),
    NEGATIVE_INFINITY((byte) 2),
    NAN((byte) 3);

    /** The value stored in the companion column. */
    public final byte code;

    SpecialValue(byte code) {
        this.code = code;
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
