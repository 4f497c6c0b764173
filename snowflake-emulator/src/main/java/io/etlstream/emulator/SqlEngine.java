package io.etlstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etlstream.emulator.SqlLexer.Kind;
import io.etlstream.emulator.SqlLexer.Token;
import io.etlstream.emulator.Warehouse.ColumnDef;
import io.etlstream.emulator.Warehouse.TableDef;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.security.PublicKey;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Runs the Snowflake SQL subset the engine and the tests need: catalog statements are handled here,
 * DML/queries are rewritten onto DuckDB (identifier case rules, three-part names, types, typed
 * literals) and their results encoded as the SQL API encodes them.
 */
final class SqlEngine {

  /** Current database/schema of a request (the SQL API sends them with every statement). */
  record Context(String database, String schema) {}

  /** A bind value as the SQL API sends it: Snowflake type name and text value(s). */
  record Binding(String type, List<String> values) {}

  private static final Set<String> KEYWORDS = Set.of(
      "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "NULL", "IS", "IN", "AS", "ON", "JOIN", "LEFT",
      "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "NATURAL", "GROUP", "BY", "ORDER", "HAVING", "LIMIT",
      "OFFSET", "UNION", "ALL", "DISTINCT", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE",
      "MERGE", "USING", "WHEN", "MATCHED", "THEN", "ELSE", "END", "CASE", "TRUE", "FALSE", "ASC", "DESC",
      "NULLS", "FIRST", "LAST", "BETWEEN", "LIKE", "ILIKE", "EXISTS", "WITH", "CAST", "TRY_CAST",
      "INTERVAL", "QUALIFY", "OVER", "PARTITION", "ROWS", "RANGE", "UNBOUNDED", "PRECEDING",
      "FOLLOWING", "CURRENT", "ROW", "DEFAULT", "EXCEPT", "INTERSECT", "MINUS", "ANY", "SOME",
      "CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_TIME", "LATERAL", "RECURSIVE", "ESCAPE",
      "OVERWRITE", "TABLE", "TOP", "RETURNING", "FETCH", "NEXT", "ONLY", "WINDOW", "FILTER", "WITHIN",
      "DATE", "TIME", "TIMESTAMP", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND");
  private static final Set<String> TABLE_INTRO = Set.of("FROM", "JOIN", "INTO", "UPDATE", "USING");
  private static final Set<String> LITERAL_TYPES = Set.of("DATE", "TIME", "TIMESTAMP", "TIMESTAMP_NTZ",
      "TIMESTAMP_LTZ", "TIMESTAMP_TZ", "DATETIME");
  private static final Set<String> FROM_FUNCTIONS = Set.of("EXTRACT", "TRIM", "SUBSTRING", "POSITION",
      "OVERLAY");

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Warehouse wh;
  private final Users users;

  SqlEngine(Warehouse wh, Users users) {
    this.wh = wh;
    this.users = users;
  }

  /** Runs one statement; Snowflake-style failures come out as {@link SqlException}. */
  SqlResult execute(String sql, Context ctx, Map<String, Binding> bindings) {
    return execute(sql, ctx, bindings, c -> { });
  }

  /** Like {@link #execute(String, Context, Map)}; {@code onUse} receives the context a USE statement sets. */
  SqlResult execute(String sql, Context ctx, Map<String, Binding> bindings,
      java.util.function.Consumer<Context> onUse) {
    List<Token> toks = SqlLexer.lex(sql);
    // One trailing semicolon is allowed; several statements need the multi-statement API.
    int last = toks.size() - 1;
    if (last > 0 && toks.get(last - 1).is(";")) {
      toks.remove(last - 1);
    }
    for (Token t : toks) {
      if (t.is(";")) {
        throw new SqlException("000008", "0A000", "Actual statement count 2 did not match the desired"
            + " statement count 1.");
      }
    }
    if (toks.get(0).kind() == Kind.END) {
      throw SqlException.syntax("line 1 at position 0 unexpected '<EOF>'.");
    }
    wh.lock().lock();
    try {
      Parser parser = new Parser(toks, ctx, bindings == null ? Map.of() : bindings);
      SqlResult result = parser.statement();
      if (parser.ctx != ctx) {
        onUse.accept(parser.ctx);
      }
      return result;
    } catch (SQLException e) {
      throw translate(e);
    } catch (java.time.DateTimeException e) {
      throw new SqlException("100035", "22007", "Timestamp or time value is not recognized: " + e.getMessage());
    } finally {
      wh.lock().unlock();
    }
  }

  static SqlException translate(SQLException e) {
    String m = String.valueOf(e.getMessage());
    String first = m.lines().findFirst().orElse(m);
    if (m.contains("Parser Error")) {
      return SqlException.syntax("line 1 at position 0: " + first);
    }
    var col = Pattern.compile("(?:Referenced column|column named|Column with name) \"?([^\" ]+)\"? ")
        .matcher(m);
    if (m.contains("Binder Error") && col.find()) {
      return SqlException.invalidIdentifier(col.group(1));
    }
    if (m.contains("Catalog Error") && m.contains("does not exist")) {
      return new SqlException("002003", "42S02", "SQL compilation error:\n" + first);
    }
    if (m.contains("Conversion Error") || m.contains("Could not convert")) {
      return new SqlException("100038", "22018", "Numeric value is not recognized: " + first);
    }
    if (m.contains("NOT NULL constraint")) {
      return new SqlException("100072", "22000", "NULL result in a non-nullable column");
    }
    if (m.contains("Binder Error")) {
      return new SqlException("002028", "42601", "SQL compilation error:\n" + first);
    }
    return new SqlException("100000", "XX000", first);
  }

  // ---- result encoding -------------------------------------------------------------------------

  static SfType typeOfDuck(String duck) {
    String t = duck.toUpperCase(Locale.ROOT);
    if (t.startsWith("DECIMAL")) {
      String[] ps = t.substring(t.indexOf('(') + 1, t.indexOf(')')).split(",");
      return SfType.number(Integer.parseInt(ps[0].trim()), Integer.parseInt(ps[1].trim()));
    }
    return switch (t) {
      case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
          "UBIGINT", "UHUGEINT" -> SfType.number(38, 0);
      case "DOUBLE", "FLOAT" -> new SfType(SfType.Kind.REAL, 0, 0, 0);
      case "BLOB" -> new SfType(SfType.Kind.BINARY, 0, 0, SfType.MAX_BINARY);
      case "BOOLEAN" -> new SfType(SfType.Kind.BOOLEAN, 0, 0, 0);
      case "DATE" -> new SfType(SfType.Kind.DATE, 0, 0, 0);
      case "TIME", "TIME_NS" -> new SfType(SfType.Kind.TIME, 0, 9, 0);
      case "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S" ->
          new SfType(SfType.Kind.TIMESTAMP_NTZ, 0, 9, 0);
      case "TIMESTAMP WITH TIME ZONE" -> new SfType(SfType.Kind.TIMESTAMP_LTZ, 0, 9, 0);
      case "JSON" -> new SfType(SfType.Kind.VARIANT, 0, 0, 0);
      default -> new SfType(SfType.Kind.TEXT, 0, 0, SfType.MAX_TEXT);
    };
  }

  /** DuckDB expression giving the SQL API text of column {@code c} (TIMESTAMP_TZ is finished in Java). */
  static String encodeExpr(String c, SfType type) {
    return switch (type.kind()) {
      case BINARY -> "hex(" + c + ")";
      case DATE -> "CAST(CAST(" + c + " - DATE '1970-01-01' AS BIGINT) AS VARCHAR)";
      case TIME -> "sf_secs(epoch_ns(CAST(" + c + " AS TIME_NS)), " + type.scale() + ")";
      // epoch_ns of a microsecond TIMESTAMP overflows outside 1677-2262: scale 0-6 prints from microseconds
      case TIMESTAMP_NTZ, TIMESTAMP_LTZ -> type.scale() <= 6 ? "sf_secs_us(epoch_us(" + c + "), " + type.scale() + ")"
          : "sf_secs(epoch_ns(" + c + "), " + type.scale() + ")";
      default -> "CAST(" + c + " AS VARCHAR)";
    };
  }

  static OffsetDateTime parseTz(String s) {
    String t = s.trim().replaceAll("\\s+([+-]\\d)", "$1").replaceFirst(" ", "T");
    // Accept "+02" and "+0200" offsets as well as "+02:00".
    var m = Pattern.compile("([+-])(\\d{2}):?(\\d{2})?$").matcher(t);
    if (m.find()) {
      t = t.substring(0, m.start()) + m.group(1) + m.group(2) + ":" + (m.group(3) == null ? "00" : m.group(3));
    } else if (t.endsWith("Z")) {
      t = t.substring(0, t.length() - 1) + "+00:00";
    } else {
      t = t + "+00:00";
    }
    return OffsetDateTime.parse(t);
  }

  private static String seconds(long epochSecond, int nanos, int scale) {
    BigDecimal v = BigDecimal.valueOf(epochSecond).add(BigDecimal.valueOf(nanos, 9));
    return v.setScale(scale, RoundingMode.DOWN).toPlainString();
  }

  // ---- statement parser -------------------------------------------------------------------------

  private final class Parser {
    private final List<Token> toks;
    private final Map<String, Binding> bindings;
    private Context ctx;
    private int p;

    Parser(List<Token> toks, Context ctx, Map<String, Binding> bindings) {
      this.toks = toks;
      this.ctx = ctx;
      this.bindings = bindings;
    }

    Token peek() {
      return toks.get(p);
    }

    Token peek(int ahead) {
      return toks.get(Math.min(p + ahead, toks.size() - 1));
    }

    Token next() {
      Token t = toks.get(p);
      if (t.kind() != Kind.END) {
        p++;
      }
      return t;
    }

    boolean accept(String... words) {
      for (int i = 0; i < words.length; i++) {
        if (!peek(i).is(words[i])) {
          return false;
        }
      }
      p += words.length;
      return true;
    }

    void expect(String word) {
      if (!accept(word)) {
        throw unexpected();
      }
    }

    SqlException unexpected() {
      Token t = peek();
      return SqlException.syntax("line 1 at position " + t.pos() + " unexpected '"
          + (t.kind() == Kind.END ? "<EOF>" : t.text()) + "'.");
    }

    void expectEnd() {
      if (peek().kind() != Kind.END) {
        throw unexpected();
      }
    }

    String ident() {
      Token t = next();
      if (!t.isIdent()) {
        p--;
        throw unexpected();
      }
      return t.ident();
    }

    List<String> qualified() {
      List<String> parts = new ArrayList<>();
      parts.add(ident());
      while (peek().is(".")) {
        next();
        parts.add(ident());
      }
      if (parts.size() > 3) {
        throw SqlException.syntax("line 1 invalid object name " + String.join(".", parts) + ".");
      }
      return parts;
    }

    String currentDb() {
      if (ctx.database() == null) {
        throw new SqlException("090105", "22000", "Cannot perform operation. This session does not have"
            + " a current database. Call 'USE DATABASE', or use a qualified name.");
      }
      return ctx.database();
    }

    String currentSchema() {
      if (ctx.schema() == null) {
        throw new SqlException("090106", "22000", "Cannot perform operation. This session does not have"
            + " a current schema. Call 'USE SCHEMA', or use a qualified name.");
      }
      return ctx.schema();
    }

    /** Resolves a (possibly partial) table name against the context: [db, schema, table]. */
    String[] tableName(List<String> parts) {
      return switch (parts.size()) {
        case 3 -> new String[] {parts.get(0), parts.get(1), parts.get(2)};
        case 2 -> new String[] {currentDb(), parts.get(0), parts.get(1)};
        default -> new String[] {currentDb(), currentSchema(), parts.get(0)};
      };
    }

    TableDef existingTable(String[] n) {
      TableDef t = wh.table(n[0], n[1], n[2]);
      if (t == null) {
        checkSchema(n[0], n[1]);
        throw SqlException.notFound("Table", String.join(".", n));
      }
      return t;
    }

    void checkSchema(String db, String sch) {
      if (!wh.hasDatabase(db)) {
        throw SqlException.notFound("Database", db);
      }
      if (!wh.hasSchema(db, sch)) {
        throw SqlException.notFound("Schema", db + "." + sch);
      }
    }

    SqlResult statement() throws SQLException {
      Token first = peek();
      String w = first.upper();
      switch (w) {
        case "CREATE":
          return create();
        case "ALTER":
          return alter();
        case "DROP":
          return drop();
        case "DESCRIBE":
        case "DESC":
          return describe();
        case "SHOW":
          return show();
        case "USE":
          return use();
        case "TRUNCATE":
          return truncate();
        case "BEGIN": case "START": case "COMMIT": case "ROLLBACK": case "GRANT": case "REVOKE":
          return SqlResult.status("Statement executed successfully.");
        case "SELECT": case "WITH": case "INSERT": case "UPDATE": case "DELETE": case "MERGE":
        case "(":
          return dml(w);
        default:
          throw unexpected();
      }
    }

    // ---- CREATE / ALTER / DROP ----------------------------------------------------------------

    SqlResult create() throws SQLException {
      expect("CREATE");
      boolean replace = accept("OR", "REPLACE");
      while (accept("TRANSIENT") || accept("TEMPORARY") || accept("TEMP") || accept("LOCAL")
          || accept("GLOBAL") || accept("VOLATILE")) {
        // Table kinds make no difference here.
      }
      if (accept("DATABASE")) {
        boolean ifNotExists = accept("IF", "NOT", "EXISTS");
        String db = ident();
        if (wh.hasDatabase(db)) {
          if (ifNotExists) {
            return SqlResult.status(db + " already exists, statement succeeded.");
          }
          if (!replace) {
            throw SqlException.exists(db);
          }
          wh.dropDatabase(db);
        }
        wh.createDatabase(db);
        return SqlResult.status("Database " + db + " successfully created.");
      }
      if (accept("SCHEMA")) {
        boolean ifNotExists = accept("IF", "NOT", "EXISTS");
        List<String> parts = qualified();
        String db = parts.size() == 2 ? parts.get(0) : currentDb();
        String sch = parts.get(parts.size() - 1);
        if (!wh.hasDatabase(db)) {
          throw SqlException.notFound("Database", db);
        }
        if (wh.hasSchema(db, sch)) {
          if (ifNotExists) {
            return SqlResult.status(sch + " already exists, statement succeeded.");
          }
          if (!replace) {
            throw SqlException.exists(sch);
          }
          wh.dropSchema(db, sch);
        }
        wh.createSchema(db, sch);
        return SqlResult.status("Schema " + sch + " successfully created.");
      }
      if (accept("TABLE")) {
        return createTable(replace);
      }
      if (accept("USER")) {
        return createUser(replace);
      }
      if (accept("ROLE") || accept("WAREHOUSE")) {
        return SqlResult.status("Statement executed successfully.");
      }
      throw unexpected();
    }

    SqlResult createTable(boolean replace) throws SQLException {
      boolean ifNotExists = accept("IF", "NOT", "EXISTS");
      String[] n = tableName(qualified());
      checkSchema(n[0], n[1]);
      expect("(");
      List<ColumnDef> cols = new ArrayList<>();
      Set<String> names = new java.util.HashSet<>();
      Set<String> pk = new java.util.HashSet<>();
      do {
        if (peek().is("CONSTRAINT") || peek().is("PRIMARY") || peek().is("UNIQUE")
            || peek().is("FOREIGN")) {
          if (accept("CONSTRAINT")) {
            ident();
          }
          if (accept("PRIMARY", "KEY")) {
            expect("(");
            do {
              pk.add(ident());
            } while (accept(","));
            expect(")");
          }
          skipToColumnEnd();
          continue;
        }
        ColumnDef c = columnDef(cols.size() + 1);
        if (!names.add(c.name())) {
          throw new SqlException("002025", "42S21", "SQL compilation error:\nduplicate column name '"
              + c.name() + "'");
        }
        cols.add(c);
      } while (accept(","));
      expect(")");
      // Trailing table options (CLUSTER BY, COMMENT, DATA_RETENTION_TIME_IN_DAYS ...) change nothing here.
      List<ColumnDef> finalCols = new ArrayList<>();
      for (ColumnDef c : cols) {
        finalCols.add(pk.contains(c.name()) ? new ColumnDef(c.name(), c.type(), false, c.ordinal()) : c);
      }
      TableDef existing = wh.table(n[0], n[1], n[2]);
      if (existing != null) {
        if (ifNotExists) {
          return SqlResult.status(n[2] + " already exists, statement succeeded.");
        }
        if (!replace) {
          throw SqlException.exists(n[2]);
        }
        wh.dropTable(existing);
      }
      wh.createTable(n[0], n[1], n[2], finalCols);
      return SqlResult.status("Table " + n[2] + " successfully created.");
    }

    ColumnDef columnDef(int ordinal) {
      String name = ident();
      SfType type = type();
      boolean nullable = true;
      int depth = 0;
      while (true) {
        Token t = peek();
        if (t.kind() == Kind.END || depth == 0 && (t.is(",") || t.is(")"))) {
          break;
        }
        if (t.is("(")) {
          depth++;
        } else if (t.is(")")) {
          depth--;
        } else if (depth == 0 && t.is("NOT") && peek(1).is("NULL")) {
          nullable = false;
          next();
        } else if (depth == 0 && t.is("PRIMARY") && peek(1).is("KEY")) {
          nullable = false;
        }
        next();
      }
      return new ColumnDef(name, type, nullable, ordinal);
    }

    void skipToColumnEnd() {
      int depth = 0;
      while (true) {
        Token t = peek();
        if (t.kind() == Kind.END || depth == 0 && (t.is(",") || t.is(")"))) {
          return;
        }
        if (t.is("(")) {
          depth++;
        } else if (t.is(")")) {
          depth--;
        }
        next();
      }
    }

    SfType type() {
      Token t = next();
      if (t.kind() != Kind.WORD) {
        p--;
        throw unexpected();
      }
      StringBuilder sb = new StringBuilder(t.upper());
      if (t.is("DOUBLE") && accept("PRECISION")) {
        sb.append(" PRECISION");
      } else if ((t.is("CHAR") || t.is("NCHAR")) && accept("VARYING")) {
        sb.append(" VARYING");
      } else if (t.is("TIMESTAMP") || t.is("TIME")) {
        if (accept("WITH", "LOCAL", "TIME", "ZONE")) {
          sb.append(" WITH LOCAL TIME ZONE");
        } else if (accept("WITH", "TIME", "ZONE")) {
          sb.append(" WITH TIME ZONE");
        } else if (accept("WITHOUT", "TIME", "ZONE")) {
          sb.append(" WITHOUT TIME ZONE");
        }
      }
      if (peek().is("(")) {
        next();
        sb.append('(');
        while (!peek().is(")")) {
          Token a = next();
          if (a.kind() == Kind.END) {
            throw unexpected();
          }
          sb.append(a.text());
        }
        next();
        sb.append(')');
      }
      try {
        return SfType.parse(sb.toString());
      } catch (IllegalArgumentException e) {
        throw new SqlException("002040", "42601", "SQL compilation error:\n" + e.getMessage());
      }
    }

    SqlResult alter() throws SQLException {
      expect("ALTER");
      if (accept("USER")) {
        return alterUser();
      }
      if (accept("SESSION") || accept("WAREHOUSE") || accept("ACCOUNT")) {
        return SqlResult.status("Statement executed successfully.");
      }
      expect("TABLE");
      boolean ifExists = accept("IF", "EXISTS");
      String[] n = tableName(qualified());
      TableDef t = wh.table(n[0], n[1], n[2]);
      if (t == null) {
        if (ifExists) {
          return SqlResult.status("Statement executed successfully.");
        }
        existingTable(n);
      }
      if (accept("ADD")) {
        accept("COLUMN");
        boolean ifNotExists = accept("IF", "NOT", "EXISTS");
        List<ColumnDef> add = new ArrayList<>();
        do {
          add.add(columnDef(0));
        } while (accept(",") && (accept("COLUMN") || true));
        expectEnd();
        for (ColumnDef c : add) {
          if (t.column(c.name()) != null) {
            if (ifNotExists) {
              continue;
            }
            throw new SqlException("002028", "42601", "SQL compilation error:\nambiguous column name '"
                + c.name() + "'");
          }
          t = wh.addColumn(t, c.name(), c.type(), true);
        }
        return SqlResult.status("Statement executed successfully.");
      }
      if (accept("ALTER") || accept("MODIFY")) {
        // ALTER TABLE t ALTER [COLUMN] c SET DATA TYPE type: Snowflake allows only widening in place.
        accept("COLUMN");
        String col = ident();
        if (!accept("SET", "DATA", "TYPE")) {
          expect("TYPE");
        }
        SfType to = type();
        expectEnd();
        ColumnDef c = t.column(col);
        if (c == null) {
          throw new SqlException("000904", "42000", "SQL compilation error: error line 0 at position -1\ninvalid"
              + " identifier '" + col + "'");
        }
        SfType from = c.type();
        boolean widening = from.kind() == to.kind() && (from.kind() == SfType.Kind.FIXED
            ? to.scale() == from.scale() && to.precision() >= from.precision()
            : from.kind() == SfType.Kind.TEXT ? to.length() >= from.length() : from.equals(to));
        if (!widening) {
          throw new SqlException("002108", "22000", "SQL compilation error: cannot change column " + col
              + " from type " + from.sqlName() + " to " + to.sqlName());
        }
        wh.alterColumnType(t, col, to);
        return SqlResult.status("Statement executed successfully.");
      }
      throw unexpected();
    }

    SqlResult drop() throws SQLException {
      expect("DROP");
      if (accept("TABLE")) {
        boolean ifExists = accept("IF", "EXISTS");
        String[] n = tableName(qualified());
        TableDef t = wh.table(n[0], n[1], n[2]);
        if (t == null) {
          if (ifExists) {
            return SqlResult.status("Drop statement executed successfully (" + n[2] + " already dropped).");
          }
          existingTable(n);
        }
        wh.dropTable(t);
        return SqlResult.status(n[2] + " successfully dropped.");
      }
      if (accept("SCHEMA")) {
        boolean ifExists = accept("IF", "EXISTS");
        List<String> parts = qualified();
        String db = parts.size() == 2 ? parts.get(0) : currentDb();
        String sch = parts.get(parts.size() - 1);
        if (!wh.hasSchema(db, sch)) {
          if (ifExists) {
            return SqlResult.status("Drop statement executed successfully (" + sch + " already dropped).");
          }
          throw SqlException.notFound("Schema", db + "." + sch);
        }
        wh.dropSchema(db, sch);
        return SqlResult.status(sch + " successfully dropped.");
      }
      if (accept("DATABASE")) {
        boolean ifExists = accept("IF", "EXISTS");
        String db = ident();
        if (!wh.hasDatabase(db)) {
          if (ifExists) {
            return SqlResult.status("Drop statement executed successfully (" + db + " already dropped).");
          }
          throw SqlException.notFound("Database", db);
        }
        wh.dropDatabase(db);
        return SqlResult.status(db + " successfully dropped.");
      }
      if (accept("USER")) {
        boolean ifExists = accept("IF", "EXISTS");
        String u = ident();
        if (!users.exists(u)) {
          if (ifExists) {
            return SqlResult.status("Drop statement executed successfully (" + u + " already dropped).");
          }
          throw SqlException.notFound("User", u);
        }
        users.drop(u);
        wh.deleteUser(u);
        return SqlResult.status(u + " successfully dropped.");
      }
      throw unexpected();
    }

    SqlResult truncate() throws SQLException {
      expect("TRUNCATE");
      accept("TABLE");
      boolean ifExists = accept("IF", "EXISTS");
      String[] n = tableName(qualified());
      expectEnd();
      TableDef t = wh.table(n[0], n[1], n[2]);
      if (t == null) {
        if (ifExists) {
          return SqlResult.status("Statement executed successfully.");
        }
        existingTable(n);
      }
      wh.exec("DELETE FROM " + t.duckName());
      return SqlResult.status("Statement executed successfully.");
    }

    // ---- USER ---------------------------------------------------------------------------------

    SqlResult createUser(boolean replace) throws SQLException {
      boolean ifNotExists = accept("IF", "NOT", "EXISTS");
      String u = ident();
      Map<String, String> props = properties();
      if (users.exists(u)) {
        if (ifNotExists) {
          return SqlResult.status(u + " already exists, statement succeeded.");
        }
        if (!replace) {
          throw SqlException.exists(u);
        }
        users.drop(u);
      }
      users.create(u);
      applyUserProps(u, props);
      return SqlResult.status("User " + u + " successfully created.");
    }

    SqlResult alterUser() throws SQLException {
      boolean ifExists = accept("IF", "EXISTS");
      String u = ident();
      if (!users.exists(u)) {
        if (ifExists) {
          return SqlResult.status("Statement executed successfully.");
        }
        throw SqlException.notFound("User", u);
      }
      if (accept("SET")) {
        applyUserProps(u, properties());
      } else if (accept("UNSET")) {
        Map<String, String> props = new LinkedHashMap<>();
        do {
          props.put(ident(), null);
        } while (accept(","));
        expectEnd();
        applyUserProps(u, props);
      } else {
        throw unexpected();
      }
      return SqlResult.status("Statement executed successfully.");
    }

    Map<String, String> properties() {
      Map<String, String> props = new LinkedHashMap<>();
      while (peek().kind() != Kind.END) {
        String key = ident();
        expect("=");
        Token v = next();
        props.put(key, v.kind() == Kind.STRING ? v.stringValue() : v.text());
        accept(",");
      }
      return props;
    }

    void applyUserProps(String u, Map<String, String> props) throws SQLException {
      for (Map.Entry<String, String> e : props.entrySet()) {
        int slot = switch (e.getKey()) {
          case "RSA_PUBLIC_KEY" -> 1;
          case "RSA_PUBLIC_KEY_2" -> 2;
          default -> 0;
        };
        if (slot == 0) {
          continue;
        }
        PublicKey key = null;
        if (e.getValue() != null && !e.getValue().isBlank()) {
          try {
            key = Users.parsePublicKey(e.getValue());
          } catch (IllegalArgumentException ex) {
            throw new SqlException("002048", "22023", "SQL execution error: New public key rejected by"
                + " current policy. Reason: 'Invalid public key'.");
          }
        }
        users.setKey(u, slot, key);
      }
      persistUser(u);
    }

    void persistUser(String u) throws SQLException {
      PublicKey k1 = users.key(u, 1);
      PublicKey k2 = users.key(u, 2);
      wh.storeUser(u, k1 == null ? null : Base64.getEncoder().encodeToString(k1.getEncoded()),
          k2 == null ? null : Base64.getEncoder().encodeToString(k2.getEncoded()));
    }

    // ---- DESCRIBE / SHOW / USE ----------------------------------------------------------------

    SqlResult describe() {
      next();
      accept("TABLE");
      TableDef t = existingTable(tableName(qualified()));
      expectEnd();
      SfType text = new SfType(SfType.Kind.TEXT, 0, 0, SfType.MAX_TEXT);
      List<String> names = List.of("name", "type", "kind", "null?", "default", "primary key",
          "unique key", "check", "expression", "comment", "policy name", "privacy domain");
      List<SqlResult.Column> cols = names.stream()
          .map(nm -> new SqlResult.Column(nm, text, true, "", "", "")).toList();
      List<List<String>> rows = new ArrayList<>();
      for (ColumnDef c : t.columns()) {
        rows.add(java.util.Arrays.asList(c.name(), c.type().sqlName(), "COLUMN", c.nullable() ? "Y" : "N",
            null, "N", "N", null, null, null, null, null));
      }
      return new SqlResult(cols, rows);
    }

    SqlResult show() {
      expect("SHOW");
      accept("TERSE");
      if (accept("DATABASES")) {
        return showDatabases();
      }
      if (!accept("TABLES")) {
        throw unexpected();
      }
      String like = null;
      if (accept("LIKE")) {
        Token s = next();
        if (s.kind() != Kind.STRING) {
          throw unexpected();
        }
        like = s.stringValue();
      }
      String db = ctx.database();
      String sch = ctx.schema();
      if (accept("IN")) {
        if (accept("ACCOUNT")) {
          db = null;
          sch = null;
        } else if (accept("DATABASE")) {
          db = peek().isIdent() ? ident() : currentDb();
          sch = null;
          if (!wh.hasDatabase(db)) {
            throw SqlException.notFound("Database", db);
          }
        } else {
          accept("SCHEMA");
          List<String> parts = qualified();
          db = parts.size() == 2 ? parts.get(0) : currentDb();
          sch = parts.get(parts.size() - 1);
          checkSchema(db, sch);
        }
      }
      expectEnd();
      Pattern pattern = like == null ? null : likePattern(like);
      SfType text = new SfType(SfType.Kind.TEXT, 0, 0, SfType.MAX_TEXT);
      List<SqlResult.Column> cols = List.of(
          new SqlResult.Column("created_on", new SfType(SfType.Kind.TIMESTAMP_LTZ, 0, 3, 0), true, "", "", ""),
          new SqlResult.Column("name", text, true, "", "", ""),
          new SqlResult.Column("database_name", text, true, "", "", ""),
          new SqlResult.Column("schema_name", text, true, "", "", ""),
          new SqlResult.Column("kind", text, true, "", "", ""),
          new SqlResult.Column("comment", text, true, "", "", ""),
          new SqlResult.Column("cluster_by", text, true, "", "", ""),
          new SqlResult.Column("rows", SfType.number(38, 0), true, "", "", ""),
          new SqlResult.Column("owner", text, true, "", "", ""));
      List<List<String>> rows = new ArrayList<>();
      for (TableDef t : wh.tables()) {
        if (db != null && !t.db().equals(db) || sch != null && !t.schema().equals(sch)
            || pattern != null && !pattern.matcher(t.name()).matches()) {
          continue;
        }
        rows.add(java.util.Arrays.asList(
            BigDecimal.valueOf(t.createdOn(), 3).toPlainString(), t.name(), t.db(), t.schema(), "TABLE", "",
            "", Long.toString(rowCount(t)), "ACCOUNTADMIN"));
      }
      return new SqlResult(cols, rows);
    }

    long rowCount(TableDef t) {
      try (Statement st = wh.connection().createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t.duckName())) {
        rs.next();
        return rs.getLong(1);
      } catch (SQLException e) {
        return -1;
      }
    }

    SqlResult showDatabases() {
      expectEnd();
      SfType text = new SfType(SfType.Kind.TEXT, 0, 0, SfType.MAX_TEXT);
      List<List<String>> rows = new ArrayList<>();
      for (String d : new java.util.TreeSet<>(wh.databases())) {
        rows.add(List.of(d));
      }
      return new SqlResult(List.of(new SqlResult.Column("name", text, true, "", "", "")), rows);
    }

    Pattern likePattern(String like) {
      StringBuilder re = new StringBuilder();
      for (char c : like.toCharArray()) {
        re.append(c == '%' ? ".*" : c == '_' ? "." : Pattern.quote(String.valueOf(c)));
      }
      return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE);
    }

