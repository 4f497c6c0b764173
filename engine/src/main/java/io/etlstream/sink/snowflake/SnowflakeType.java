package io.etlstream.sink.snowflake;

/** A Snowflake column type, with the parts the engine compares when a source column changes type. */
public record SnowflakeType(Kind kind, int precision, int scale, int length) {

    /** The Snowflake type families the engine writes. */
    public enum Kind { NUMBER, FLOAT, BOOLEAN, VARCHAR, BINARY, DATE, TIME, TIMESTAMP_NTZ, TIMESTAMP_TZ, VARIANT, ARRAY }

    /** {@code length} value of a VARCHAR without a declared length (Snowflake's maximum). */
    public static final int UNBOUNDED = 0;
    /** Largest VARCHAR / VARIANT value the SDK accepts, in bytes. */
    public static final int MAX_VARCHAR_BYTES = 16 * 1024 * 1024;
    /** Largest BINARY value the SDK accepts, in bytes. */
    public static final int MAX_BINARY_BYTES = 8 * 1024 * 1024;

    public static SnowflakeType number(int precision, int scale) {
        return new SnowflakeType(Kind.NUMBER, precision, scale, 0);
    }

    public static SnowflakeType varchar(int length) {
        return new SnowflakeType(Kind.VARCHAR, 0, 0, length);
    }

    public static SnowflakeType of(Kind kind) {
        return new SnowflakeType(kind, 0, 0, 0);
    }

    public static SnowflakeType withPrecision(Kind kind, int precision) {
        return new SnowflakeType(kind, precision, 0, 0);
    }

    /** The type in DDL. */
    public String ddl() {
        return switch (kind) {
            case NUMBER -> "NUMBER(" + precision + "," + scale + ")";
            case VARCHAR -> length == UNBOUNDED ? "VARCHAR" : "VARCHAR(" + length + ")";
            case TIME, TIMESTAMP_NTZ, TIMESTAMP_TZ -> kind.name() + "(" + precision + ")";
            default -> kind.name();
        };
    }

    /**
     * True when a column of type {@code old} can be changed to this type in place without losing a value
     * (Snowflake allows raising a NUMBER's precision at the same scale and raising a VARCHAR's length).
     */
    public boolean widens(SnowflakeType old) {
        if (kind != old.kind || equals(old)) {
            return false;
        }
        return switch (kind) {
            case NUMBER -> scale == old.scale && precision > old.precision;
            case VARCHAR -> old.length != UNBOUNDED && (length == UNBOUNDED || length > old.length);
            default -> false;
        };
    }

    @Override
    public String toString() {
        return ddl();
    }
}
