package io.etlstream.source.pg.types;

/** Built-in PostgreSQL type OIDs (stable across versions: they are fixed in pg_type.dat). */
public final class PgType {
    public static final int BOOL = 16;
    public static final int BYTEA = 17;
    public static final int CHAR = 18;
    public static final int NAME = 19;
    public static final int INT8 = 20;
    public static final int INT2 = 21;
    public static final int INT4 = 23;
    public static final int TEXT = 25;
    public static final int OID = 26;
    public static final int JSON = 114;
    public static final int XML = 142;
    public static final int CIDR = 650;
    public static final int FLOAT4 = 700;
    public static final int FLOAT8 = 701;
    public static final int MACADDR = 829;
    public static final int INET = 869;
    public static final int BPCHAR = 1042;
    public static final int VARCHAR = 1043;
    public static final int DATE = 1082;
    public static final int TIME = 1083;
    public static final int TIMESTAMP = 1114;
    public static final int TIMESTAMPTZ = 1184;
    public static final int INTERVAL = 1186;
    public static final int TIMETZ = 1266;
    public static final int NUMERIC = 1700;
    public static final int UUID = 2950;
    public static final int JSONB = 3802;

    public static final int BOOL_ARRAY = 1000;
    public static final int BYTEA_ARRAY = 1001;
    public static final int CHAR_ARRAY = 1002;
    public static final int NAME_ARRAY = 1003;
    public static final int INT2_ARRAY = 1005;
    public static final int INT4_ARRAY = 1007;
    public static final int TEXT_ARRAY = 1009;
    public static final int BPCHAR_ARRAY = 1014;
    public static final int VARCHAR_ARRAY = 1015;
    public static final int INT8_ARRAY = 1016;
    public static final int FLOAT4_ARRAY = 1021;
    public static final int FLOAT8_ARRAY = 1022;
    public static final int INET_ARRAY = 1041;
    public static final int TIMESTAMP_ARRAY = 1115;
    public static final int DATE_ARRAY = 1182;
    public static final int TIME_ARRAY = 1183;
    public static final int TIMESTAMPTZ_ARRAY = 1185;
    public static final int INTERVAL_ARRAY = 1187;
    public static final int NUMERIC_ARRAY = 1231;
    public static final int TIMETZ_ARRAY = 1270;
    public static final int JSON_ARRAY = 199;
    public static final int CIDR_ARRAY = 651;
    public static final int UUID_ARRAY = 2951;
    public static final int JSONB_ARRAY = 3807;

    /**
     * The element type of a built-in array type we map, or 0 if {@code oid} is not one. Arrays of user types (enums,
     * domains) have per-database OIDs: {@code io.etlstream.source.pg.UserArrayTypes} resolves them to one of these.
     */
    public static int elementOf(int oid) {
        return switch (oid) {
            case BOOL_ARRAY -> BOOL;
            case BYTEA_ARRAY -> BYTEA;
            case CHAR_ARRAY -> CHAR;
            case NAME_ARRAY -> NAME;
            case INT2_ARRAY -> INT2;
            case INT4_ARRAY -> INT4;
            case TEXT_ARRAY -> TEXT;
            case BPCHAR_ARRAY -> BPCHAR;
            case VARCHAR_ARRAY -> VARCHAR;
            case INT8_ARRAY -> INT8;
            case FLOAT4_ARRAY -> FLOAT4;
            case FLOAT8_ARRAY -> FLOAT8;
            case INET_ARRAY -> INET;
            case CIDR_ARRAY -> CIDR;
            case TIMESTAMP_ARRAY -> TIMESTAMP;
            case DATE_ARRAY -> DATE;
            case TIME_ARRAY -> TIME;
            case TIMESTAMPTZ_ARRAY -> TIMESTAMPTZ;
            case INTERVAL_ARRAY -> INTERVAL;
            case NUMERIC_ARRAY -> NUMERIC;
            case TIMETZ_ARRAY -> TIMETZ;
            case JSON_ARRAY -> JSON;
            case JSONB_ARRAY -> JSONB;
            case UUID_ARRAY -> UUID;
            default -> 0;
        };
    }

    /** The built-in array type of a mapped element type, or 0 if there is none we map (the inverse of {@link #elementOf}). */
    public static int arrayOf(int element) {
        return switch (element) {
            case BOOL -> BOOL_ARRAY;
            case BYTEA -> BYTEA_ARRAY;
            case CHAR -> CHAR_ARRAY;
            case NAME -> NAME_ARRAY;
            case INT2 -> INT2_ARRAY;
            case INT4 -> INT4_ARRAY;
            case TEXT -> TEXT_ARRAY;
            case BPCHAR -> BPCHAR_ARRAY;
            case VARCHAR -> VARCHAR_ARRAY;
            case INT8 -> INT8_ARRAY;
            case FLOAT4 -> FLOAT4_ARRAY;
            case FLOAT8 -> FLOAT8_ARRAY;
            case INET -> INET_ARRAY;
            case CIDR -> CIDR_ARRAY;
            case TIMESTAMP -> TIMESTAMP_ARRAY;
            case DATE -> DATE_ARRAY;
            case TIME -> TIME_ARRAY;
            case TIMESTAMPTZ -> TIMESTAMPTZ_ARRAY;
            case INTERVAL -> INTERVAL_ARRAY;
            case NUMERIC -> NUMERIC_ARRAY;
            case TIMETZ -> TIMETZ_ARRAY;
            case JSON -> JSON_ARRAY;
            case JSONB -> JSONB_ARRAY;
            case UUID -> UUID_ARRAY;
            default -> 0;
        };
    }

    /** A readable name for a built-in OID we map, else "oid:N". */
    public static String name(int oid) {
        return switch (oid) {
            case BOOL -> "bool";
            case BYTEA -> "bytea";
            case CHAR -> "char";
            case NAME -> "name";
            case INT8 -> "int8";
            case INT2 -> "int2";
            case INT4 -> "int4";
            case TEXT -> "text";
            case JSON -> "json";
            case CIDR -> "cidr";
            case FLOAT4 -> "float4";
            case FLOAT8 -> "float8";
            case INET -> "inet";
            case BPCHAR -> "bpchar";
            case VARCHAR -> "varchar";
            case DATE -> "date";
            case TIME -> "time";
            case TIMESTAMP -> "timestamp";
            case TIMESTAMPTZ -> "timestamptz";
            case INTERVAL -> "interval";
            case TIMETZ -> "timetz";
            case NUMERIC -> "numeric";
            case UUID -> "uuid";
            case JSONB -> "jsonb";
            default -> {
                int e = elementOf(oid);
                yield e != 0 ? name(e) + "[]" : "oid:" + oid;
            }
        };
    }

    private PgType() {
    }
}