    SqlResult use() {
      expect("USE");
      if (accept("WAREHOUSE") || accept("ROLE") || accept("SECONDARY")) {
        return SqlResult.status("Statement executed successfully.");
      }
      if (accept("SCHEMA")) {
        List<String> parts = qualified();
        String db = parts.size() == 2 ? parts.get(0) : currentDb();
        checkSchema(db, parts.get(parts.size() - 1));
        ctx = new Context(db, parts.get(parts.size() - 1));
      } else {
        accept("DATABASE");
        List<String> parts = qualified();
        if (parts.size() == 1) {
          if (!wh.hasDatabase(parts.get(0))) {
            throw SqlException.notFound("Database", parts.get(0));
          }
          ctx = new Context(parts.get(0), "PUBLIC");
        } else {
          checkSchema(parts.get(0), parts.get(1));
          ctx = new Context(parts.get(0), parts.get(1));
        }
      }
      return SqlResult.status("Statement executed successfully.");
    }

    // ---- DML / queries ------------------------------------------------------------------------

    SqlResult dml(String verb) throws SQLException {
      List<TableDef> referenced = new ArrayList<>();
      String duckSql = rewrite(referenced);
      if (verb.equals("SELECT") || verb.equals("WITH") || verb.equals("(")) {
        return query(duckSql, referenced);
      }
      try (PreparedStatement ps = wh.connection().prepareStatement(
          verb.equals("MERGE") ? duckSql + " RETURNING merge_action" : duckSql)) {
        int batches = bind(ps);
        if (verb.equals("INSERT") || verb.equals("UPDATE") || verb.equals("DELETE")) {
          long count = 0;
          if (batches > 1) {
            for (int c : ps.executeBatch()) {
              count += c;
            }
          } else {
            count = ps.executeUpdate();
          }
          return switch (verb) {
            case "INSERT" -> SqlResult.counts(List.of("number of rows inserted"), List.of(count));
            case "UPDATE" -> SqlResult.counts(List.of("number of rows updated",
                "number of multi-joined rows updated"), List.of(count, 0L));
            default -> SqlResult.counts(List.of("number of rows deleted"), List.of(count));
          };
        }
        try (ResultSet rs = ps.executeQuery()) {
          if (verb.equals("MERGE")) {
            long ins = 0;
            long upd = 0;
            long del = 0;
            while (rs.next()) {
              switch (rs.getString(1)) {
                case "INSERT" -> ins++;
                case "UPDATE" -> upd++;
                default -> del++;
              }
            }
            return SqlResult.counts(List.of("number of rows inserted", "number of rows updated",
                "number of rows deleted"), List.of(ins, upd, del));
          }
          throw new IllegalStateException("only MERGE returns rows here");
        }
      }
    }

