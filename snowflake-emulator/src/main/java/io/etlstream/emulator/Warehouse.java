package io.etlstream.emulator;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The emulator's storage: one DuckDB connection (file or in-memory) plus the Snowflake catalog
 * (databases, schemas, tables with Snowflake column types, channels, users) kept in an
 * {@code __emulator} schema so that a file-backed emulator survives restarts.
 * Every use happens under {@link #lock()}; the connection has exactly this one owner.
 */
final class Warehouse implements AutoCloseable {

  /** A column with its Snowflake type; ordinal is 1-based and stable (Parquet field id). */
  record ColumnDef(String name, SfType type, boolean nullable, int ordinal) {}

  /** A table: Snowflake names, columns, and the per-table streaming encryption key. */
  record TableDef(String db, String schema, String name, List<ColumnDef> columns, String encryptionKey,
      long encryptionKeyId, long createdOn) {
    String fullName() {
      return db + "." + schema + "." + name;
    }

    String duckName() {
      return q(db + "." + schema) + "." + q(name);
    }

    ColumnDef column(String col) {
      for (ColumnDef c : columns) {
        if (c.name().equals(col)) {
          return c;
        }
      }
      return null;
    }
  }

  /** Persisted state of one streaming channel. */
  record ChannelState(long clientSequencer, long rowSequencer, String offsetToken) {}

  private static final String META = "\"__emulator\"";
  private final ReentrantLock lock = new ReentrantLock();
  private final Connection conn;
  private final SecureRandom random = new SecureRandom();
  private final Set<String> databases = new TreeSet<>();
  private final Set<String> schemas = new TreeSet<>();
  private final Map<String, TableDef> tables = new TreeMap<>();

  Warehouse(Path dbFile) throws SQLException {
    conn = DriverManager.getConnection(dbFile == null ? "jdbc:duckdb:" : "jdbc:duckdb:" + dbFile);
    try {
      exec("SET TimeZone='UTC'");
      // One connection under one lock: extra DuckDB worker threads only add scheduling on small appends.
      exec("SET threads=" + Integer.getInteger("emulator.duckdbThreads", 1));
      exec("CREATE SCHEMA IF NOT EXISTS " + META);
      exec("CREATE TABLE IF NOT EXISTS " + META + ".dbs(name VARCHAR PRIMARY KEY)");
      exec("CREATE TABLE IF NOT EXISTS " + META + ".tables(db VARCHAR, sch VARCHAR, tbl VARCHAR,"
          + " enc_key VARCHAR, key_id BIGINT, created_on BIGINT, PRIMARY KEY(db, sch, tbl))");
      exec("CREATE TABLE IF NOT EXISTS " + META + ".columns(db VARCHAR, sch VARCHAR, tbl VARCHAR,"
          + " ordinal INTEGER, name VARCHAR, type VARCHAR, nullable BOOLEAN)");
      exec("CREATE TABLE IF NOT EXISTS " + META + ".channels(db VARCHAR, sch VARCHAR, tbl VARCHAR,"
          + " channel VARCHAR, client_seq BIGINT, row_seq BIGINT, offset_token VARCHAR,"
          + " PRIMARY KEY(db, sch, tbl, channel))");
      exec("CREATE TABLE IF NOT EXISTS " + META + ".users(name VARCHAR PRIMARY KEY, key1 VARCHAR,"
          + " key2 VARCHAR)");
      defineSnowflakeFunctions();
      load();
    } catch (SQLException e) {
      conn.close();
      throw e;
    }
  }

  private void defineSnowflakeFunctions() throws SQLException {
    // Snowflake functions the engine and tests use, as DuckDB macros.
    String[] macros = {
        "parse_json(x) AS CAST(x AS JSON)",
        "try_parse_json(x) AS TRY_CAST(x AS JSON)",
        "to_variant(x) AS to_json(x)",
        "iff(c, a, b) AS CASE WHEN c THEN a ELSE b END",
        "nvl(a, b) AS coalesce(a, b)",
        "zeroifnull(a) AS coalesce(a, 0)",
        "to_varchar(x) AS CAST(x AS VARCHAR)",
        "sysdate() AS CAST(now() AS TIMESTAMP)",
        "object_construct(k, v) AS json_object(CAST(k AS VARCHAR), v)",
        "to_binary(x) AS unhex(x)",
        // Epoch nanoseconds as the SQL API prints seconds: truncated to the column's scale.
        "sf_secs(ns, s) AS (CASE WHEN ns < 0 THEN '-' ELSE '' END) || CAST(abs(ns) // 1000000000 AS VARCHAR)"
            + " || CASE WHEN s > 0 THEN '.' || left(lpad(CAST(abs(ns) % 1000000000 AS VARCHAR), 9, '0'), s)"
            + " ELSE '' END",
        // TIMESTAMP_TZ as the SDK encodes it: (epoch at scale << 14) | (offset minutes + 1440).
        // Bit operations, not HUGEINT % and //: the same values (arithmetic shift, two's complement) at about half
        // the cost, and UTC (every row the engine writes) skips building the offset text; measured on 1M values,
        // 15 s -> 8.5 s under load, which was most of the emulator's time on a table with three such columns.
        "sf_tz_o(v) AS CAST(v & 16383 AS BIGINT) - 1440",
        "sf_tz_e(v) AS v >> 14",
        // Whole seconds through a microsecond TIMESTAMP (years 1-9999, where nanoseconds in a long end at
        // 1677-2262), the fraction as digits: secs is floor(epoch / 10^s), frac the nanoseconds in that second.
        "sf_tz_fmt(secs, frac, o) AS strftime(make_timestamp((secs + o * 60) * 1000000), '%Y-%m-%d %H:%M:%S.')"
            + " || lpad(CAST(frac AS VARCHAR), 9, '0')"
            + " || CASE WHEN o = 0 THEN '+00:00' ELSE (CASE WHEN o < 0 THEN '-' ELSE '+' END"
            + " || lpad(CAST(abs(o) // 60 AS VARCHAR), 2, '0') || ':' || lpad(CAST(abs(o) % 60 AS VARCHAR), 2, '0'))"
            + " END",
        // DuckDB's // and % truncate toward zero: ((e % p) + p) % p is the non-negative remainder
        "sf_tz_frac(e, p) AS ((e % p) + p) % p",
        "sf_tz_secs(e, p) AS CAST((e - sf_tz_frac(e, p)) // p AS BIGINT)",
        // scale 0-6: the epoch fits a BIGINT, whose arithmetic costs about half of HUGEINT's
        "sf_tz(raw, s) AS sf_tz_fmt(sf_tz_secs(CAST(sf_tz_e(raw) AS BIGINT), CAST(10 ** s AS BIGINT)),"
            + " sf_tz_frac(CAST(sf_tz_e(raw) AS BIGINT), CAST(10 ** s AS BIGINT)) * CAST(10 ** (9 - s) AS BIGINT),"
            + " sf_tz_o(raw))",
        "sf_tz_wide(raw, s) AS sf_tz_fmt(sf_tz_secs(sf_tz_e(raw), CAST(10 ** s AS BIGINT)),"
            + " CAST(sf_tz_frac(sf_tz_e(raw), CAST(10 ** s AS BIGINT)) * CAST(10 ** (9 - s) AS BIGINT) AS BIGINT),"
            + " sf_tz_o(raw))",
        // Epoch microseconds as the SQL API prints seconds (columns stored as microsecond TIMESTAMP).
        "sf_secs_us(us, s) AS (CASE WHEN us < 0 THEN '-' ELSE '' END) || CAST(abs(us) // 1000000 AS VARCHAR)"
            + " || CASE WHEN s > 0 THEN '.' || left(lpad(CAST(abs(us) % 1000000 AS VARCHAR), 6, '0') || '000', s)"
            + " ELSE '' END"
    };
    for (String m : macros) {
      exec("CREATE OR REPLACE MACRO " + m);
    }
  }

  private void load() throws SQLException {
    try (Statement st = conn.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT name FROM " + META + ".dbs")) {
        while (rs.next()) {
          databases.add(rs.getString(1));
        }
      }
      try (ResultSet rs = st.executeQuery(
          "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '%.%'")) {
        while (rs.next()) {
          schemas.add(rs.getString(1));
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT db, sch, tbl, enc_key, key_id, created_on FROM "
          + META + ".tables")) {
        while (rs.next()) {
          tables.put(key(rs.getString(1), rs.getString(2), rs.getString(3)),
              new TableDef(rs.getString(1), rs.getString(2), rs.getString(3), List.of(), rs.getString(4),
                  rs.getLong(5), rs.getLong(6)));
        }
      }
      for (Map.Entry<String, TableDef> e : tables.entrySet()) {
        TableDef t = e.getValue();
        e.setValue(withColumns(t, readColumns(t.db(), t.schema(), t.name())));
      }
    }
  }

  private List<ColumnDef> readColumns(String db, String sch, String tbl) throws SQLException {
    List<ColumnDef> cols = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT name, type, nullable, ordinal FROM " + META
        + ".columns WHERE db=? AND sch=? AND tbl=? ORDER BY ordinal")) {
      ps.setString(1, db);
      ps.setString(2, sch);
      ps.setString(3, tbl);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          cols.add(new ColumnDef(rs.getString(1), SfType.parse(rs.getString(2)), rs.getBoolean(3),
              rs.getInt(4)));
        }
      }
    }
    return cols;
  }

  private static TableDef withColumns(TableDef t, List<ColumnDef> cols) {
    return new TableDef(t.db(), t.schema(), t.name(), List.copyOf(cols), t.encryptionKey(),
        t.encryptionKeyId(), t.createdOn());
  }

  ReentrantLock lock() {
    return lock;
  }

  Connection connection() {
    return conn;
  }

  static String q(String ident) {
    return '"' + ident.replace("\"", "\"\"") + '"';
  }

  static String key(String db, String sch, String tbl) {
    return db + "\u0000" + sch + "\u0000" + tbl;
  }

  void exec(String sql) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  void update(String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  // ---- catalog -------------------------------------------------------------------------------

  boolean hasDatabase(String db) {
    return databases.contains(db);
  }

  boolean hasSchema(String db, String sch) {
    return schemas.contains(db + "." + sch);
  }

  Set<String> databases() {
    return Set.copyOf(databases);
  }

  TableDef table(String db, String sch, String tbl) {
    return tables.get(key(db, sch, tbl));
  }

  List<TableDef> tables() {
    return List.copyOf(tables.values());
  }

  void createDatabase(String db) throws SQLException {
    if (databases.add(db)) {
      update("INSERT INTO " + META + ".dbs VALUES (?)", db);
    }
    createSchema(db, "PUBLIC");
  }

  void createSchema(String db, String sch) throws SQLException {
    if (!schemas.contains(db + "." + sch)) {
      exec("CREATE SCHEMA IF NOT EXISTS " + q(db + "." + sch));
      schemas.add(db + "." + sch);
    }
  }

  void dropDatabase(String db) throws SQLException {
    for (TableDef t : tables()) {
      if (t.db().equals(db)) {
        dropTable(t);
      }
    }
    for (String s : List.copyOf(schemas)) {
      if (s.startsWith(db + ".")) {
        exec("DROP SCHEMA IF EXISTS " + q(s) + " CASCADE");
        schemas.remove(s);
      }
    }
    databases.remove(db);
    update("DELETE FROM " + META + ".dbs WHERE name=?", db);
  }

  void dropSchema(String db, String sch) throws SQLException {
    for (TableDef t : tables()) {
      if (t.db().equals(db) && t.schema().equals(sch)) {
        dropTable(t);
      }
    }
    exec("DROP SCHEMA IF EXISTS " + q(db + "." + sch) + " CASCADE");
    schemas.remove(db + "." + sch);
  }

  TableDef createTable(String db, String sch, String tbl, List<ColumnDef> cols) throws SQLException {
    StringBuilder ddl = new StringBuilder("CREATE TABLE ");
    byte[] keyBytes = new byte[32];
    random.nextBytes(keyBytes);
    TableDef t = new TableDef(db, sch, tbl, List.copyOf(cols),
        Base64.getEncoder().encodeToString(keyBytes), Math.abs(random.nextLong() % 1_000_000_000L),
        System.currentTimeMillis());
    ddl.append(t.duckName()).append(" (");
    for (int i = 0; i < cols.size(); i++) {
      ColumnDef c = cols.get(i);
      ddl.append(i == 0 ? "" : ", ").append(q(c.name())).append(' ').append(c.type().duckType());
      if (!c.nullable()) {
        ddl.append(" NOT NULL");
      }
    }
    ddl.append(')');
    exec(ddl.toString());
    update("INSERT INTO " + META + ".tables VALUES (?,?,?,?,?,?)", db, sch, tbl, t.encryptionKey(),
        t.encryptionKeyId(), t.createdOn());
    for (ColumnDef c : cols) {
      insertColumn(t, c);
    }
    tables.put(key(db, sch, tbl), t);
    return t;
  }

  private void insertColumn(TableDef t, ColumnDef c) throws SQLException {
    update("INSERT INTO " + META + ".columns VALUES (?,?,?,?,?,?,?)", t.db(), t.schema(), t.name(),
        c.ordinal(), c.name(), c.type().sqlName(), c.nullable());
  }

  TableDef addColumn(TableDef t, String name, SfType type, boolean nullable) throws SQLException {
    int ordinal = t.columns().stream().mapToInt(ColumnDef::ordinal).max().orElse(0) + 1;
    ColumnDef c = new ColumnDef(name, type, nullable, ordinal);
    exec("ALTER TABLE " + t.duckName() + " ADD COLUMN " + q(name) + " " + type.duckType());
    insertColumn(t, c);
    List<ColumnDef> cols = new ArrayList<>(t.columns());
    cols.add(c);
    TableDef nt = withColumns(t, cols);
    tables.put(key(t.db(), t.schema(), t.name()), nt);
    return nt;
  }

  TableDef alterColumnType(TableDef t, String name, SfType type) throws SQLException {
    exec("ALTER TABLE " + t.duckName() + " ALTER COLUMN " + q(name) + " TYPE " + type.duckType());
    update("UPDATE " + META + ".columns SET type = ? WHERE db=? AND sch=? AND tbl=? AND name=?",
        type.sqlName(), t.db(), t.schema(), t.name(), name);
    List<ColumnDef> cols = new ArrayList<>();
    for (ColumnDef c : t.columns()) {
      cols.add(c.name().equals(name) ? new ColumnDef(c.name(), type, c.nullable(), c.ordinal()) : c);
    }
    TableDef nt = withColumns(t, cols);
    tables.put(key(t.db(), t.schema(), t.name()), nt);
    return nt;
  }

  void dropTable(TableDef t) throws SQLException {
    exec("DROP TABLE IF EXISTS " + t.duckName());
    Object[] k = {t.db(), t.schema(), t.name()};
    update("DELETE FROM " + META + ".tables WHERE db=? AND sch=? AND tbl=?", k);
    update("DELETE FROM " + META + ".columns WHERE db=? AND sch=? AND tbl=?", k);
    update("DELETE FROM " + META + ".channels WHERE db=? AND sch=? AND tbl=?", k);
    tables.remove(key(t.db(), t.schema(), t.name()));
  }

  // ---- channels ------------------------------------------------------------------------------

  ChannelState channel(TableDef t, String channel) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT client_seq, row_seq, offset_token FROM "
        + META + ".channels WHERE db=? AND sch=? AND tbl=? AND channel=?")) {
      ps.setString(1, t.db());
      ps.setString(2, t.schema());
      ps.setString(3, t.name());
      ps.setString(4, channel);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new ChannelState(rs.getLong(1), rs.getLong(2), rs.getString(3)) : null;
      }
    }
  }

  void putChannel(TableDef t, String channel, ChannelState s) throws SQLException {
    update("INSERT OR REPLACE INTO " + META + ".channels VALUES (?,?,?,?,?,?,?)", t.db(), t.schema(),
        t.name(), channel, s.clientSequencer(), s.rowSequencer(), s.offsetToken());
  }

  void dropChannel(TableDef t, String channel) throws SQLException {
    update("DELETE FROM " + META + ".channels WHERE db=? AND sch=? AND tbl=? AND channel=?", t.db(),
        t.schema(), t.name(), channel);
  }

  // ---- users ---------------------------------------------------------------------------------

  Map<String, String[]> storedUsers() throws SQLException {
    Map<String, String[]> out = new TreeMap<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT name, key1, key2 FROM " + META + ".users")) {
      while (rs.next()) {
        out.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
      }
    }
    return out;
  }

  void storeUser(String name, String key1, String key2) throws SQLException {
    update("INSERT OR REPLACE INTO " + META + ".users VALUES (?,?,?)", name, key1, key2);
  }

  void deleteUser(String name) throws SQLException {
    update("DELETE FROM " + META + ".users WHERE name=?", name);
  }

  @Override
  public void close() throws SQLException {
    lock.lock();
    try {
      conn.close();
    } finally {
      lock.unlock();
    }
  }
}
