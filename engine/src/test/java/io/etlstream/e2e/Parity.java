package io.etlstream.e2e;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.etlstream.batch.TableId;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.sink.snowflake.DestinationTables;
import io.etlstream.sink.snowflake.SnowflakeName;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.util.PGInterval;

/**
 * Checks a Snowflake destination (through the SQL API's result format) against its PostgreSQL source:
 * <ul>
 * <li>history: every streamed change exactly once — no two rows share ({@code _ETL_LSN}, {@code _ETL_SEQ}), and the
 * count per kind (I/U/D/T) equals what {@link MixedWorkload} counted; the snapshot rows (those at the smallest LSN, the
 * slot's consistent point) are each seeded row once;</li>
 * <li>mirror: a full comparison of every row and column. Both sides are read completely, every value is turned into a
 * canonical text per PostgreSQL type (timestamps as epoch microseconds, JSON with sorted keys, floats through
 * {@code double}, ...), and the rows are compared by primary key; a failure lists the first differing rows and
 * columns with both values.</li>
 * </ul>
 * Representation choices that are the pipeline's documented mapping, not loss: a numeric NaN is NULL in Snowflake (no
 * NUMBER holds it; the pipeline runs with the oversize policy "null"), timetz is ISO text, interval is ISO 8601 text.
 */
public final class Parity {

    /** Runs a query in Snowflake and returns its cells as the SQL API encodes them (null for SQL NULL). */
    @FunctionalInterface
    public interface SnowflakeQuery {
        List<List<String>> rows(String sql);
    }

    /** The emulator's SQL engine (the same code that answers {@code /api/v2/statements}). */
    public static SnowflakeQuery of(SnowflakeEmulator emu) {
        return sql -> emu.sql(sql).rows();
    }

    private static final String NULL = "∅";
    private static final int SHOW = 5;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final Connection pg;
    private final SnowflakeQuery sf;
    private final String database;
    private final String schema;

    /** {@code database}/{@code schema}: the destination's, as typed in its definition. */
    public Parity(Connection pg, SnowflakeQuery sf, String database, String schema) {
        this.pg = pg;
        this.sf = sf;
        this.database = database;
        this.schema = schema;
    }

    /** Runs every check on {@code tables}; throws one AssertionError that lists every problem found. */
    public void assertParity(List<TableId> tables, Map<TableId, MixedWorkload.Counts> counts) throws SQLException {
        assertParity(tables, tables, counts);
    }

    /** Checks the history of every table in {@code history} and the mirror of every table in {@code mirrors}. */
    public void assertParity(List<TableId> history, List<TableId> mirrors, Map<TableId, MixedWorkload.Counts> counts)
            throws SQLException {
        List<String> problems = new ArrayList<>();
        for (TableId t : history) {
            problems.addAll(checkHistory(t, counts.get(t)));
        }
        for (TableId t : mirrors) {
            problems.addAll(checkMirror(t));
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(problems.size() + " parity problem(s):\n  " + String.join("\n  ", problems));
        }
    }

    // ---- history -------------------------------------------------------------------------------------------------

