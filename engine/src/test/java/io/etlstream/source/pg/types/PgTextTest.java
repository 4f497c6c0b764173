package io.etlstream.source.pg.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/** Text parsers on hand-written PostgreSQL output; the live round trip is {@link TypeRoundTripTest}. */
class PgTextTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static long parseLong(String s) {
        return PgText.parseLong(b(s), 0, b(s).length);
    }

    @Test
    void integersParseFromBytesIncludingTheExtremes() {
        assertThat(parseLong("0")).isZero();
        assertThat(parseLong("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(parseLong("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> parseLong("9223372036854775808")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parseLong("12a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parseLong("")).isInstanceOf(IllegalArgumentException.class);
        // The value itself never reaches the message (it could be a secret).
        assertThatThrownBy(() -> parseLong("secret1x")).hasMessageNotContaining("secret1x");
    }

    @Test
    void epochDaysAgreeWithJavaTime() {
        for (String d : new String[] {"1970-01-01", "2000-02-29", "1900-03-01", "0001-01-01", "-0043-03-15",
                "9999-12-31", "+10000-01-01"}) {
            LocalDate ld = LocalDate.parse(d);
            assertThat(PgText.epochDay(ld.getYear(), ld.getMonthValue(), ld.getDayOfMonth())).as(d)
                    .isEqualTo(ld.toEpochDay());
        }
        assertThat(PgText.parseDate(b("0044-03-15 BC"), 0, 13)).isEqualTo(LocalDate.of(-43, 3, 15).toEpochDay());
        assertThat(PgText.parseDate(b("10000-01-01"), 0, 11)).isEqualTo(LocalDate.of(10000, 1, 1).toEpochDay());
    }

    @Test
    void timestamptzUsesThePrintedOffset() {
        byte[] a = b("2024-01-01 05:30:00+05:30");
        byte[] z = b("2024-01-01 00:00:00+00");
        byte[] w = b("2023-12-31 20:29:50-03:30:10");
        long utc = PgText.parseTimestampTz(z, 0, z.length);
        assertThat(PgText.parseTimestampTz(a, 0, a.length)).isEqualTo(utc);
        assertThat(PgText.parseTimestampTz(w, 0, w.length)).isEqualTo(utc);
    }

    @Test
    void timestampsPastArrowsRangeAreRefusedNotWrapped() {
        byte[] last = b("294247-01-10 04:00:54.775807");
        assertThat(PgText.parseTimestamp(last, 0, last.length)).isEqualTo(Long.MAX_VALUE);
        byte[] max = b("294276-12-31 23:59:59.999999");
        assertThatThrownBy(() -> PgText.parseTimestamp(max, 0, max.length)).hasMessageContaining("294247");
        byte[] maxTz = b("294276-12-31 23:59:59.999999+00");
        assertThatThrownBy(() -> PgText.parseTimestampTz(maxTz, 0, maxTz.length)).hasMessageContaining("294247");
    }

    @Test
    void intervalsInPostgresAndIsoStyle() {
        PgText.Interval out = new PgText.Interval();
        byte[] pg = b("-1 years +2 mons -3 days +04:05:06.5");
        PgText.parseInterval(pg, 0, pg.length, out);
        assertThat(out.months).isEqualTo(-10);
        assertThat(out.days).isEqualTo(-3);
        assertThat(out.nanos).isEqualTo(14_706_500_000_000L);
        byte[] iso = b("P-1Y2M-3DT4H5M6.5S");
        PgText.parseInterval(iso, 0, iso.length, out);
        assertThat(out.months).isEqualTo(-10);
        assertThat(out.days).isEqualTo(-3);
        assertThat(out.nanos).isEqualTo(14_706_500_000_000L);
        byte[] sql = b("1-2 3 4:05:06");
        assertThatThrownBy(() -> PgText.parseInterval(sql, 0, sql.length, out))
                .hasMessageContaining("IntervalStyle=postgres");
    }

    @Test
    void byteaInHexAndEscapeOutput() {
        byte[][] holder = new byte[1][];
        byte[] hex = b("\\xdeadBEEF");
        int n = PgText.parseBytea(hex, 0, hex.length, holder);
        assertThat(java.util.Arrays.copyOf(holder[0], n)).containsExactly(0xde, 0xad, 0xbe, 0xef);
        byte[] esc = b("a\\\\b\\000\\377");
        n = PgText.parseBytea(esc, 0, esc.length, holder);
        assertThat(java.util.Arrays.copyOf(holder[0], n)).containsExactly('a', '\\', 'b', 0, 0xff);
    }

    @Test
    void mappingsAndTheLosslessFlag() {
        assertThat(ColumnMapping.isLosslessMapping(PgType.TIMESTAMPTZ)).isTrue();
        assertThat(ColumnMapping.isLosslessMapping(PgType.INT4_ARRAY)).isTrue();
        assertThat(ColumnMapping.isLosslessMapping(600)).isFalse(); // point
        assertThat(ColumnMapping.isLosslessMapping(3904)).isFalse(); // int4range
        assertThat(ColumnMapping.isLosslessMapping(16_400, 'e')).isTrue(); // an enum
        assertThat(ColumnMapping.isLosslessMapping(16_400, 'c')).isFalse(); // a composite
        // numeric(10,2): typmod = (10 << 16 | 2) + 4
        assertThat(ColumnMapping.of(PgType.NUMERIC, (10 << 16 | 2) + 4).field("n").getType().toString())
                .isEqualTo("Decimal(10, 2, 128)");
        assertThat(ColumnMapping.of(PgType.NUMERIC, (10 << 16 | 2) + 4).hasSpecialValues()).isTrue();
        assertThat(ColumnMapping.of(PgType.NUMERIC, -1).field("n").getType().toString()).isEqualTo("Utf8");
        assertThat(ColumnMapping.of(PgType.NUMERIC, (60 << 16) + 4).field("n").getType().toString()).isEqualTo("Utf8");
        assertThat(ColumnMapping.of(PgType.NUMERIC, -1).hasSpecialValues()).isFalse();
        assertThat(ColumnMapping.of(600, -1).field("p").getMetadata()).containsEntry(ColumnMapping.META_TYPE_OID, "600");
    }

    @Test
    void multiDimensionalArraysAreRejectedWithAnExplanation() {
        try (var alloc = new org.apache.arrow.memory.RootAllocator()) {
            ColumnMapping m = ColumnMapping.of(PgType.INT4_ARRAY, -1);
            try (var v = m.field("xs").createVector(alloc)) {
                ValueWriter w = m.writer(v, null);
                byte[] ok = b("{1,2}");
                w.write(0, ok, 0, ok.length);
                byte[] twoD = b("{{1,2},{3,4}}");
                assertThatThrownBy(() -> w.write(1, twoD, 0, twoD.length)).hasMessageContaining("one-dimensional");
                byte[] bounds = b("[0:1]={1,2}");
                assertThatThrownBy(() -> w.write(1, bounds, 0, bounds.length)).hasMessageContaining("bounds");
            }
        }
    }
}
