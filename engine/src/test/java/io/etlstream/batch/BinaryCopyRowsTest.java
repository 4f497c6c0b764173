package io.etlstream.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import io.etlstream.source.pg.types.PgType;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.junit.jupiter.api.Test;

/**
 * {@link ChangeBatchBuilder#appendBinaryCopyRow} (binary COPY fields written straight into the vectors) gives exactly
 * the batches of the tuple path (the same fields as tuples through {@link ChangeBatchBuilder#appendSnapshotRow}), value by
 * value, for every type it writes itself and those it hands to the column's writer: nulls, ±infinity, NaN, numerics
 * past a long, values long enough to grow the buffers, batches cut by rows and by bytes, and both paths mixed in
 * one batch.
 */
class BinaryCopyRowsTest {

    private static final int NUMERIC_12_2 = ((12 << 16) | 2) + 4;
    private static final int NUMERIC_38_10 = ((38 << 16) | 10) + 4;

    private static final List<RelationColumn> COLUMNS = List.of(new RelationColumn(true, "id", PgType.INT8, -1),
            new RelationColumn(false, "b", PgType.BOOL, -1), new RelationColumn(false, "i2", PgType.INT2, -1),
            new RelationColumn(false, "i4", PgType.INT4, -1), new RelationColumn(false, "f4", PgType.FLOAT4, -1),
            new RelationColumn(false, "f8", PgType.FLOAT8, -1), new RelationColumn(false, "tm", PgType.TIME, -1),
            new RelationColumn(false, "ts", PgType.TIMESTAMP, -1),
            new RelationColumn(false, "tstz", PgType.TIMESTAMPTZ, -1), new RelationColumn(false, "d", PgType.DATE, -1),
            new RelationColumn(false, "u", PgType.UUID, -1), new RelationColumn(false, "t", PgType.TEXT, -1),
            new RelationColumn(false, "vc", PgType.VARCHAR, 104), new RelationColumn(false, "by", PgType.BYTEA, -1),
            new RelationColumn(false, "js", PgType.JSON, -1), new RelationColumn(false, "jb", PgType.JSONB, -1),
            new RelationColumn(false, "n", PgType.NUMERIC, NUMERIC_12_2),
            new RelationColumn(false, "nbig", PgType.NUMERIC, NUMERIC_38_10),
            new RelationColumn(false, "iv", PgType.INTERVAL, -1), new RelationColumn(false, "tz", PgType.TIMETZ, -1),
            new RelationColumn(false, "arr", PgType.arrayOf(PgType.INT4), -1));
    /** The array column arrives as its output function's text, as the snapshot selects it. */
    private static final boolean[] TEXT_COLUMNS = new boolean[COLUMNS.size()];

    static {
        TEXT_COLUMNS[COLUMNS.size() - 1] = true;
    }

    private static final TableSchema SCHEMA = new TableSchema(new TableId("public", "all_types"), 1, 'd', COLUMNS, 0);

    @Test
    void directRowsEqualTupleRowsForEveryType() throws IOException {
        List<byte[]> messages = messages(new Random(42), 3000);
        BatchLimits limits = new BatchLimits(700, 256 * 1024); // cut by rows and, with the long values, by bytes
        List<String> tuple = copy(messages, limits, 0);
        List<String> direct = copy(messages, limits, -1);
        List<String> mixed = copy(messages, limits, 37);
        assertThat(direct).hasSize(3000 + batchCount(direct));
        assertThat(batchCount(direct)).isGreaterThan(4);
        assertThat(direct).containsExactlyElementsOf(tuple);
        assertThat(mixed).containsExactlyElementsOf(tuple);
        // spelled-out values, so that two equally wrong paths cannot pass
        assertThat(direct.get(1)).startsWith("id=0, b=");
        assertThat(direct).anyMatch(r -> r.contains("ts=null") && r.contains("ts__special=1"));
        assertThat(direct).anyMatch(r -> r.contains("d=null") && r.contains("d__special=2"));
        assertThat(direct).anyMatch(r -> r.contains("n=null") && r.contains("n__special=3"));
        assertThat(direct).anyMatch(r -> r.contains("nbig=1234567890123456789012345678.0123456789"));
        assertThat(direct).anyMatch(r -> r.contains("f8=NaN"));
        assertThat(direct).anyMatch(r -> r.contains("tstz=" + (PG_EPOCH_MICROS + 1) + ","));
    }

