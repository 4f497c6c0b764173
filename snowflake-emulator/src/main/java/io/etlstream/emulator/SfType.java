package io.etlstream.emulator;

import java.util.Locale;

/** A Snowflake column type as the emulator stores it: logical kind plus precision/scale/length. */
public record SfType(Kind kind, int precision, int scale, int length) {

  /** Snowflake's logical type families (names as the streaming API spells them). */
  public enum Kind {
    FIXED, REAL, TEXT, BINARY, BOOLEAN, DATE, TIME, TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ,
    VARIANT, OBJECT, ARRAY
  }

  static final int MAX_TEXT = 16_777_216;
  static final int MAX_BINARY = 8_388_608;

  public static SfType number(int precision, int scale) {
    return new SfType(Kind.FIXED, precision, scale, 0);
  }

  /** Parses a Snowflake type name such as {@code NUMBER(10,2)}, {@code VARCHAR}, {@code TIMESTAMP_TZ(3)}. */
  public static SfType parse(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT).replaceAll("\\s+", " ");
    String base = t;
    int[] args = new int[0];
    int paren = t.indexOf('(');
    if (paren >= 0) {
      int close = t.lastIndexOf(')');
      if (close < paren) {
        throw new IllegalArgumentException("unsupported data type '" + text + "'");
      }
      base = t.substring(0, paren).trim();
      String[] parts = t.substring(paren + 1, close).split(",");
      args = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        args[i] = Integer.parseInt(parts[i].trim());
      }
    }
    switch (base) {
      case "NUMBER": case "NUMERIC": case "DECIMAL": case "DEC": {
        int p = args.length > 0 ? args[0] : 38;
        int s = args.length > 1 ? args[1] : 0;
        if (p < 1 || p > 38 || s < 0 || s > p) {
          throw new IllegalArgumentException("invalid precision/scale in '" + text + "'");
        }
        return number(p, s);
      }
      case "INT": case "INTEGER": case "BIGINT": case "SMALLINT": case "TINYINT": case "BYTEINT":
        return number(38, 0);
      case "FLOAT": case "FLOAT4": case "FLOAT8": case "DOUBLE": case "DOUBLE PRECISION": case "REAL":
        return new SfType(Kind.REAL, 0, 0, 0);
      case "VARCHAR": case "STRING": case "TEXT": case "NVARCHAR": case "NVARCHAR2": case "CHAR VARYING":
      case "NCHAR VARYING":
        return new SfType(Kind.TEXT, 0, 0, args.length > 0 ? args[0] : MAX_TEXT);
      case "CHAR": case "CHARACTER": case "NCHAR":
        return new SfType(Kind.TEXT, 0, 0, args.length > 0 ? args[0] : 1);
      case "BINARY": case "VARBINARY":
        return new SfType(Kind.BINARY, 0, 0, args.length > 0 ? args[0] : MAX_BINARY);
      case "BOOLEAN": case "BOOL":
        return new SfType(Kind.BOOLEAN, 0, 0, 0);
      case "DATE":
        return new SfType(Kind.DATE, 0, 0, 0);
      case "TIME":
        return new SfType(Kind.TIME, 0, scaleArg(args, text), 0);
      case "DATETIME": case "TIMESTAMP": case "TIMESTAMP_NTZ": case "TIMESTAMP WITHOUT TIME ZONE":
        return new SfType(Kind.TIMESTAMP_NTZ, 0, scaleArg(args, text), 0);
      case "TIMESTAMP_LTZ": case "TIMESTAMP WITH LOCAL TIME ZONE":
        return new SfType(Kind.TIMESTAMP_LTZ, 0, scaleArg(args, text), 0);
      case "TIMESTAMP_TZ": case "TIMESTAMP WITH TIME ZONE":
        return new SfType(Kind.TIMESTAMP_TZ, 0, scaleArg(args, text), 0);
      case "VARIANT":
        return new SfType(Kind.VARIANT, 0, 0, 0);
      case "OBJECT":
        return new SfType(Kind.OBJECT, 0, 0, 0);
      case "ARRAY":
        return new SfType(Kind.ARRAY, 0, 0, 0);
      default:
        throw new IllegalArgumentException("unsupported data type '" + text + "'");
    }
  }

  private static int scaleArg(int[] args, String text) {
    int s = args.length > 0 ? args[0] : 9;
    if (s < 0 || s > 9) {
      throw new IllegalArgumentException("invalid fractional seconds precision in '" + text + "'");
    }
    return s;
  }

  /** The type as Snowflake prints it (DESCRIBE TABLE, channel open "type"). */
  public String sqlName() {
    return switch (kind) {
      case FIXED -> "NUMBER(" + precision + "," + scale + ")";
      case REAL -> "FLOAT";
      case TEXT -> "VARCHAR(" + length + ")";
      case BINARY -> "BINARY(" + length + ")";
      case BOOLEAN -> "BOOLEAN";
      case DATE -> "DATE";
      case TIME -> "TIME(" + scale + ")";
      case TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ -> kind.name() + "(" + scale + ")";
      case VARIANT, OBJECT, ARRAY -> kind.name();
    };
  }

  /** The DuckDB column type that stores this Snowflake type. */
  public String duckType() {
    return switch (kind) {
      case FIXED -> "DECIMAL(" + precision + "," + scale + ")";
      case REAL -> "DOUBLE";
      case TEXT -> "VARCHAR";
      case BINARY -> "BLOB";
      case BOOLEAN -> "BOOLEAN";
      case DATE -> "DATE";
      case TIME -> "TIME_NS";
      // LTZ keeps the UTC instant; DuckDB has no nanosecond TIMESTAMPTZ. Up to microseconds, TIMESTAMP holds
      // Snowflake's whole range (years 1-9999); TIMESTAMP_NS (nanoseconds in a long) only years 1677-2262.
      case TIMESTAMP_NTZ, TIMESTAMP_LTZ -> microsecondStorage() ? "TIMESTAMP" : "TIMESTAMP_NS";
      // TZ keeps wall clock and offset as ISO text so that the offset survives.
      case TIMESTAMP_TZ -> "VARCHAR";
      case VARIANT, OBJECT, ARRAY -> "JSON";
    };
  }

  /**
   * True for TIMESTAMP_NTZ/LTZ of scale 0-6, stored as DuckDB TIMESTAMP (microseconds, years 1-9999 and beyond);
   * scale 7-9 needs nanoseconds, whose DuckDB type ends at years 1677-2262: values outside are refused on ingest.
   */
  public boolean microsecondStorage() {
    return (kind == Kind.TIMESTAMP_NTZ || kind == Kind.TIMESTAMP_LTZ) && scale <= 6;
  }

  /** The physical type reported to the streaming SDK; it picks its Parquet encoding from it. */
  public String physicalType() {
    return switch (kind) {
      case FIXED -> scale != 0 || precision > 18 ? "SB16"
          : precision <= 2 ? "SB1" : precision <= 4 ? "SB2" : precision <= 9 ? "SB4" : "SB8";
      case REAL -> "DOUBLE";
      case TEXT, BINARY, VARIANT, OBJECT, ARRAY -> "LOB";
      case BOOLEAN -> "BINARY";
      case DATE -> "SB4";
      case TIME -> scale <= 4 ? "SB4" : "SB8";
      case TIMESTAMP_NTZ, TIMESTAMP_LTZ -> scale <= 7 ? "SB8" : "SB16";
      case TIMESTAMP_TZ -> scale <= 3 ? "SB8" : "SB16";
    };
  }

  /** The lower-case type name the SQL API puts in rowType. */
  public String resultTypeName() {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  boolean hasLength() {
    return kind == Kind.TEXT || kind == Kind.BINARY;
  }

  /** Storage size in bytes of TEXT columns (4 bytes per character, as Snowflake reports). */
  int byteLength() {
    return kind == Kind.TEXT ? Math.min(MAX_TEXT, length * 4) : length;
  }
}
