package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RowConverterTest {

    static final TableId ID = new TableId("public", "orders");
    final BufferAllocator alloc = new RootAllocator();

    @AfterEach
    void close() {
        alloc.close();
    }

    record Row(long id, String note, BigDecimal amount, String doc, String op, long lsn, int seq, List<Integer> toast) {}

    static TableSchema schema() {
        return new TableSchema(ID, 1, 'd', List.of(new RelationColumn(true, "id", 20, -1),
                new RelationColumn(false, "note", 25, -1),
                new RelationColumn(false, "amount", 1700, ((10 << 16) | 2) + 4),
                new RelationColumn(false, "doc", 3802, -1)), 1);
    }

    ChangeBatch batch(List<Row> rows) {
        BigIntVector id = new BigIntVector("id", alloc);
        VarCharVector note = new VarCharVector("note", alloc);
        DecimalVector amount = new DecimalVector("amount", alloc, 10, 2);
        VarCharVector doc = new VarCharVector("doc", alloc);
        VarCharVector op = new VarCharVector(ChangeBatch.OP, alloc);
        BigIntVector lsn = new BigIntVector(ChangeBatch.COMMIT_LSN, alloc);
        TimeStampMicroTZVector ts = new TimeStampMicroTZVector(ChangeBatch.COMMIT_TS, alloc, "UTC");
        IntVector seq = new IntVector(ChangeBatch.SEQ, alloc);
        ListVector toast = ListVector.empty(ChangeBatch.UNCHANGED_TOAST, alloc);
        toast.addOrGetVector(FieldType.nullable(new ArrowType.Int(32, true)));
        UnionListWriter w = toast.getWriter();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            id.setSafe(i, r.id());
            if (r.note() != null) {
                note.setSafe(i, r.note().getBytes(StandardCharsets.UTF_8));
            } else {
                note.setNull(i);
            }
            if (r.amount() != null) {
                amount.setSafe(i, r.amount());
            } else {
                amount.setNull(i);
            }
            if (r.doc() != null) {
                doc.setSafe(i, r.doc().getBytes(StandardCharsets.UTF_8));
            } else {
                doc.setNull(i);
            }
            op.setSafe(i, r.op().getBytes(StandardCharsets.UTF_8));
            lsn.setSafe(i, r.lsn());
            ts.setSafe(i, 1_700_000_000_123_456L);
            seq.setSafe(i, r.seq());
            w.setPosition(i);
            if (r.toast() != null) {
                w.startList();
                for (int t : r.toast()) {
                    w.writeInt(t);
                }
                w.endList();
            }
        }
        w.setValueCount(rows.size());
        List<FieldVector> vs = List.of(id, note, amount, doc, op, lsn, ts, seq, toast);
        for (FieldVector v : vs) {
            v.setValueCount(rows.size());
        }
        VectorSchemaRoot root = new VectorSchemaRoot(new ArrayList<>(vs));
        root.setRowCount(rows.size());
        return new ChangeBatch(schema(), root, rows.get(0).lsn(), rows.get(rows.size() - 1).lsn(), true);
    }

    RowConverter converter(ValuePolicy p) {
        DestinationTables t = DestinationTables.of(ID, "DB", "S");
        return new RowConverter(t, TableLayout.initial(schema()), p);
    }

    @Test
    void typedValuesMetadataAndToastMarks() {
        try (ChangeBatch b = batch(List.of(
                new Row(1, "hello", new BigDecimal("12.34"), "{\"a\": [1, 2]}", "I", 100, 0, null),
                new Row(1, null, new BigDecimal("1.00"), null, "U", 200, 3, List.of(1, 3))))) {
            List<RowConverter.NulledValue> nulled = new ArrayList<>();
            Instant now = Instant.parse("2026-01-01T00:00:00Z");
            RowConverter.Rows rows = converter(ValuePolicy.STOP_TABLE).convert(b, null, now, nulled::add);
            assertThat(rows.rows()).hasSize(2);
            Map<String, Object> r0 = rows.rows().get(0);
            assertThat(r0).containsEntry("ID", 1L).containsEntry("NOTE", "hello")
                    .containsEntry("AMOUNT", new BigDecimal("12.34")).containsEntry("DOC", "{\"a\": [1, 2]}")
                    .containsEntry("_ETL_OP", "I").containsEntry("_ETL_LSN", "100").containsEntry("_ETL_SEQ", 0)
                    .containsEntry("_ETL_SYNCED_AT", OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC))
                    .doesNotContainKey("_ETL_TOAST");
            assertThat(r0.get("_ETL_COMMIT_TS")).isEqualTo(
                    Instant.ofEpochSecond(1_700_000_000L, 123_456_000L).atOffset(ZoneOffset.UTC));
            Map<String, Object> r1 = rows.rows().get(1);
            assertThat(r1).doesNotContainKey("NOTE").doesNotContainKey("DOC").containsEntry("_ETL_TOAST", ",2,4,");
            assertThat(rows.lastLsn()).isEqualTo(200);
            assertThat(rows.lastSeq()).isEqualTo(3);
            assertThat(nulled).isEmpty();
        }
    }

    @Test
    void rowsAtOrBelowTheCommittedTokenAreSkipped() {
        try (ChangeBatch b = batch(List.of(new Row(1, "a", null, null, "I", 100, 0, null),
                new Row(2, "b", null, null, "I", 100, 1, null), new Row(3, "c", null, null, "I", 100, 2, null)))) {
            RowConverter.Rows rows = converter(ValuePolicy.STOP_TABLE)
                    .convert(b, OffsetToken.partial(100, 1), Instant.now(), v -> {});
            assertThat(rows.skipped()).isEqualTo(2);
            assertThat(rows.rows()).extracting(r -> r.get("ID")).containsExactly(3L);
        }
    }

    @Test
    void oversizeValuesStopTheTableOrBecomeNullWithAnEvent() {
        String huge = "x".repeat(SnowflakeType.MAX_VARCHAR_BYTES + 1);
        try (ChangeBatch b = batch(List.of(new Row(7, huge, null, null, "I", 300, 5, null)))) {
            assertThatThrownBy(() -> converter(ValuePolicy.STOP_TABLE).convert(b, null, Instant.now(), v -> {}))
                    .isInstanceOf(UnrepresentableValueException.class)
                    .hasMessageContaining("public.orders.note").hasMessageContaining("resync");
            List<RowConverter.NulledValue> nulled = new ArrayList<>();
            RowConverter.Rows rows = converter(ValuePolicy.NULL_AND_EVENT).convert(b, null, Instant.now(), nulled::add);
            assertThat(rows.rows().get(0)).doesNotContainKey("NOTE").containsEntry("ID", 7L);
            assertThat(nulled).singleElement().satisfies(n -> {
                assertThat(n.column()).isEqualTo("note");
                assertThat(n.lsn()).isEqualTo(300);
                assertThat(n.seq()).isEqualTo(5);
            });
        }
    }

    @Test
    void numbersAreNeverRounded() {
        SnowflakeType t = SnowflakeType.number(10, 2);
        assertThat(RowConverter.fits(new BigDecimal("12345678.90"), t)).isEqualByComparingTo("12345678.9");
        assertThat(RowConverter.fits(new BigDecimal("1.2000"), t)).isEqualByComparingTo("1.2");
        assertThatThrownBy(() -> RowConverter.fits(new BigDecimal("1.234"), t)).hasMessageContaining("without rounding");
        assertThatThrownBy(() -> RowConverter.fits(new BigDecimal("123456789.1"), t)).hasMessageContaining("NUMBER(10,2)");
    }

    @Test
    void isoIntervals() {
        assertThat(IsoInterval.format(14, 3, 4 * 3_600_000_000_000L + 5 * 60_000_000_000L + 6_500_000_000L))
                .isEqualTo("P1Y2M3DT4H5M6.5S");
        assertThat(IsoInterval.format(0, 0, 0)).isEqualTo("PT0S");
        assertThat(IsoInterval.format(-1, -2, -1_000_000_000L)).isEqualTo("P-1M-2DT-1S");
    }

    /** Snowflake's DATE and TIMESTAMP hold the years 1 to 9999 (the SDK refuses the rest): beyond goes to the policy. */
    @Test
    void datesAndTimestampsOutsideYearsOneToNineThousandNineHundredNinetyNineAreRefusedNotSent() throws Exception {
        long first = java.time.LocalDateTime.of(1, 1, 1, 0, 0).toEpochSecond(java.time.ZoneOffset.UTC) * 1_000_000L;
        long afterLast = java.time.LocalDateTime.of(10000, 1, 1, 0, 0).toEpochSecond(java.time.ZoneOffset.UTC)
                * 1_000_000L;
        try (org.apache.arrow.vector.TimeStampMicroVector ntz = new org.apache.arrow.vector.TimeStampMicroVector("ts",
                        alloc);
                TimeStampMicroTZVector tz = new TimeStampMicroTZVector("tstz", alloc, "UTC");
                org.apache.arrow.vector.DateDayVector date = new org.apache.arrow.vector.DateDayVector("d", alloc)) {
            long[] micros = {first, first - 1, afterLast - 1, afterLast};
            for (int i = 0; i < micros.length; i++) {
                ntz.setSafe(i, micros[i]);
                tz.setSafe(i, micros[i]);
                date.setSafe(i, (int) Math.floorDiv(micros[i], 86_400_000_000L));
            }
            RowConverter.Reader[] readers = {
                RowConverter.reader(ntz, column("ts", SnowflakeType.withPrecision(SnowflakeType.Kind.TIMESTAMP_NTZ, 6))),
                RowConverter.reader(tz, column("tstz", SnowflakeType.withPrecision(SnowflakeType.Kind.TIMESTAMP_TZ, 6))),
                RowConverter.reader(date, column("d", SnowflakeType.of(SnowflakeType.Kind.DATE)))};
            for (RowConverter.Reader r : readers) {
                assertThat(r.read(0).toString()).startsWith("0001-01-01");
                assertThatThrownBy(() -> r.read(1)).isInstanceOf(RowConverter.ValueTooLarge.class)
                        .hasMessageContaining("0000-12-31").hasMessageContaining("years 1 to 9999");
                assertThat(r.read(2).toString()).startsWith("9999-12-31");
                assertThatThrownBy(() -> r.read(3)).isInstanceOf(RowConverter.ValueTooLarge.class)
                        .hasMessageContaining("+10000-01-01");
            }
        }
    }

    static DestColumn column(String name, SnowflakeType type) {
        return new DestColumn(1, name, SnowflakeName.fromPostgres(name), type, false, false);
    }

    @Test
    void anArrayOverSnowflakesSizeLimitFollowsThePolicyInsteadOfReachingTheSdk() {
        byte[] mib = "a".repeat(1024 * 1024).getBytes(StandardCharsets.UTF_8);
        byte[] ok = "ok".getBytes(StandardCharsets.UTF_8);
        try (ListVector list = ListVector.empty("tags", alloc);
                org.apache.arrow.memory.ArrowBuf big = alloc.buffer(mib.length);
                org.apache.arrow.memory.ArrowBuf small = alloc.buffer(ok.length)) {
            list.addOrGetVector(FieldType.nullable(ArrowType.Utf8.INSTANCE));
            big.setBytes(0, mib);
            small.setBytes(0, ok);
            UnionListWriter w = list.getWriter();
            w.setPosition(0);
            w.startList();
            w.writeVarChar(0, ok.length, small);
            w.endList();
            w.setPosition(1);
            w.startList();
            for (int i = 0; i < 17; i++) {
                w.writeVarChar(0, mib.length, big);
            }
            w.endList();
            list.setValueCount(2);
            RowConverter.Reader r = RowConverter.reader(list, column("tags", SnowflakeType.of(SnowflakeType.Kind.ARRAY)));
            assertThat(r.read(0)).isEqualTo(List.of("ok"));
            assertThatThrownBy(() -> r.read(1)).isInstanceOf(RowConverter.ValueTooLarge.class)
                    .hasMessageContaining(Long.toString(17L * mib.length)).hasMessageContaining("ARRAY");
        }
    }
}
