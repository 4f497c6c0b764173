package io.etlstream.emulator;

import java.util.List;

/**
 * A statement result in the SQL API's shape: typed columns and rows of strings encoded as the SQL API
 * encodes them (numbers as decimal text, DATE as epoch days, TIME as seconds since midnight,
 * TIMESTAMP_NTZ/LTZ as epoch seconds with fraction, TIMESTAMP_TZ as "epoch offsetIndex", BINARY as hex).
 */
public record SqlResult(List<Column> columns, List<List<String>> rows) {

  /** One column of a result with its Snowflake type. */
  public record Column(String name, SfType type, boolean nullable, String database, String schema,
      String table) {}

  public SqlResult {
    columns = List.copyOf(columns);
    rows = List.copyOf(rows);
  }

  static SqlResult status(String message) {
    return new SqlResult(List.of(new Column("status", new SfType(SfType.Kind.TEXT, 0, 0, 16_777_216),
        true, "", "", "")), List.of(List.of(message)));
  }

  static SqlResult counts(List<String> names, List<Long> counts) {
    List<Column> cols = names.stream()
        .map(n -> new Column(n, SfType.number(38, 0), false, "", "", "")).toList();
    return new SqlResult(cols, List.of(counts.stream().map(String::valueOf).toList()));
  }

  public int rowCount() {
    return rows.size();
  }

  /** Index of the column called {@code name} (case-insensitive); throws if there is none. */
  public int column(String name) {
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equalsIgnoreCase(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no column " + name + " in " + columns);
  }

  /** The SQL-API-encoded value at {@code row}, column {@code name}. */
  public String get(int row, String name) {
    return rows.get(row).get(column(name));
  }
}