    /** Problems with {@code t}'s history table: duplicates, or counts that differ from what the workload made. */
    public List<String> checkHistory(TableId t, MixedWorkload.Counts expected) throws SQLException {
        List<String> out = new ArrayList<>();
        DestinationTables names = DestinationTables.of(t, database, schema);
        String h = names.qualifiedHistory();
        List<String> keys = primaryKey(t);
        String snapshotLsn = null;
        if (expected.seeded() > 0) {
            snapshotLsn = one("SELECT MIN(_ETL_LSN) FROM " + h);
            if (snapshotLsn == null) {
                out.add(t + ": history " + h + " is empty, expected " + expected.seeded() + " snapshot rows and "
                        + expected.changes() + " changes");
                return out;
            }
            StringBuilder keyList = new StringBuilder();
            for (String k : keys) {
                keyList.append(keyList.length() == 0 ? "" : ", ").append(SnowflakeName.fromPostgres(k).sql());
            }
            List<List<String>> snap = sf.rows("SELECT COUNT(*), SUM(CASE WHEN _ETL_OP = 'I' THEN 1 ELSE 0 END) FROM "
                    + h + " WHERE _ETL_LSN = " + snapshotLsn);
            long snapRows = Long.parseLong(snap.get(0).get(0));
            if (snapRows != expected.seeded() || !snap.get(0).get(1).equals(snap.get(0).get(0))) {
                out.add(t + ": " + snapRows + " snapshot rows (" + snap.get(0).get(1) + " inserts) at LSN "
                        + snapshotLsn + " in " + h + ", expected " + expected.seeded() + " inserts");
            }
            List<List<String>> dupKeys = sf.rows("SELECT " + keyList + ", COUNT(*) FROM " + h + " WHERE _ETL_LSN = "
                    + snapshotLsn + " GROUP BY " + keyList + " HAVING COUNT(*) > 1 ORDER BY " + keyList + " LIMIT "
                    + SHOW);
            if (!dupKeys.isEmpty()) {
                out.add(t + ": snapshot rows copied more than once in " + h + " (key..., count): " + dupKeys);
            }
        }
        String streamed = snapshotLsn == null ? "" : " WHERE _ETL_LSN > " + snapshotLsn;
        Map<String, Long> byOp = new TreeMap<>();
        for (List<String> r : sf.rows("SELECT _ETL_OP, COUNT(*) FROM " + h + streamed + " GROUP BY _ETL_OP")) {
            byOp.put(r.get(0), Long.parseLong(r.get(1)));
        }
        Map<String, Long> want = new TreeMap<>();
        want.put("I", expected.inserts());
        want.put("U", expected.updates());
        want.put("D", expected.deletes());
        want.put("T", expected.truncates());
        want.values().removeIf(v -> v == 0);
        if (!byOp.equals(want)) {
            out.add(t + ": streamed changes in " + h + " by _ETL_OP " + byOp + ", the workload made " + want
                    + " (a surplus means duplicates or phantom rows, a shortfall lost changes)");
        }
        List<List<String>> dups = sf.rows("SELECT _ETL_LSN, _ETL_SEQ, COUNT(*) FROM " + h + streamed
                + " GROUP BY _ETL_LSN, _ETL_SEQ HAVING COUNT(*) > 1 ORDER BY _ETL_LSN, _ETL_SEQ LIMIT " + SHOW);
        if (!dups.isEmpty()) {
            String total = one("SELECT COUNT(*) - COUNT(DISTINCT _ETL_LSN * 4294967296 + _ETL_SEQ) FROM " + h
                    + streamed);
            out.add(t + ": " + total + " duplicate change(s) in " + h + "; first (_ETL_LSN, _ETL_SEQ, copies): " + dups);
        }
        return out;
    }

    private String one(String sql) {
        List<List<String>> r = sf.rows(sql);
        return r.isEmpty() ? null : r.get(0).get(0);
    }

    // ---- mirror --------------------------------------------------------------------------------------------------