    /**
     * Runs a query and encodes every cell inside DuckDB (one JSON array per row): per-cell JDBC
     * access is the slow part of reading large results.
     */
    SqlResult query(String duckSql, List<TableDef> referenced) throws SQLException {
      List<SqlResult.Column> cols = new ArrayList<>();
      try (PreparedStatement ps = wh.connection().prepareStatement(duckSql)) {
        ResultSetMetaData md = ps.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          cols.add(column(md.getColumnLabel(i), md.getColumnTypeName(i), referenced));
        }
      }
      StringBuilder sql = new StringBuilder("SELECT json_array(");
      StringBuilder aliases = new StringBuilder();
      for (int k = 0; k < cols.size(); k++) {
        String c = "\"__c" + k + "\"";
        sql.append(k == 0 ? "" : ", ").append(encodeExpr(c, cols.get(k).type()));
        aliases.append(k == 0 ? "" : ", ").append(c);
      }
      sql.append(") FROM (").append(duckSql).append(") AS \"__q\"(").append(aliases).append(')');
      List<List<String>> rows = new ArrayList<>();
      try (PreparedStatement ps = wh.connection().prepareStatement(sql.toString())) {
        bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            JsonNode arr;
            try {
              arr = JSON.readTree(rs.getString(1));
            } catch (java.io.IOException e) {
              throw new SQLException("could not read an encoded row: " + e.getMessage(), e);
            }
            List<String> row = new ArrayList<>(cols.size());
            for (int k = 0; k < cols.size(); k++) {
              JsonNode v = arr.get(k);
              String text = v == null || v.isNull() ? null : v.asText();
              if (text != null && cols.get(k).type().kind() == SfType.Kind.TIMESTAMP_TZ) {
                OffsetDateTime odt = parseTz(text);
                text = seconds(odt.toEpochSecond(), odt.getNano(), cols.get(k).type().scale()) + " "
                    + (odt.getOffset().getTotalSeconds() / 60 + 1440);
              }
              row.add(text);
            }
            rows.add(row);
          }
        }
      }
      return new SqlResult(cols, rows);
    }

    SqlResult.Column column(String name, String duck, List<TableDef> referenced) {
      for (TableDef t : referenced) {
        ColumnDef c = t.column(name);
        if (c != null && c.type().duckType().equalsIgnoreCase(duck)) {
          return new SqlResult.Column(name, c.type(), c.nullable(), t.db(), t.schema(), t.name());
        }
      }
      return new SqlResult.Column(name, typeOfDuck(duck), true, "", "", "");
    }

    int bind(PreparedStatement ps) throws SQLException {
      if (bindings.isEmpty()) {
        return 1;
      }
      int batches = bindings.values().stream().mapToInt(b -> b.values().size()).max().orElse(1);
      for (int row = 0; row < batches; row++) {
        for (int i = 1; i <= bindings.size(); i++) {
          Binding b = bindings.get(Integer.toString(i));
          if (b == null) {
            throw new SqlException("002049", "22023", "SQL compilation error: bind variable " + i
                + " not set.");
          }
          String v = b.values().get(Math.min(row, b.values().size() - 1));
          String type = b.type() == null ? "TEXT" : b.type().toUpperCase(Locale.ROOT);
          if (v == null) {
            ps.setObject(i, null);
          } else if (type.equals("FIXED")) {
            ps.setBigDecimal(i, new BigDecimal(v));
          } else if (type.equals("REAL")) {
            ps.setDouble(i, Double.parseDouble(v));
          } else if (type.equals("BOOLEAN")) {
            ps.setBoolean(i, Boolean.parseBoolean(v));
          } else {
            ps.setString(i, v);
          }
        }
        if (batches > 1) {
          ps.addBatch();
        }
      }
      return batches;
    }

    /**
     * Names the statement's WITH clauses define (also inside a subquery, as in MERGE ... USING (WITH ...)): in table
     * position they name the CTE, not a table of the session's schema, as in Snowflake.
     */
    Set<String> cteNames() {
      Set<String> names = new java.util.HashSet<>();
      for (int i = p; i < toks.size(); i++) {
        Token prev = i > 0 ? toks.get(i - 1) : null;
        Token t = toks.get(i);
        if (prev == null || !t.isIdent() || !(prev.is("WITH") || prev.is("RECURSIVE") || prev.is(","))) {
          continue;
        }
        int j = i + 1;
        if (j < toks.size() && toks.get(j).is("(")) {
          int depth = 0;
          for (; j < toks.size(); j++) {
            if (toks.get(j).is("(")) {
              depth++;
            } else if (toks.get(j).is(")") && --depth == 0) {
              break;
            }
          }
          j++;
        }
        if (j + 1 < toks.size() && toks.get(j).is("AS") && toks.get(j + 1).is("(")) {
          names.add(t.ident());
        }
      }
      return names;
    }

    /** Rewrites the statement into DuckDB SQL and collects the tables it names. */
    String rewrite(List<TableDef> referenced) {
      Set<String> ctes = cteNames();
      StringBuilder out = new StringBuilder();
      // Per paren level: the function that opened it (for CAST ... AS type and EXTRACT ... FROM).
      List<String> parens = new ArrayList<>();
      boolean expectTable = false;
      boolean fromList = false;
      int fromDepth = -1;
      int paramNo = 0;
      while (peek().kind() != Kind.END) {
        Token t = next();
        String u = t.upper();
        String fn = parens.isEmpty() ? "" : parens.get(parens.size() - 1);
        if (t.kind() == Kind.SYMBOL) {
          if (t.is("(")) {
            Token before = p >= 2 ? toks.get(p - 2) : null;
            parens.add(before != null && before.kind() == Kind.WORD ? before.upper() : "");
            expectTable = false;
          } else if (t.is(")")) {
            if (!parens.isEmpty()) {
              parens.remove(parens.size() - 1);
            }
            if (parens.size() < fromDepth) {
              fromList = false;
            }
          } else if (t.is(",") && fromList && parens.size() == fromDepth) {
            expectTable = true;
          } else if (t.is("::")) {
            out.append(t.pre()).append("::");
            out.append(' ').append(duckTypeAt());
            continue;
          }
          out.append(t.pre()).append(t.text());
          continue;
        }
        if (t.kind() == Kind.PARAM) {
          paramNo++;
          out.append(t.pre()).append('?');
          continue;
        }
        if (t.kind() == Kind.WORD && TABLE_INTRO.contains(u) && !FROM_FUNCTIONS.contains(fn)
            && !(u.equals("UPDATE") && peek().kind() == Kind.WORD && peek().text().equalsIgnoreCase("SET"))) {
          // (MERGE's "WHEN MATCHED THEN UPDATE SET col = ..." names no table after UPDATE.)
          expectTable = true;
          fromList = u.equals("FROM") || u.equals("USING");
          fromDepth = parens.size();
          out.append(t.pre()).append(u);
          continue;
        }
        if (t.isIdent() && expectTable && ctes.contains(t.ident()) && !peek().is(".")) {
          out.append(t.pre()).append(Warehouse.q(t.ident()));
          expectTable = false;
          continue;
        }
        if (t.isIdent() && expectTable && !(t.kind() == Kind.WORD && KEYWORDS.contains(u))) {
          p--;
          List<String> parts = qualified();
          String[] n = tableName(parts);
          TableDef td = existingTable(n);
          referenced.add(td);
          out.append(t.pre()).append(td.duckName());
          expectTable = false;
          continue;
        }
        if (t.kind() == Kind.WORD && (KEYWORDS.contains(u) || peek().is("("))) {
          expectTable = false;
          if (fromList && parens.size() == fromDepth && KEYWORDS.contains(u) && !u.equals("AS")) {
            fromList = false;
          }
          if (LITERAL_TYPES.contains(u) && peek().kind() == Kind.STRING) {
            Token lit = next();
            String type = u.equals("TIMESTAMP_TZ") ? "VARCHAR" : SfType.parse(u).duckType();
            out.append(t.pre()).append("CAST(").append(lit.text()).append(" AS ").append(type).append(')');
            continue;
          }
          if (u.equals("AS") && (fn.equals("CAST") || fn.equals("TRY_CAST"))) {
            out.append(t.pre()).append("AS ").append(duckTypeAt());
            continue;
          }
          out.append(t.pre()).append(t.text());
          continue;
        }
        if (t.kind() == Kind.WORD) {
          out.append(t.pre()).append(Warehouse.q(t.ident()));
          continue;
        }
        out.append(t.pre()).append(t.text());
      }
      if (paramNo != 0 && paramNo != bindings.size()) {
        throw new SqlException("002049", "22023", "SQL compilation error: statement has " + paramNo
            + " bind variables but " + bindings.size() + " bindings were sent.");
      }
      return out.toString();
    }

    /** Reads a Snowflake type at the cursor and returns the DuckDB type that stores it. */
    String duckTypeAt() {
      SfType type = type();
      return type.kind() == SfType.Kind.TIMESTAMP_TZ ? "VARCHAR" : type.duckType();
    }
  }

}
