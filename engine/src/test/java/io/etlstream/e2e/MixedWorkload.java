package io.etlstream.e2e;

import io.etlstream.batch.TableId;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;

/**
 * A deterministic mixed workload over five PostgreSQL tables that together hold every type the pipeline maps (scalars
 * with NaN/±Infinity, numeric NaN, text with escapes, bytea, uuid, dates and times with and without zone, interval,
 * json/jsonb, arrays, an enum, inet/cidr, a large out-of-line TOAST value that updates mostly leave unchanged, also
 * when they change the row's key), a
 * REPLICA IDENTITY FULL table, a mixed-case quoted table name and a hash-partitioned table.
 *
 * <p>Every change the workload makes is counted per table and per kind in {@code etl_test_counts}, in the same
 * transaction as the change itself, together with the next transaction number and the next free id. So the workload can
 * run in chunks, from several JVMs, and a client or engine killed at any moment leaves counts that match the committed
 * data exactly. Transaction {@code t} draws from {@code Random(seed, t)}: the same seed gives the same changes however
 * the run is cut into chunks.
 */
public final class MixedWorkload {

    /** The five source tables, in the order the counts list them. */
    public static final TableId SCALARS = new TableId("public", "e2e_scalars");
    public static final TableId DOCS = new TableId("public", "e2e_docs");
    public static final TableId MIXED_CASE = new TableId("public", "E2e Mixed");
    public static final TableId FULL = new TableId("public", "e2e_full");
    public static final TableId PARTS = new TableId("public", "e2e_parts");
    public static final List<TableId> TABLES = List.of(SCALARS, DOCS, MIXED_CASE, FULL, PARTS);

    /** The bookkeeping table (not published: it is no pipeline table). */
    public static final String COUNTS_TABLE = "etl_test_counts";

    /** What the workload did to one table: rows it seeded before the snapshot and the changes since, by kind. */
    public record Counts(long seeded, long inserts, long updates, long deletes, long truncates) {
        /** History rows the changes produce: one per inserted/updated/deleted row, one per TRUNCATE. */
        public long changes() {
            return inserts + updates + deletes + truncates;
        }

        Counts plus(long i, long u, long d, long t) {
            return new Counts(seeded, inserts + i, updates + u, deletes + d, truncates + t);
        }

        @Override
        public String toString() {
            return "seeded=" + seeded + " I=" + inserts + " U=" + updates + " D=" + deletes + " T=" + truncates;
        }
    }

    /** One column: its name as SQL, and an expression of {@code g} (the row id) and {@code s} (a salt) for its value. */
    private record Col(String sql, String expr, boolean rarelyUpdated) {}

    /** A table's shape for the generator. */
    private record Spec(TableId id, List<Col> cols, boolean keyChanges, int weight) {
        String quoted() {
            return quote(id.schema()) + "." + quote(id.name());
        }
    }