    /** Problems with {@code t}'s mirror: rows missing, surplus, or with a differing column value. */
    public List<String> checkMirror(TableId t) throws SQLException {
        List<String> out = new ArrayList<>();
        List<String> keys = primaryKey(t);
        List<String> columns = new ArrayList<>();
        List<String> types = new ArrayList<>();
        Map<String, String[]> pgRows = new TreeMap<>();
        String source = MixedWorkload.quote(t.schema()) + "." + MixedWorkload.quote(t.name());
        try (Statement st = pg.createStatement()) {
            st.setFetchSize(2000);
            boolean auto = pg.getAutoCommit();
            pg.setAutoCommit(false); // a cursor, so large tables are not held twice in memory
            try (ResultSet rs = st.executeQuery("SELECT * FROM " + source)) {
                ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    columns.add(md.getColumnName(i));
                    types.add(md.getColumnTypeName(i));
                }
                while (rs.next()) {
                    String[] row = new String[columns.size()];
                    for (int i = 0; i < row.length; i++) {
                        row[i] = pgCanon(types.get(i), rs, i + 1);
                    }
                    pgRows.put(key(keys, columns, row), row);
                }
            } finally {
                pg.commit();
                pg.setAutoCommit(auto);
            }
        }
        StringBuilder select = new StringBuilder();
        for (String c : columns) {
            select.append(select.length() == 0 ? "" : ", ").append(SnowflakeName.fromPostgres(c).sql());
        }
        String mirror = DestinationTables.of(t, database, schema).qualifiedMirror();
        Map<String, String[]> sfRows = new TreeMap<>();
        int duplicates = 0;
        for (List<String> cells : sf.rows("SELECT " + select + " FROM " + mirror)) {
            String[] row = new String[columns.size()];
            for (int i = 0; i < row.length; i++) {
                row[i] = sfCanon(types.get(i), cells.get(i));
            }
            if (sfRows.put(key(keys, columns, row), row) != null) {
                duplicates++;
            }
        }
        if (duplicates > 0) {
            out.add(t + ": " + duplicates + " key(s) appear more than once in " + mirror);
        }
        List<String> missing = new ArrayList<>();
        List<String> surplus = new ArrayList<>();
        List<String> differ = new ArrayList<>();
        int differing = 0;
        for (Map.Entry<String, String[]> e : pgRows.entrySet()) {
            String[] s = sfRows.get(e.getKey());
            if (s == null) {
                missing.add(e.getKey());
                continue;
            }
            String[] p = e.getValue();
            StringBuilder d = new StringBuilder();
            for (int i = 0; i < p.length; i++) {
                if (!p[i].equals(s[i])) {
                    d.append(d.length() == 0 ? "" : "; ").append(columns.get(i)).append(" (").append(types.get(i))
                            .append(") pg=").append(abbrev(p[i])).append(" sf=").append(abbrev(s[i]));
                }
            }
            if (d.length() > 0) {
                differing++;
                if (differ.size() < SHOW) {
                    differ.add("key " + e.getKey() + ": " + d);
                }
            }
        }
        for (String k : sfRows.keySet()) {
            if (!pgRows.containsKey(k)) {
                surplus.add(k);
            }
        }
        if (!missing.isEmpty()) {
            out.add(t + ": " + missing.size() + " of " + pgRows.size() + " source rows missing from " + mirror
                    + "; first keys " + missing.subList(0, Math.min(SHOW, missing.size())));
        }
        if (!surplus.isEmpty()) {
            out.add(t + ": " + surplus.size() + " rows in " + mirror + " that the source does not have; first keys "
                    + surplus.subList(0, Math.min(SHOW, surplus.size())));
        }
        if (differing > 0) {
            out.add(t + ": " + differing + " rows differ between source and " + mirror + "; first:\n      "
                    + String.join("\n      ", differ));
        }
        return out;
    }

    /** Rows compared per table: how many source rows the last {@link #checkMirror} read (for reports). */
    public long sourceRows(TableId t) throws SQLException {
        try (Statement st = pg.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM "
                + MixedWorkload.quote(t.schema()) + "." + MixedWorkload.quote(t.name()))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String key(List<String> keys, List<String> columns, String[] row) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            String v = row[columns.indexOf(k)];
            // zero-padded so that numeric keys sort numerically in the TreeMap
            sb.append(sb.length() == 0 ? "" : ",").append(v.matches("\\d+") ? "0".repeat(Math.max(0, 20 - v.length())) + v : v);
        }
        return sb.toString();
    }

    private List<String> primaryKey(TableId t) throws SQLException {
        List<String> keys = new ArrayList<>();
        try (var ps = pg.prepareStatement("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                + " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = (quote_ident(?) || '.' || quote_ident(?))::regclass"
                + " AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(t + " has no primary key: its mirror cannot be compared by key");
        }
        return keys;
    }

    private static String abbrev(String v) {
        return v.length() <= 160 ? v : v.substring(0, 160) + "…(" + v.length() + " chars)";
    }

    // ---- canonical values ----------------------------------------------------------------------------------------

    /** The canonical text of a PostgreSQL value of type {@code type} (as pg_type names it). */
    static String pgCanon(String type, ResultSet rs, int i) throws SQLException {
        String text = rs.getString(i);
        if (text == null) {
            return NULL;
        }
        switch (type) {
            case "bool":
                return Boolean.toString(rs.getBoolean(i));
            case "int2", "int4", "int8", "oid":
                return number(text);
            case "numeric":
                // NUMBER has no NaN: the pipeline writes NULL (oversize policy "null") and says so in an event
                return text.equals("NaN") ? NULL : number(text);
            case "float4":
                // the SDK turns a Float into a double through its decimal text (116601.14f -> 116601.14, not
                // 116601.140625), which is also what PostgreSQL prints for it
                return dbl(Double.parseDouble(Float.toString(rs.getFloat(i))));
            case "float8":
                return dbl(rs.getDouble(i));
            case "bytea":
                return HexFormat.of().formatHex(rs.getBytes(i));
            case "date":
                return Long.toString(LocalDate.parse(text).toEpochDay());
            case "time":
                return Long.toString(LocalTime.parse(text).toNanoOfDay());
            case "timetz":
                return timetz(text);
            case "timestamp":
                return Long.toString(micros(LocalDateTime.parse(text.replace(' ', 'T')).toEpochSecond(ZoneOffset.UTC),
                        LocalDateTime.parse(text.replace(' ', 'T')).getNano()));
            case "timestamptz": {
                OffsetDateTime odt = rs.getObject(i, OffsetDateTime.class);
                return Long.toString(micros(odt.toEpochSecond(), odt.getNano()));
            }
            case "interval": {
                PGInterval iv = (PGInterval) rs.getObject(i);
                long months = iv.getYears() * 12L + iv.getMonths();
                long us = (iv.getHours() * 3600L + iv.getMinutes() * 60L) * 1_000_000L
                        + Math.round(iv.getSeconds() * 1_000_000d);
                return months + "m" + iv.getDays() + "d" + us + "us";
            }
            case "json", "jsonb":
                return json(text);
            default:
                if (type.startsWith("_")) {
                    Object[] elements = (Object[]) rs.getArray(i).getArray();
                    ArrayNode a = JsonNodeFactory.instance.arrayNode();
                    for (Object e : elements) {
                        if (e == null) {
                            a.addNull();
                        } else if (e instanceof Number n) {
                            a.add(new BigDecimal(n.toString()));
                        } else {
                            a.add(new TextNode(e.toString()));
                        }
                    }
                    return canonJson(a);
                }
                return text(text);
        }
    }

    /** The canonical text of a Snowflake cell (SQL API encoding) that holds a value of PostgreSQL type {@code type}. */
    static String sfCanon(String type, String cell) {
        if (cell == null) {
            return NULL;
        }
        switch (type) {
            case "bool":
                return Boolean.toString(Boolean.parseBoolean(cell.trim()));
            case "int2", "int4", "int8", "oid", "numeric":
                return number(cell);
            case "float4", "float8":
                return dbl(switch (cell.trim().toLowerCase(java.util.Locale.ROOT)) {
                    case "nan" -> Double.NaN;
                    case "inf", "infinity" -> Double.POSITIVE_INFINITY;
                    case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
                    default -> Double.parseDouble(cell);
                });
            case "bytea":
                return cell.toLowerCase(java.util.Locale.ROOT);
            case "date":
                return cell; // days since the epoch
            case "time":
                return new BigDecimal(cell).movePointRight(9).toBigIntegerExact().toString();
            case "timetz":
                return timetz(cell);
            case "timestamp":
                return new BigDecimal(cell).movePointRight(6).toBigIntegerExact().toString();
            case "timestamptz":
                // "<epoch seconds> <offset minutes + 1440>"
                return new BigDecimal(cell.split(" ")[0]).movePointRight(6).toBigIntegerExact().toString();
            case "interval":
                return isoInterval(cell);
            case "json", "jsonb":
                return json(cell);
            default:
                if (type.startsWith("_")) {
                    return json(cell);
                }
                return text(cell);
        }
    }

    private static String number(String s) {
        BigDecimal d = new BigDecimal(s.trim()).stripTrailingZeros();
        return d.signum() == 0 ? "0" : d.toPlainString();
    }

    private static String dbl(double d) {
        return Double.toString(d == 0 ? 0d : d); // -0.0 and 0.0 compare equal in SQL
    }

    private static long micros(long epochSecond, int nanos) {
        return Math.addExact(Math.multiplyExact(epochSecond, 1_000_000L), nanos / 1000);
    }

    private static final Pattern PG_OFFSET = Pattern.compile("([+-]\\d{2})(?::?(\\d{2}))?(?::?(\\d{2}))?$");

    private static String timetz(String text) {
        String t = text.trim();
        OffsetTime ot;
        if (t.endsWith("Z")) {
            ot = OffsetTime.parse(t);
        } else {
            Matcher m = PG_OFFSET.matcher(t);
            if (!m.find()) {
                return "unparsable timetz '" + t + "'";
            }
            String iso = t.substring(0, m.start()) + m.group(1) + ":" + (m.group(2) == null ? "00" : m.group(2))
                    + (m.group(3) == null ? "" : ":" + m.group(3));
            ot = OffsetTime.parse(iso);
        }
        return ot.toLocalTime().toNanoOfDay() + "ns" + ot.getOffset().getTotalSeconds() + "s";
    }

    private static final Pattern ISO_PART = Pattern.compile("(-?\\d+(?:\\.\\d+)?)([YMWDHS])");

    /** ISO 8601 duration (components may be negative, as IsoInterval writes them) → months/days/microseconds. */
    static String isoInterval(String iso) {
        String s = iso.trim();
        if (!s.startsWith("P")) {
            return "not ISO 8601: '" + s + "'";
        }
        int tPos = s.indexOf('T');
        long months = 0;
        long days = 0;
        BigDecimal micros = BigDecimal.ZERO;
        Matcher m = ISO_PART.matcher(s);
        while (m.find()) {
            boolean time = tPos >= 0 && m.start() > tPos;
            BigDecimal v = new BigDecimal(m.group(1));
            switch (m.group(2)) {
                case "Y" -> months += v.longValueExact() * 12;
                case "M" -> {
                    if (time) {
                        micros = micros.add(v.multiply(BigDecimal.valueOf(60_000_000L)));
                    } else {
                        months += v.longValueExact();
                    }
                }
                case "W" -> days += v.longValueExact() * 7;
                case "D" -> days += v.longValueExact();
                case "H" -> micros = micros.add(v.multiply(BigDecimal.valueOf(3_600_000_000L)));
                case "S" -> micros = micros.add(v.movePointRight(6));
                default -> throw new IllegalStateException(m.group(2));
            }
        }
        return months + "m" + days + "d" + micros.setScale(0, java.math.RoundingMode.HALF_EVEN).toBigInteger() + "us";
    }

    private static String text(String s) {
        if (s.length() <= 256) {
            return s;
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return s.length() + " chars, sha256 " + HexFormat.of().formatHex(d) + ", starts " + s.substring(0, 40);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String json(String text) {
        try {
            return canonJson(JSON.readTree(text));
        } catch (java.io.IOException e) {
            return "invalid JSON '" + abbrev(text) + "'";
        }
    }

    /** JSON with object keys sorted and numbers without trailing zeros. */
    static String canonJson(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "null";
        }
        if (n.isNumber()) {
            return number(n.decimalValue().toPlainString());
        }
        if (n.isTextual()) {
            return TextNode.valueOf(n.textValue()).toString();
        }
        if (n.isBoolean()) {
            return Boolean.toString(n.booleanValue());
        }
        StringBuilder sb = new StringBuilder();
        if (n.isArray()) {
            sb.append('[');
            for (int i = 0; i < n.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(canonJson(n.get(i)));
            }
            return sb.append(']').toString();
        }
        TreeSet<String> names = new TreeSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
            names.add(it.next());
        }
        sb.append('{');
        boolean first = true;
        for (String k : names) {
            sb.append(first ? "" : ",").append(TextNode.valueOf(k)).append(':').append(canonJson(n.get(k)));
            first = false;
        }
        return sb.append('}').toString();
    }

    /** A short summary for reports: rows per table in the source. */
    public Map<TableId, Long> sourceRowCounts(List<TableId> tables) throws SQLException {
        Map<TableId, Long> out = new LinkedHashMap<>();
        for (TableId t : tables) {
            out.put(t, sourceRows(t));
        }
        return out;
    }
}
