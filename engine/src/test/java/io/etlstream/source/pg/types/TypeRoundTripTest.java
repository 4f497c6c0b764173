package io.etlstream.source.pg.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TransactionAssembler;
import io.etlstream.source.pg.pgoutput.PgOutputDecoder;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.IntervalMonthDayNanoVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.holders.NullableIntervalMonthDayNanoHolder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.postgresql.util.PGInterval;

/**
 * Every mapped type through a real pgoutput slot into Arrow, compared value by value with what plain JDBC reads
 * from the table. The decoding session runs in zones other than the JVM's, so timestamptz must be read with the
 * offset the server prints.
 */
@ExtendWith(io.etlstream.testkit.pg.PostgresExtension.class)
public class TypeRoundTripTest {

    public static final String TABLE = "CREATE TABLE rt (id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 float4,"
            + " f8 float8, n numeric(12,3), nu numeric, nbig numeric(38,0), t text, vc varchar(20), c char(5),"
            + " by bytea, u uuid, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval, j json,"
            + " jb jsonb, ia int4[], ta text[], fa float8[], na numeric[], da date[], tsa timestamptz[], ba bool[],"
            + " ua uuid[], iva interval[], mood rt_mood, ip inet, cn cidr, pt point, r int4range)";

    public static final List<String> ROWS = List.of(
            "(1, true, 12, 123456, 1234567890123, 1.5, 3.141592653589793, 12345.678, 0.1000000000000000000001,"
                    + " 12345678901234567890123456789012345678, 'héllo wörld ✓ 😀', 'varchar', 'ab',"
                    + " '\\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29', '13:14:15.123456',"
                    + " '13:14:15+05:30', '2024-02-29 13:14:15.654321', '2024-02-29 13:14:15.5+02',"
                    + " '1 year 2 mons 3 days 04:05:06.789', '{\"a\": [1, 2]}', '{\"b\": {\"c\": null}}',"
                    + " '{1,NULL,3}', '{\"a,b\",NULL,\"q\\\"uote\",\"\",\"NULL\",back\\\\slash}', '{1.5,NaN,-Infinity}',"
                    + " '{1.50,NaN}', '{2024-01-01,infinity}', '{\"2024-01-01 00:00:00+00\",-infinity}', '{t,f,NULL}',"
                    + " '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{\"1 day\",\"-00:00:01\"}', 'ünï',"
                    + " '192.168.0.1/24', '10.0.0.0/8', '(1.5,2)', '[1,10)')",
            "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
                    + " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
                    + " NULL, NULL, NULL)",
            "(3, false, -32768, -2147483648, -9223372036854775808, 'NaN', 'Infinity', 'NaN', 'NaN', -1,"
                    + " repeat(md5('x'), 4000), '', '     ', '\\x', '00000000-0000-0000-0000-000000000000',"
                    + " 'infinity', '00:00:00', '00:00:00-12:34:56', 'infinity', '-infinity',"
                    + " '-1 years -2 mons +3 days -04:05:06', '[]', '{}', '{}', '{}', '{Infinity,-0}', '{}', '{}', '{}',"
                    + " '{}', '{}', '{}', 'sad', '::1', '2001:db8::/32', '(0,0)', 'empty')",
            "(4, true, 32767, 2147483647, 9223372036854775807, '-Infinity', '-Infinity', -999999999.999, '-Infinity',"
                    + " 99999999999999999999999999999999999999, 'tab\tnew\nline \\ back', 'x', 'abcde',"
                    + " decode(repeat('ab', 3000), 'hex'), 'ffffffff-ffff-ffff-ffff-ffffffffffff', '-infinity',"
                    + " '24:00:00', '23:59:59.999999+14', '-infinity', 'infinity', '-00:00:00.000001', 'null',"
                    + " '[1, \"x\", 2.50]', NULL, '{NULL}', NULL, '{-1.0e-7}', '{0044-03-15 BC}', NULL, NULL, NULL,"
                    + " NULL, 'happy', NULL, NULL, NULL, NULL)",
            "(5, false, 0, 0, 0, 1.17549435e-38, 2.2250738585072014e-308, -0.001, -123456789.000000000001,"
                    + " 0, 'x', NULL, NULL, NULL, NULL, '0044-03-15 BC', '00:00:00.000001', '12:00:00-07',"
                    + " '0044-03-15 12:00:00 BC', '1900-01-01 00:00:00+00:19:32', '100 years 11 mons 30 days 2500:00:00',"
                    + " NULL, NULL, '{-5}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void everyTypeArrivesExactly(PgDatabase db) throws Exception {
        db.execute("CREATE TYPE rt_mood AS ENUM ('sad', 'happy', 'ünï')", TABLE,
                "CREATE PUBLICATION rt_pub FOR TABLE rt",
                "SELECT pg_create_logical_replication_slot('rt_slot', 'pgoutput')");
        try {
            for (String row : ROWS) {
                db.execute("INSERT INTO rt VALUES " + row);
            }
            if (db.major() >= 17) {
                db.execute("INSERT INTO rt (id, iv, iva) VALUES (6, 'infinity', '{-infinity,\"1 day\"}'),"
                        + " (7, '-infinity', NULL)");
            }
            for (String zone : List.of("Asia/Kolkata", "America/St_Johns")) {
                Map<Integer, Map<String, Object>> expected = expected(db, zone);
                Map<Integer, Map<String, Object>> actual = decoded(db, zone);
                // A few values spelled out, so that a comparison of two wrong sides cannot pass.
                assertThat(actual.get(1).get("tstz")).isEqualTo(Instant.parse("2024-02-29T11:14:15.500Z"));
                assertThat(actual.get(1).get("n")).isEqualTo(new BigDecimal("12345.678"));
                assertThat(actual.get(1).get("nu")).isEqualTo("0.1000000000000000000001");
                assertThat(actual.get(1).get("t")).isEqualTo("héllo wörld ✓ 😀");
                assertThat(actual.get(1).get("ta")).isEqualTo(java.util.Arrays.asList("a,b", null, "q\"uote", "",
                        "NULL", "back\\slash"));
                assertThat(actual.get(1).get("ttz")).isEqualTo(47_655_000_000L + "us " + 19_800 + "s");
                assertThat(actual.get(1).get("iv")).isEqualTo("14m 3d " + 14_706_789_000_000L + "ns");
                assertThat(actual.get(2).values().stream().filter(java.util.Objects::nonNull)).hasSize(1);
                assertThat(actual.get(3).get("f4")).isEqualTo(Float.NaN);
                assertThat(actual.get(3).get("n")).isEqualTo("NAN");
                assertThat(actual.get(3).get("d")).isEqualTo("POSITIVE_INFINITY");
                assertThat(actual.get(3).get("tstz")).isEqualTo("NEGATIVE_INFINITY");
                assertThat((String) actual.get(3).get("t")).hasSize(128_000);
                assertThat(actual.get(3).get("i8")).isEqualTo(Long.MIN_VALUE);
                assertThat(actual.get(4).get("nu")).isEqualTo("-Infinity");
                assertThat(actual.get(4).get("tm")).isEqualTo(86_400_000_000L);
                assertThat(actual.get(5).get("ts")).isEqualTo(LocalDateTime.of(-43, 3, 15, 12, 0));
                assertThat(actual.get(5).get("tstz")).isEqualTo(Instant.parse("1899-12-31T23:40:28Z"));
                if (db.major() >= 17) {
                    assertThat(actual.get(6).get("iv")).isEqualTo("POSITIVE_INFINITY");
                    assertThat(actual.get(7).get("iv")).isEqualTo("NEGATIVE_INFINITY");
                    assertThat(actual.get(6).get("iva")).isEqualTo(List.of("-infinity", "1 day"));
                }
                assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
                Map<Integer, Map<String, Object>> copied = copied(db, zone);
                assertThat(copied.keySet()).containsExactlyElementsOf(expected.keySet());
                for (Integer id : expected.keySet()) {
                    for (String col : expected.get(id).keySet()) {
                        assertThat(actual.get(id).get(col)).as("row %s column %s (session zone %s)", id, col, zone)
                                .isEqualTo(expected.get(id).get(col));
                        assertThat(copied.get(id).get(col)).as("snapshot row %s column %s (zone %s)", id, col, zone)
                                .isEqualTo(expected.get(id).get(col));
                    }
                }
            }
        } finally {
            db.execute("SELECT pg_drop_replication_slot('rt_slot')");
        }
    }