    private static final List<Spec> SPECS = List.of(
            new Spec(SCALARS, List.of(
                    col("b", "CASE WHEN R(1) % 7 = 0 THEN NULL ELSE R(1) % 2 = 0 END"),
                    col("i2", "(R(2) % 65535 - 32767)::int2"),
                    col("i4", "CASE R(3) % 97 WHEN 0 THEN 2147483647 WHEN 1 THEN -2147483648 WHEN 2 THEN NULL"
                            + " ELSE R(3) * 21 - 1000000 END"),
                    col("i8", "CASE R(4) % 50 WHEN 0 THEN 9223372036854775807 WHEN 1 THEN -9223372036854775808"
                            + " ELSE (R(4) - 50000) * 92233720368 END"),
                    col("f4", "CASE R(5) % 40 WHEN 0 THEN 'NaN'::float4 WHEN 1 THEN 'Infinity'::float4"
                            + " WHEN 2 THEN '-Infinity'::float4 WHEN 3 THEN NULL WHEN 4 THEN 0::float4"
                            + " ELSE (R(5) / 7.0 - 3000)::float4 END"),
                    col("f8", "CASE R(6) % 40 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity'::float8"
                            + " WHEN 2 THEN '-Infinity'::float8 WHEN 3 THEN NULL WHEN 4 THEN 1e300"
                            + " WHEN 5 THEN -2.5e-300 ELSE R(6) / 3.0::float8 - 12345 END"),
                    col("n", "CASE R(7) % 30 WHEN 0 THEN NULL WHEN 1 THEN 999999999.999 WHEN 2 THEN -999999999.999"
                            + " ELSE (R(7) * 7919 % 1000000000) / 1000.0 - 400000 END"),
                    col("nn", "CASE R(8) % 25 WHEN 0 THEN 'NaN'::numeric WHEN 1 THEN NULL ELSE R(8) / 100.0 END"),
                    col("t", "CASE R(9) % 11 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN E'tab\\there\\nnew \\\\ back"
                            + " \"dq\" ''sq'' ' || @g WHEN 3 THEN 'ünïcødé ✓ 😀 ' || R(9) WHEN 4 THEN ' lead/trail '"
                            + " ELSE md5(R(9)::text) END"),
                    col("vc", "left(md5(@g::text || @s::text), (R(10) % 41)::int)"),
                    col("ch", "CASE R(11) % 5 WHEN 0 THEN NULL ELSE left(md5(R(11)::text), (R(11) % 6 + 1)::int) END"),
                    col("by", "CASE R(12) % 9 WHEN 0 THEN NULL WHEN 1 THEN '\\x'::bytea WHEN 2 THEN"
                            + " '\\x00ff0a5c275c6e'::bytea ELSE decode(md5(R(12)::text), 'hex') END"),
                    col("u", "CASE R(13) % 19 WHEN 0 THEN NULL ELSE md5(@g::text || '/' || @s::text)::uuid END"),
                    col("d", "CASE R(14) % 23 WHEN 0 THEN NULL ELSE DATE '1950-01-01' + (R(14) % 40000)::int END"),
                    col("tm", "CASE R(15) % 23 WHEN 0 THEN NULL WHEN 1 THEN TIME '00:00' WHEN 2 THEN"
                            + " TIME '23:59:59.999999' ELSE TIME '00:00' + R(15) * interval '0.861237 second' END"),
                    col("ttz", "CASE R(16) % 23 WHEN 0 THEN NULL ELSE (to_char(TIME '00:00' + R(16) * interval"
                            + " '1.000123 second', 'HH24:MI:SS.US') || (ARRAY['+00', '+05:30', '-08', '+14',"
                            + " '-03:30'])[(R(16) % 5 + 1)::int])::timetz END"),
                    col("ts", "CASE R(17) % 23 WHEN 0 THEN NULL ELSE TIMESTAMP '1960-01-01' + (R(17) * 7001)"
                            + " * interval '1 second' + (R(17) % 1000000) * interval '1 microsecond' END"),
                    col("tstz", "CASE R(18) % 23 WHEN 0 THEN NULL ELSE TIMESTAMPTZ '1965-06-01 00:00:00+00'"
                            + " + (R(18) * 6997) * interval '1 second' + (R(18) % 999983) * interval '1 microsecond'"
                            + " END"),
                    col("iv", "CASE R(19) % 6 WHEN 0 THEN NULL WHEN 1 THEN interval '0' WHEN 2 THEN make_interval("
                            + "years => (R(19) % 5)::int, months => (R(19) % 11)::int, days => (R(19) % 40)::int,"
                            + " hours => (R(19) % 30)::int, mins => (R(19) % 60)::int, secs => (R(19) % 6000) / 100.0)"
                            + " WHEN 3 THEN -make_interval(days => (R(19) % 10)::int, secs => R(19) / 1000.0)"
                            + " ELSE make_interval(months => -(R(19) % 13)::int, hours => (R(19) % 50)::int) END")),
                    true, 30),
            new Spec(DOCS, List.of(
                    col("j", "CASE R(1) % 13 WHEN 0 THEN NULL WHEN 1 THEN 'null'::json ELSE json_build_object('g', @g,"
                            + " 's', @s, 'arr', json_build_array(R(1), 'x', NULL, true), 'nested',"
                            + " json_build_object('f', R(1) / 8.0, 'q', 'a\"b\\c')) END"),
                    col("jb", "CASE R(2) % 13 WHEN 0 THEN NULL WHEN 1 THEN '[]'::jsonb ELSE jsonb_build_object('k'"
                            + " || (R(2) % 5), R(2), 'txt', 'ü ✓ \"q\"', 'list', jsonb_build_array(1.50, 2, 'z',"
                            + " R(2) % 2 = 0), 'e', '{}'::jsonb) END"),
                    col("ia", "CASE R(3) % 6 WHEN 0 THEN NULL WHEN 1 THEN '{}'::int4[] WHEN 2 THEN ARRAY[1, NULL, 3]"
                            + " ELSE ARRAY[(R(3) % 100000)::int, (R(3) % 7)::int, -(R(3) % 1000)::int] END"),
                    col("ta", "CASE R(4) % 6 WHEN 0 THEN NULL WHEN 1 THEN '{}'::text[] ELSE ARRAY['a', 'b c',"
                            + " 'q\"uo,te', NULL, R(4)::text, ''] END"),
                    col("m", "CASE R(5) % 9 WHEN 0 THEN NULL ELSE (enum_range(NULL::e2e_mood))[(R(5) % 4 + 1)::int]"
                            + " END"),
                    col("ip", "CASE R(6) % 4 WHEN 0 THEN NULL WHEN 1 THEN ('2001:db8::' || to_hex(R(6) % 65536))::inet"
                            + " WHEN 2 THEN ('10.' || R(6) % 256 || '.' || R(6) / 256 % 256 || '.7/24')::inet"
                            + " ELSE ('10.' || R(6) % 256 || '.' || R(6) / 256 % 256 || '.1')::inet END"),
                    col("net", "CASE R(7) % 5 WHEN 0 THEN NULL ELSE ('192.168.' || R(7) % 256 || '.0/24')::cidr END"),
                    // an array of an enum (a per-database type OID) whose labels need quoting in array text
                    col("tags", "CASE R(9) % 6 WHEN 0 THEN NULL WHEN 1 THEN '{}'::e2e_tag[] ELSE ARRAY["
                            + "(enum_range(NULL::e2e_tag))[(R(9) % 5 + 1)::int], NULL, 'with,comma', 'q\"uote',"
                            + " '{brace}', 'NULL']::e2e_tag[] END"),
                    new Col("big", "CASE WHEN R(8) % 10 = 0 THEN repeat(md5(@g::text || @s::text), (100 + R(8) % 400)::int)"
                            + " WHEN R(8) % 10 = 1 THEN NULL ELSE 'small ' || @g END", true)),
                    // key changes here move rows whose big value stays unchanged TOAST (REPLICA IDENTITY DEFAULT)
                    true, 20),
            new Spec(MIXED_CASE, List.of(
                    col("\"Amount\"", "CASE R(1) % 17 WHEN 0 THEN NULL ELSE (R(1) % 100000000) / 100.0 - 300000 END"),
                    col("\"Note\"", "CASE R(2) % 7 WHEN 0 THEN NULL ELSE 'Note ' || R(2) || ' for ' || @g END"),
                    col("created", "TIMESTAMPTZ '2026-01-01 00:00:00+00' + R(3) * interval '1.5 second'")),
                    true, 15),
            new Spec(FULL, List.of(
                    col("v", "CASE R(1) % 9 WHEN 0 THEN NULL ELSE 'v' || R(1) END"),
                    col("n", "(R(2) % 1000)::int"),
                    col("at", "TIMESTAMP '2020-02-29 12:00:00' + R(3) * interval '1 minute'"),
                    new Col("payload", "CASE WHEN R(4) % 8 = 0 THEN repeat(md5(@s::text || @g::text), (80 + R(4) % 200)::int)"
                            + " ELSE 'p' || @g END", true)),
                    true, 15),
            new Spec(PARTS, List.of(
                    col("grp", "(R(1) % 10)::int"),
                    col("v", "CASE R(2) % 6 WHEN 0 THEN NULL ELSE 'part ' || R(2) END"),
                    col("f8", "CASE R(3) % 50 WHEN 0 THEN 'NaN'::float8 ELSE R(3) / 9.0::float8 END")),
                    false, 20));