    @Test
    void aFieldPastTheEndOfItsMessageIsRefused() throws IOException {
        byte[] msg = messages(new Random(1), 1).get(0);
        byte[] cut = Arrays.copyOf(msg, msg.length - 5); // header, then the row less its last bytes
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, BatchLimits.DEFAULT)) {
            b.startBinaryCopy(TEXT_COLUMNS, 1, 2);
            assertThatThrownBy(() -> direct(b, cut, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past the end");
        }
    }

    @Test
    void truncateRowsBetweenDirectRowsKeepTheirValues() throws IOException {
        List<byte[]> messages = messages(new Random(7), 400);
        List<String> direct = withTruncates(messages, true);
        List<String> tuple = withTruncates(messages, false);
        assertThat(direct).containsExactlyElementsOf(tuple);
        assertThat(direct.stream().filter(r -> r.contains("_op=T")).count()).isGreaterThan(50);
        assertThat(direct.stream().filter(r -> r.contains("_op=I")).count()).isEqualTo(400);
        assertThat(direct.get(1)).startsWith("id=0, b=");
    }

    /**
     * The messages as snapshot rows (direct or by the tuple path) in one batch whose vectors start small, with
     * TRUNCATE rows among them: a TRUNCATE that grows a vector must not leave the direct writer its old buffers.
     */
    private static List<String> withTruncates(List<byte[]> messages, boolean direct) {
        List<String> out = new ArrayList<>();
        Random place = new Random(3);
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, new BatchLimits(100_000, 1L << 30))) {
            b.initialCapacity(16);
            b.startBinaryCopy(TEXT_COLUMNS, 77, 88);
            int seq = 0;
            for (int i = 0; i < messages.size(); i++) {
                if (direct) {
                    direct(b, messages.get(i), i == 0);
                } else {
                    tuple(b, messages.get(i), i == 0);
                }
                if (place.nextInt(4) == 0) {
                    b.appendTruncate(99, 100, seq++);
                }
            }
            try (ChangeBatch batch = b.seal(false)) {
                var root = batch.root();
                out.add("batch of " + batch.rowCount() + " rows");
                for (int r = 0; r < root.getRowCount(); r++) {
                    List<String> values = new ArrayList<>();
                    for (FieldVector v : root.getFieldVectors()) {
                        Object o = v.getObject(r);
                        values.add(v.getName() + "=" + (o instanceof byte[] bytes2 ? Arrays.toString(bytes2) : o));
                    }
                    out.add(String.join(", ", values));
                }
            }
        }
        return out;
    }

    private static int batchCount(List<String> rows) {
        return (int) rows.stream().filter(r -> r.startsWith("batch")).count();
    }

    /**
     * The messages through one builder: every row by the tuple path ({@code every} 0), every row direct (-1), or
     * every {@code every}-th row by the tuple path and the rest direct. Returns one line per batch and per row.
     */
    private static List<String> copy(List<byte[]> messages, BatchLimits limits, int every) {
        List<String> out = new ArrayList<>();
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, limits)) {
            b.initialCapacity(16); // the first batch grows its vectors row by row
            b.startBinaryCopy(TEXT_COLUMNS, 77, 88);
            int[] row = {0};
            for (byte[] msg : messages) {
                if (every == 0 || every > 0 && row[0] % every == 0) {
                    tuple(b, msg, row[0] == 0);
                } else {
                    direct(b, msg, row[0] == 0);
                }
                row[0]++;
                if (b.isFull()) {
                    drain(b, out);
                }
            }
            drain(b, out);
        }
        return out;
    }

    private static void drain(ChangeBatchBuilder b, List<String> out) {
        long bytes = b.approximateBytes();
        try (ChangeBatch batch = b.sealCopy()) {
            if (batch == null) {
                return;
            }
            var root = batch.root();
            out.add("batch of " + batch.rowCount() + " rows, ~" + bytes + " bytes, " + root.getSchema());
            for (int r = 0; r < root.getRowCount(); r++) {
                List<String> values = new ArrayList<>();
                for (FieldVector v : root.getFieldVectors()) {
                    Object o = v.getObject(r);
                    values.add(v.getName() + "=" + (o instanceof byte[] bytes2 ? Arrays.toString(bytes2) : o));
                }
                out.add(String.join(", ", values));
            }
        }
    }

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

    /** The row of one message (after the header on the first), straight into the vectors; the trailer adds none. */
    private static void direct(ChangeBatchBuilder b, byte[] msg, boolean first) {
        int p = first ? SIGNATURE.length + 8 : 0;
        if (int16(msg, p) == -1) {
            return;
        }
        assertThat(int16(msg, p)).isEqualTo(COLUMNS.size());
        assertThat(b.appendBinaryCopyRow(msg, p + 2, msg.length)).isEqualTo(msg.length);
    }

    /** The row of one message as a tuple of its fields (binary, or text for the text columns), by the tuple path. */
    private static void tuple(ChangeBatchBuilder b, byte[] msg, boolean first) {
        int p = first ? SIGNATURE.length + 8 : 0;
        if (int16(msg, p) == -1) {
            return;
        }
        p += 2;
        int n = COLUMNS.size();
        byte[] kinds = new byte[n];
        int[] offsets = new int[n];
        int[] lengths = new int[n];
        for (int c = 0; c < n; c++) {
            int len = java.nio.ByteBuffer.wrap(msg, p, 4).getInt();
            p += 4;
            kinds[c] = len < 0 ? TupleData.NULL : TEXT_COLUMNS[c] ? TupleData.TEXT : TupleData.BINARY;
            offsets[c] = p;
            lengths[c] = Math.max(0, len);
            p += Math.max(0, len);
        }
        assertThat(p).isEqualTo(msg.length);
        b.appendSnapshotRow(new TupleData(kinds, offsets, lengths, msg), 77, 88);
    }

    private static int int16(byte[] msg, int p) {
        return (short) ((msg[p] << 8) | (msg[p + 1] & 0xff));
    }

    /** Binary COPY as the server sends it: the header with the first row, one row per message, the trailer last. */
    private static List<byte[]> messages(Random rnd, int rows) throws IOException {
        List<byte[]> msgs = new ArrayList<>();
        for (int row = 0; row < rows; row++) {
            int g = row;
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(buf);
            if (g == 0) {
                out.write(SIGNATURE);
                out.writeInt(0);
                out.writeInt(0);
            }
            out.writeShort(COLUMNS.size());
            field(out, 8, o -> o.writeLong(g));
            nullable(rnd, out, 1, o -> o.writeByte(rnd.nextBoolean() ? 1 : 0));
            nullable(rnd, out, 2, o -> o.writeShort(rnd.nextInt()));
            nullable(rnd, out, 4, o -> o.writeInt(rnd.nextInt()));
            nullable(rnd, out, 4, o -> o.writeInt(Float.floatToRawIntBits(pick(rnd, rnd.nextFloat() * 1e6f,
                    Float.NaN, Float.POSITIVE_INFINITY, -0.0f))));
            nullable(rnd, out, 8, o -> o.writeLong(Double.doubleToRawLongBits(pick(rnd, rnd.nextGaussian() * 1e12,
                    Double.NaN, Double.NEGATIVE_INFINITY, Double.MIN_VALUE))));
            nullable(rnd, out, 8, o -> o.writeLong(Math.floorMod(rnd.nextLong(), 86_400_000_000L)));
            nullable(rnd, out, 8, o -> o.writeLong(pick(rnd, rnd.nextLong() >> 8, Long.MAX_VALUE, Long.MIN_VALUE, 1L)));
            if (g == 5) {
                field(out, 8, o -> o.writeLong(1L));
            } else {
                nullable(rnd, out, 8, o -> o.writeLong(pick(rnd, rnd.nextLong() >> 8, Long.MAX_VALUE, Long.MIN_VALUE,
                        -PG_EPOCH_MICROS)));
            }
            nullable(rnd, out, 4, o -> o.writeInt(pick(rnd, rnd.nextInt(2_000_000) - 1_000_000, Integer.MAX_VALUE,
                    Integer.MIN_VALUE, 0)));
            nullable(rnd, out, 16, o -> {
                byte[] u = new byte[16];
                rnd.nextBytes(u);
                o.write(u);
            });
            text(rnd, out, "tëxt ", 400);
            text(rnd, out, "v", 100);
            if (rnd.nextInt(10) == 0) {
                out.writeInt(-1);
            } else {
                byte[] by = new byte[rnd.nextInt(5000)]; // some values far beyond the batch's value density
                rnd.nextBytes(by);
                out.writeInt(by.length);
                out.write(by);
            }
            text(rnd, out, "{\"k\": ", 30);
            if (rnd.nextInt(10) == 0) {
                out.writeInt(-1);
            } else {
                byte[] js = ("{\"a\": " + rnd.nextInt() + "}").getBytes(StandardCharsets.UTF_8);
                out.writeInt(js.length + 1);
                out.writeByte(1);
                out.write(js);
            }
            numeric(rnd, out, g == 3 ? null : BigDecimal.valueOf(rnd.nextLong() % 10_000_000_000L, 2), 2, g != 3);
            numeric(rnd, out, g == 7 ? new BigDecimal("1234567890123456789012345678.0123456789")
                    : BigDecimal.valueOf(rnd.nextLong(), 10), 10, g != 7);
            nullable(rnd, out, 16, o -> {
                o.writeLong(rnd.nextInt(1_000_000_000));
                o.writeInt(rnd.nextInt(1000) - 500);
                o.writeInt(rnd.nextInt(100));
            });
            nullable(rnd, out, 12, o -> {
                o.writeLong(Math.floorMod(rnd.nextLong(), 86_400_000_000L));
                o.writeInt(rnd.nextInt(100_800) - 50_400);
            });
            if (rnd.nextInt(10) == 0) {
                out.writeInt(-1);
            } else {
                byte[] arr = ("{1,NULL," + "3,".repeat(rnd.nextInt(20)) + "4}").getBytes(StandardCharsets.UTF_8);
                out.writeInt(arr.length);
                out.write(arr);
            }
            msgs.add(buf.toByteArray());
        }
        msgs.add(new byte[] {(byte) 0xff, (byte) 0xff});
        return msgs;
    }

    @SafeVarargs
    private static <T> T pick(Random rnd, T usual, T... rare) {
        int k = rnd.nextInt(20);
        return k < rare.length ? rare[k] : usual;
    }

    private interface Writer {
        void write(DataOutputStream o) throws IOException;
    }

    private static void field(DataOutputStream out, int len, Writer w) throws IOException {
        out.writeInt(len);
        int before = out.size();
        w.write(out);
        assertThat(out.size() - before).isEqualTo(len);
    }

    private static void nullable(Random rnd, DataOutputStream out, int len, Writer w) throws IOException {
        if (rnd.nextInt(10) == 0) {
            out.writeInt(-1);
        } else {
            field(out, len, w);
        }
    }

    private static void text(Random rnd, DataOutputStream out, String prefix, int maxRepeat) throws IOException {
        if (rnd.nextInt(10) == 0) {
            out.writeInt(-1);
            return;
        }
        byte[] t = (prefix + "x".repeat(rnd.nextInt(maxRepeat))).getBytes(StandardCharsets.UTF_8);
        out.writeInt(t.length);
        out.write(t);
    }

    /** numeric's send format: base-10000 digits, weight, sign, display scale; null here means NaN. */
    private static void numeric(Random rnd, DataOutputStream out, BigDecimal v, int scale, boolean mayBeNull)
            throws IOException {
        if (mayBeNull && rnd.nextInt(10) == 0) {
            out.writeInt(-1);
            return;
        }
        if (v == null) {
            out.writeInt(8);
            out.writeShort(0);
            out.writeShort(0);
            out.writeShort(0xC000);
            out.writeShort(0);
            return;
        }
        BigDecimal a = v.abs().setScale(scale);
        String plain = a.toPlainString();
        int dot = plain.indexOf('.');
        String intPart = dot < 0 ? plain : plain.substring(0, dot);
        String frac = dot < 0 ? "" : plain.substring(dot + 1);
        intPart = "0".repeat((4 - intPart.length() % 4) % 4) + intPart;
        frac = frac + "0".repeat((4 - frac.length() % 4) % 4);
        List<Integer> groups = new ArrayList<>();
        for (int i = 0; i < intPart.length(); i += 4) {
            groups.add(Integer.parseInt(intPart.substring(i, i + 4)));
        }
        int weight = groups.size() - 1;
        for (int i = 0; i < frac.length(); i += 4) {
            groups.add(Integer.parseInt(frac.substring(i, i + 4)));
        }
        while (!groups.isEmpty() && groups.get(0) == 0) {
            groups.remove(0);
            weight--;
        }
        while (!groups.isEmpty() && groups.get(groups.size() - 1) == 0) {
            groups.remove(groups.size() - 1);
        }
        if (groups.isEmpty()) {
            weight = 0;
        }
        out.writeInt(8 + 2 * groups.size());
        out.writeShort(groups.size());
        out.writeShort(weight);
        out.writeShort(v.signum() < 0 ? 0x4000 : 0);
        out.writeShort(scale);
        for (int d : groups) {
            out.writeShort(d);
        }
    }
}