    /** The values as plain JDBC reads them, normalised to comparable Java values. */
    private static Map<Integer, Map<String, Object>> expected(PgDatabase db, String zone) throws SQLException {
        Map<Integer, Map<String, Object>> out = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SET TimeZone = '" + zone + "'");
            try (ResultSet rs = st.executeQuery("SELECT * FROM rt ORDER BY id")) {
                ResultSetMetaData md = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        String col = md.getColumnName(i);
                        row.put(col, rs.getObject(i) == null ? null : expectedValue(rs, i, col));
                    }
                    out.put(rs.getInt("id"), row);
                }
            }
        }
        return out;
    }

    private static Object expectedValue(ResultSet rs, int i, String col) throws SQLException {
        String s = rs.getString(i);
        switch (col) {
            case "b":
                return rs.getBoolean(i);
            case "id":
            case "i2":
            case "i4":
            case "i8":
                return rs.getLong(i);
            case "f4":
                return rs.getFloat(i);
            case "f8":
                return rs.getDouble(i);
            case "n":
            case "nbig":
                return special(s) != null ? special(s) : rs.getBigDecimal(i);
            case "by":
                return HexFormat.of().formatHex(rs.getBytes(i));
            case "u":
                return rs.getObject(i, UUID.class);
            case "d":
                return special(s) != null ? special(s) : rs.getObject(i, LocalDate.class);
            case "tm":
                return "24:00:00".equals(s) ? 86_400_000_000L : rs.getObject(i, LocalTime.class).toNanoOfDay() / 1000;
            case "ttz":
                return offsetTime(s);
            case "ts":
                return special(s) != null ? special(s) : rs.getObject(i, LocalDateTime.class);
            case "tstz":
                // Parsed independently of the decoder: java.time from the ISO text the session prints.
                return special(s) != null ? special(s) : java.time.OffsetDateTime.parse(isoTz(s)).toInstant();
            case "iv": {
                if (special(s) != null) {
                    return special(s);
                }
                PGInterval iv = (PGInterval) rs.getObject(i);
                long micros = ((iv.getHours() * 60L + iv.getMinutes()) * 60 + iv.getWholeSeconds()) * 1_000_000L
                        + iv.getMicroSeconds();
                return (iv.getYears() * 12 + iv.getMonths()) + "m " + iv.getDays() + "d " + micros * 1000 + "ns";
            }
            default:
                if (col.endsWith("a")) {
                    return arrayElements(rs.getArray(i), col);
                }
                return s;
        }
    }

    private static String isoTz(String pgText) {
        // "2024-02-29 13:14:15.5+02" → "2024-02-29T13:14:15.5+02:00"
        String t = pgText.replace(' ', 'T');
        int sign = Math.max(t.lastIndexOf('+'), t.lastIndexOf('-'));
        String off = t.substring(sign);
        if (off.length() == 3) {
            off += ":00";
        }
        return t.substring(0, sign) + off;
    }

    private static Object offsetTime(String s) {
        int sign = Math.max(s.lastIndexOf('+'), s.lastIndexOf('-'));
        String off = s.substring(sign);
        String[] p = off.substring(1).split(":");
        int secs = Integer.parseInt(p[0]) * 3600 + (p.length > 1 ? Integer.parseInt(p[1]) * 60 : 0)
                + (p.length > 2 ? Integer.parseInt(p[2]) : 0);
        LocalTime t = LocalTime.parse(s.substring(0, sign));
        return t.toNanoOfDay() / 1000 + "us " + (off.charAt(0) == '-' ? -secs : secs) + "s";
    }

    private static String special(String s) {
        return switch (s) {
            case "NaN" -> "NAN";
            case "Infinity", "infinity" -> "POSITIVE_INFINITY";
            case "-Infinity", "-infinity" -> "NEGATIVE_INFINITY";
            default -> null;
        };
    }

    private static List<Object> arrayElements(Array a, String col) throws SQLException {
        List<Object> out = new ArrayList<>();
        try (ResultSet rs = a.getResultSet()) {
            while (rs.next()) {
                String s = rs.getString(2);
                if (s == null) {
                    out.add(null);
                    continue;
                }
                out.add(switch (col) {
                    case "ia" -> (Object) Long.valueOf(s);
                    case "fa" -> (Object) Double.valueOf(s);
                    case "ba" -> (Object) Boolean.valueOf(rs.getBoolean(2));
                    case "ua" -> (Object) UUID.fromString(s);
                    default -> s;
                });
            }
        }
        return out;
    }

    /** The rows as the decoder and Arrow writers produce them from the slot, normalised the same way. */
    private static Map<Integer, Map<String, Object>> decoded(PgDatabase db, String zone) throws SQLException {
        Map<Integer, Map<String, Object>> out = new LinkedHashMap<>();
        try (RootAllocator alloc = new RootAllocator(); Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SET TimeZone = '" + zone + "'");
            List<ChangeEvent> events = new ArrayList<>();
            PgOutputDecoder d = new PgOutputDecoder();
            try (TransactionAssembler a = new TransactionAssembler(alloc, BatchLimits.DEFAULT, events::add);
                    ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_peek_binary_changes('rt_slot',"
                            + " NULL, NULL, 'proto_version', '1', 'publication_names', 'rt_pub')")) {
                while (rs.next()) {
                    a.accept(d.decode(ByteBuffer.wrap(rs.getBytes(1))));
                }
            }
            for (ChangeEvent e : events) {
                if (e instanceof ChangeBatch b) {
                    try (b) {
                        int n = b.schema().columnCount();
                        for (int r = 0; r < b.rowCount(); r++) {
                            Map<String, Object> row = new LinkedHashMap<>();
                            for (int col = 0; col < n; col++) {
                                String name = b.schema().columns().get(col).name();
                                row.put(name, actualValue(b, col, name, r));
                            }
                            out.put(((IntVector) b.root().getVector("id")).get(r), row);
                        }
                    }
                }
            }
            assertThat(alloc.getAllocatedMemory()).isZero();
        }
        return out;
    }

    /** The rows as the snapshot path reads them: COPY text → {@link CopyText} → the same Arrow writers. */
    private static Map<Integer, Map<String, Object>> copied(PgDatabase db, String zone) throws Exception {
        Map<Integer, Map<String, Object>> out = new LinkedHashMap<>();
        List<io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn> cols = new ArrayList<>();
        java.io.ByteArrayOutputStream copy = new java.io.ByteArrayOutputStream();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SET TimeZone = '" + zone + "'");
            try (ResultSet rs = st.executeQuery("SELECT attname, atttypid, atttypmod, attnum = 1 FROM pg_attribute"
                    + " WHERE attrelid = 'rt'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
                while (rs.next()) {
                    cols.add(new io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn(rs.getBoolean(4),
                            rs.getString(1), rs.getInt(2), rs.getInt(3)));
                }
            }
            new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
                    .copyOut("COPY rt TO STDOUT", copy);
        }
        io.etlstream.batch.TableSchema schema = new io.etlstream.batch.TableSchema(
                new io.etlstream.batch.TableId("public", "rt"), 0, 'd', cols, 1);
        byte[] bytes = copy.toByteArray();
        try (RootAllocator alloc = new RootAllocator();
                io.etlstream.batch.ChangeBatchBuilder builder = new io.etlstream.batch.ChangeBatchBuilder(schema, alloc,
                        BatchLimits.DEFAULT)) {
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    builder.appendSnapshotRow(CopyText.parseRow(bytes, start, i - start, cols.size()), 1, 0);
                    start = i + 1;
                }
            }
            try (ChangeBatch b = builder.seal(true)) {
                for (int r = 0; r < b.rowCount(); r++) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int col = 0; col < cols.size(); col++) {
                        row.put(cols.get(col).name(), actualValue(b, col, cols.get(col).name(), r));
                    }
                    out.put(((IntVector) b.root().getVector("id")).get(r), row);
                }
            }
        }
        return new java.util.TreeMap<>(out);
    }

    private static Object actualValue(ChangeBatch b, int col, String name, int r) {
        FieldVector v = b.root().getVector(col);
        FieldVector sv = b.specialValues(col);
        if (sv != null && !sv.isNull(r)) {
            assertThat(v.isNull(r)).isTrue();
            return SpecialValue.ofCode(((TinyIntVector) sv).get(r)).name();
        }
        if (v.isNull(r)) {
            return null;
        }
        if (v instanceof BitVector x) {
            return x.get(r) == 1;
        }
        if (v instanceof SmallIntVector x) {
            return (long) x.get(r);
        }
        if (v instanceof IntVector x) {
            return (long) x.get(r);
        }
        if (v instanceof BigIntVector x) {
            return x.get(r);
        }
        if (v instanceof Float4Vector x) {
            return x.get(r);
        }
        if (v instanceof Float8Vector x) {
            return x.get(r);
        }
        if (v instanceof DecimalVector x) {
            return x.getObject(r);
        }
        if (v instanceof VarCharVector x) {
            return new String(x.get(r), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (v instanceof VarBinaryVector x) {
            return HexFormat.of().formatHex(x.get(r));
        }
        if (v instanceof FixedSizeBinaryVector x) {
            ByteBuffer bb = ByteBuffer.wrap(x.get(r));
            return new UUID(bb.getLong(), bb.getLong());
        }
        if (v instanceof DateDayVector x) {
            return LocalDate.ofEpochDay(x.get(r));
        }
        if (v instanceof TimeMicroVector x) {
            return x.get(r);
        }
        if (v instanceof StructVector x) {
            return ((TimeMicroVector) x.getChild(ColumnMapping.TIMETZ_TIME)).get(r) + "us "
                    + ((IntVector) x.getChild(ColumnMapping.TIMETZ_OFFSET)).get(r) + "s";
        }
        if (v instanceof TimeStampMicroTZVector x) {
            long us = x.get(r);
            return Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1000);
        }
        if (v instanceof TimeStampMicroVector x) {
            long us = x.get(r);
            return LocalDateTime.ofEpochSecond(Math.floorDiv(us, 1_000_000L), (int) Math.floorMod(us, 1_000_000L) * 1000,
                    ZoneOffset.UTC);
        }
        if (v instanceof IntervalMonthDayNanoVector x) {
            NullableIntervalMonthDayNanoHolder h = new NullableIntervalMonthDayNanoHolder();
            x.get(r, h);
            return h.months + "m " + h.days + "d " + h.nanoseconds + "ns";
        }
        if (v instanceof ListVector x) {
            List<Object> out = new ArrayList<>();
            FieldVector data = (FieldVector) x.getDataVector();
            int start = x.getElementStartIndex(r);
            int end = x.getElementEndIndex(r);
            for (int k = start; k < end; k++) {
                out.add(element(data, k));
            }
            return out;
        }
        throw new AssertionError("unexpected vector " + v.getClass());
    }

    private static Object element(FieldVector data, int k) {
        if (data.isNull(k)) {
            return null;
        }
        if (data instanceof IntVector x) {
            return (long) x.get(k);
        }
        if (data instanceof Float8Vector x) {
            return x.get(k);
        }
        if (data instanceof BitVector x) {
            return x.get(k) == 1;
        }
        if (data instanceof VarCharVector x) {
            return new String(x.get(k), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (data instanceof FixedSizeBinaryVector x) {
            ByteBuffer bb = ByteBuffer.wrap(x.get(k));
            return new UUID(bb.getLong(), bb.getLong());
        }
        if (data instanceof IntervalMonthDayNanoVector x) {
            NullableIntervalMonthDayNanoHolder h = new NullableIntervalMonthDayNanoHolder();
            x.get(k, h);
            return h.months + "m " + h.days + "d " + h.nanoseconds + "ns";
        }
        throw new AssertionError("unexpected element vector " + data.getClass());
    }
}