    private static Col col(String sql, String expr) {
        return new Col(sql, expr, false);
    }

    private final long seed;

    public MixedWorkload(long seed) {
        this.seed = seed;
    }

    static String quote(String ident) {
        return '"' + ident.replace("\"", "\"\"") + '"';
    }

    /** Creates the five tables, the enum and the bookkeeping table. Run once per database. */
    public static void create(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TYPE e2e_mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic')");
            st.execute("CREATE TYPE e2e_tag AS ENUM ('plain', 'with,comma', 'q\"uote', '{brace}', 'NULL')");
            st.execute("CREATE TABLE e2e_scalars (id bigint PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 float4,"
                    + " f8 float8, n numeric(12,3), nn numeric(10,2), t text, vc varchar(40), ch char(6), by bytea,"
                    + " u uuid, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval)");
            st.execute("CREATE TABLE e2e_docs (id bigint PRIMARY KEY, j json, jb jsonb, ia int4[], ta text[],"
                    + " m e2e_mood, ip inet, net cidr, tags e2e_tag[], big text)");
            // out of line and uncompressed, so an update that does not touch it sends it as unchanged TOAST
            st.execute("ALTER TABLE e2e_docs ALTER COLUMN big SET STORAGE EXTERNAL");
            st.execute("CREATE TABLE \"E2e Mixed\" (id bigint PRIMARY KEY, \"Amount\" numeric(10,2),"
                    + " \"Note\" varchar(100), created timestamptz)");
            st.execute("CREATE TABLE e2e_full (id bigint PRIMARY KEY, v text, n int, at timestamp, payload text)");
            st.execute("ALTER TABLE e2e_full ALTER COLUMN payload SET STORAGE EXTERNAL");
            st.execute("ALTER TABLE e2e_full REPLICA IDENTITY FULL");
            st.execute("CREATE TABLE e2e_parts (id bigint PRIMARY KEY, grp int, v text, f8 float8)"
                    + " PARTITION BY HASH (id)");
            for (int i = 0; i < 3; i++) {
                st.execute("CREATE TABLE e2e_parts_" + i + " PARTITION OF e2e_parts FOR VALUES WITH (MODULUS 3,"
                        + " REMAINDER " + i + ")");
            }
            st.execute("CREATE TABLE " + COUNTS_TABLE + " (tbl text PRIMARY KEY, seeded bigint NOT NULL DEFAULT 0,"
                    + " inserts bigint NOT NULL DEFAULT 0, updates bigint NOT NULL DEFAULT 0,"
                    + " deletes bigint NOT NULL DEFAULT 0, truncates bigint NOT NULL DEFAULT 0,"
                    + " next_id bigint NOT NULL DEFAULT 1)");
            for (TableId t : TABLES) {
                st.execute("INSERT INTO " + COUNTS_TABLE + " (tbl) VALUES ('" + t.toString().replace("'", "''") + "')");
            }
            // the next transaction number of the generator
            st.execute("INSERT INTO " + COUNTS_TABLE + " (tbl, next_id) VALUES ('#txn', 0)");
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Inserts {@code rowsPerTable} rows into each table (before a snapshot) and records them as seeded. */
    public void seed(Connection c, int rowsPerTable) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            for (Spec spec : SPECS) {
                long from = nextIds(c).get(spec.id());
                StringJoiner cols = new StringJoiner(", ");
                StringJoiner vals = new StringJoiner(", ");
                for (Col col : spec.cols()) {
                    cols.add(col.sql());
                    vals.add(expr(col, Math.floorMod(seed, 1_000_000L), "g"));
                }
                st.execute("INSERT INTO " + spec.quoted() + " (id, " + cols + ") SELECT g, " + vals
                        + " FROM generate_series(" + from + ", " + (from + rowsPerTable - 1) + ") g");
                st.execute("UPDATE " + COUNTS_TABLE + " SET seeded = seeded + " + rowsPerTable + ", next_id = "
                        + (from + rowsPerTable) + " WHERE tbl = '" + spec.id().toString().replace("'", "''") + "'");
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** The counts committed so far, per table. */
    public static Map<TableId, Counts> counts(Connection c) throws SQLException {
        Map<TableId, Counts> out = new LinkedHashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT tbl, seeded, inserts, updates, deletes, truncates FROM " + COUNTS_TABLE)) {
            Map<String, Counts> byName = new HashMap<>();
            while (rs.next()) {
                byName.put(rs.getString(1), new Counts(rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getLong(6)));
            }
            for (TableId t : TABLES) {
                out.put(t, byName.get(t.toString()));
            }
        }
        return out;
    }

    /** Total changes committed so far over all tables. */
    public static long totalChanges(Connection c) throws SQLException {
        return counts(c).values().stream().mapToLong(Counts::changes).sum();
    }

    private static Map<TableId, Long> nextIds(Connection c) throws SQLException {
        Map<TableId, Long> out = new HashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT tbl, next_id FROM " + COUNTS_TABLE)) {
            Map<String, Long> byName = new HashMap<>();
            while (rs.next()) {
                byName.put(rs.getString(1), rs.getLong(2));
            }
            for (TableId t : TABLES) {
                out.put(t, byName.get(t.toString()));
            }
            out.put(null, byName.get("#txn"));
        }
        return out;
    }

