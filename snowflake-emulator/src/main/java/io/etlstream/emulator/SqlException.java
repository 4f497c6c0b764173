package io.etlstream.emulator;

/** A statement Snowflake would refuse, with Snowflake's error code and SQLSTATE. */
public final class SqlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String code;
  private final String sqlState;

  public SqlException(String code, String sqlState, String message) {
    super(message);
    this.code = code;
    this.sqlState = sqlState;
  }

  /** Snowflake error code, six digits, e.g. {@code 002003} for an unknown object. */
  public String code() {
    return code;
  }

  public String sqlState() {
    return sqlState;
  }

  static SqlException syntax(String detail) {
    return new SqlException("001003", "42000", "SQL compilation error:\nsyntax error " + detail);
  }

  static SqlException notFound(String kind, String name) {
    return new SqlException("002003", "42S02",
        "SQL compilation error:\n" + kind + " '" + name + "' does not exist or not authorized.");
  }

  static SqlException exists(String name) {
    return new SqlException("002002", "42710",
        "SQL compilation error:\nObject '" + name + "' already exists.");
  }

  static SqlException invalidIdentifier(String name) {
    return new SqlException("000904", "42000",
        "SQL compilation error: error line 1 at position 0\ninvalid identifier '" + name + "'");
  }

  static SqlException unsupported(String what) {
    return new SqlException("002040", "0A000",
        "SQL compilation error:\nUnsupported feature '" + what + "'.");
  }
}
