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

    /** Length Snowflake reports for a VARCHAR declared without one. */
    public static final int SNOWFLAKE_MAX_VARCHAR_LENGTH = 16_777_216;

    /** Parses a type as DESCRIBE TABLE prints it ({@code NUMBER(10,2)}, {@code VARCHAR(16777216)}, {@code TIMESTAMP_TZ(6)}). */
    public static SnowflakeType parse(String text) {
        String t = text.trim().toUpperCase(java.util.Locale.ROOT);
        int paren = t.indexOf('(');
        String base = paren < 0 ? t : t.substring(0, paren).trim();
        int[] args = new int[0];
        if (paren >= 0) {
            String[] parts = t.substring(paren + 1, t.indexOf(')')).split(",");
            args = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                args[i] = Integer.parseInt(parts[i].trim());
            }
        }
        switch (base) {
            case "NUMBER", "DECIMAL", "NUMERIC":
                return number(args.length > 0 ? args[0] : 38, args.length > 1 ? args[1] : 0);
            case "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT":
                return number(38, 0);
            case "FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8", "DOUBLE PRECISION":
                return of(Kind.FLOAT);
            case "VARCHAR", "TEXT", "STRING", "CHAR", "CHARACTER":
                int len = args.length > 0 ? args[0] : UNBOUNDED;
                return varchar(len >= SNOWFLAKE_MAX_VARCHAR_LENGTH ? UNBOUNDED : len);
            case "BINARY", "VARBINARY":
                return of(Kind.BINARY);
            case "BOOLEAN":
                return of(Kind.BOOLEAN);
            case "DATE":
                return of(Kind.DATE);
            case "TIME":
                return withPrecision(Kind.TIME, args.length > 0 ? args[0] : 9);
            case "TIMESTAMP_NTZ", "DATETIME", "TIMESTAMP":
                return withPrecision(Kind.TIMESTAMP_NTZ, args.length > 0 ? args[0] : 9);
            case "TIMESTAMP_TZ":
                return withPrecision(Kind.TIMESTAMP_TZ, args.length > 0 ? args[0] : 9);
            case "VARIANT", "OBJECT":
                return of(Kind.VARIANT);
            case "ARRAY":
                return of(Kind.ARRAY);
            default:
                throw new IllegalArgumentException("unknown Snowflake type " + text);
        }
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