    /**
     * Runs transactions until at least {@code changes} more changes (history rows) are committed; returns how many
     * were made. Each transaction's changes and the new counts commit together, so an interrupted run (an exception,
     * a killed JVM) leaves counts that describe exactly the committed data; the next run continues with the next
     * transaction number.
     */
    public long run(Connection c, long changes) throws SQLException {
        return run(c, changes, true);
    }

    /**
     * As {@link #run(Connection, long)}; {@code truncates = false} turns the rare TRUNCATE into an insert. Use it while
     * a snapshot copies the tables: TRUNCATE is not MVCC-safe, so a copy that reaches the table after a TRUNCATE
     * committed sees it empty even on its older snapshot (PostgreSQL documents this), and the seeded rows never reach
     * history. The same seed and flag give the same changes.
     */
    public long run(Connection c, long changes, boolean truncates) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        long made = 0;
        try {
            while (made < changes) {
                made += transaction(c, truncates);
            }
        } finally {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the transaction was committed, or the connection is gone
            }
            c.setAutoCommit(auto);
        }
        return made;
    }

    /** One transaction of 1 to ~200 statements; returns the changes it committed. */
    private long transaction(Connection c, boolean truncates) throws SQLException {
        Map<TableId, Long> next = nextIds(c);
        long txn = next.get(null);
        Random r = new Random(seed * 1_000_003L + txn);
        int size = r.nextInt(100) < 70 ? 1 + r.nextInt(3) : r.nextInt(100) < 85 ? 5 + r.nextInt(20) : 60 + r.nextInt(150);
        Map<TableId, long[]> delta = new HashMap<>(); // inserts, updates, deletes, truncates
        long made = 0;
        try {
            for (int i = 0; i < size; i++) {
                Spec spec = pick(r);
                long[] d = delta.computeIfAbsent(spec.id(), k -> new long[4]);
                made += step(c, r, spec, next, d, truncates);
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + COUNTS_TABLE + " SET inserts = inserts + ?,"
                    + " updates = updates + ?, deletes = deletes + ?, truncates = truncates + ?, next_id = ?"
                    + " WHERE tbl = ?")) {
                for (TableId t : TABLES) {
                    long[] d = delta.getOrDefault(t, new long[4]);
                    for (int k = 0; k < 4; k++) {
                        ps.setLong(k + 1, d[k]);
                    }
                    ps.setLong(5, next.get(t));
                    ps.setString(6, t.toString());
                    ps.addBatch();
                }
                ps.setLong(1, 0);
                ps.setLong(2, 0);
                ps.setLong(3, 0);
                ps.setLong(4, 0);
                ps.setLong(5, txn + 1);
                ps.setString(6, "#txn");
                ps.addBatch();
                ps.executeBatch();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
        return made;
    }

    private static Spec pick(Random r) {
        int total = SPECS.stream().mapToInt(Spec::weight).sum();
        int x = r.nextInt(total);
        for (Spec s : SPECS) {
            x -= s.weight();
            if (x < 0) {
                return s;
            }
        }
        throw new AssertionError();
    }

    private static int rows(Random r) {
        int p = r.nextInt(100);
        return p < 30 ? 1 : p < 70 ? 2 + r.nextInt(19) : 20 + r.nextInt(81);
    }

    /** One statement; adds to {@code d} (I, U, D, T) and returns the history rows it produces. */
    private long step(Connection c, Random r, Spec spec, Map<TableId, Long> next, long[] d, boolean truncates)
            throws SQLException {
        long nextId = next.get(spec.id());
        int p = r.nextInt(1000);
        long salt = r.nextInt(1_000_000);
        if (truncates && spec.id().equals(MIXED_CASE) && p < 2) {
            try (Statement st = c.createStatement()) {
                st.execute("TRUNCATE " + spec.quoted());
            }
            d[3]++;
            return 1;
        }
        if (p < 400 || nextId <= 1) {
            int n = rows(r);
            StringJoiner cols = new StringJoiner(", ");
            StringJoiner vals = new StringJoiner(", ");
            for (Col col : spec.cols()) {
                cols.add(col.sql());
                vals.add(expr(col, salt, "g"));
            }
            try (Statement st = c.createStatement()) {
                int k = st.executeUpdate("INSERT INTO " + spec.quoted() + " (id, " + cols + ") SELECT g, " + vals
                        + " FROM generate_series(" + nextId + ", " + (nextId + n - 1) + ") g");
                next.put(spec.id(), nextId + n);
                d[0] += k;
                return k;
            }
        }
        if (spec.keyChanges() && p < 430) {
            // The key changes: pgoutput sends the old key (under FULL the whole old row, whose primary key the
            // source compares), the sink writes a delete of it and the new row.
            long old = 1 + (long) (r.nextDouble() * (nextId - 1));
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + spec.quoted() + " SET id = ? WHERE id = ?")) {
                ps.setLong(1, nextId);
                ps.setLong(2, old);
                int k = ps.executeUpdate();
                next.put(spec.id(), nextId + 1);
                d[1] += k;
                d[2] += k;
                return 2L * k;
            }
        }
        Long[] ids = new Long[rows(r)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + (long) (r.nextDouble() * (nextId - 1));
        }
        Array arr = c.createArrayOf("bigint", ids);
        if (p < 850) {
            StringJoiner set = new StringJoiner(", ");
            for (Col col : spec.cols()) {
                boolean touch = col.rarelyUpdated() ? r.nextInt(10) == 0 : r.nextInt(10) < 4;
                if (touch) {
                    set.add(col.sql() + " = " + expr(col, salt, "id"));
                }
            }
            if (set.length() == 0) {
                Col first = spec.cols().get(0);
                set.add(first.sql() + " = " + expr(first, salt, "id"));
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + spec.quoted() + " SET " + set
                    + " WHERE id = ANY(?)")) {
                ps.setArray(1, arr);
                int k = ps.executeUpdate();
                d[1] += k;
                return k;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + spec.quoted() + " WHERE id = ANY(?)")) {
            ps.setArray(1, arr);
            int k = ps.executeUpdate();
            d[2] += k;
            return k;
        }
    }

    /** The column's expression with the salt filled in; {@code R(k)} is a per-column pseudo-random bigint >= 0;
     * {@code @g} is the row id ({@code row}), {@code @s} the salt. */
    private static String expr(Col col, long salt, String row) {
        String e = col.expr().replace("@s", "(" + salt + "::bigint)");
        e = e.replaceAll("R\\((\\d+)\\)", "((@g::bigint * (7919 + 104729 * $1) + " + salt + " * $1 + 17) % 1000003)");
        return e.replace("@g", row);
    }

    /** True if the workload changes primary keys of {@code t} (a key change: one update and one delete counted). */
    static boolean changesKeys(TableId t) {
        return SPECS.stream().anyMatch(s -> s.id().equals(t) && s.keyChanges());
    }

    /** For reports: the SQL of every table's columns. */
    static List<String> columnsOf(TableId t) {
        List<String> out = new ArrayList<>();
        for (Spec s : SPECS) {
            if (s.id().equals(t)) {
                s.cols().forEach(c -> out.add(c.sql()));
            }
        }
        return out;
    }
}
