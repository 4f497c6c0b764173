package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeBatchBuilder;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.types.PgType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The JVM side of the snapshot without PostgreSQL or the driver: the server's responses to the binary COPYs of the
 * {@link SnapshotBench} table (1M rows, 10 columns, one CopyData message per row as the server sends them, 12 ranges
 * with header and trailer, CopyOutResponse to ReadyForQuery) read by {@link CopyOutReader} from memory into
 * {@link ChangeBatchBuilder} batches, as the snapshot does. Prints this thread's CPU seconds
 * per pass: the first pass of the JVM is cold (interpreter, C1, C2 compiling on the same cores), later ones warm.
 * {@code ./mvnw -B -o -pl engine -am test -Pbench -Dtest=SnapshotDecodeBench -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("bench")
class SnapshotDecodeBench {

    private static final int ROWS = 1_000_000;
    private static final int RANGES = 12;

    @Test
    void decodeBinaryCopyIntoArrow() throws Exception {
        List<RelationColumn> cols = List.of(new RelationColumn(true, "id", PgType.INT8, -1),
                new RelationColumn(false, "a", PgType.INT4, -1), new RelationColumn(false, "b", PgType.INT8, -1),
                new RelationColumn(false, "c", PgType.TEXT, -1), new RelationColumn(false, "d", PgType.TEXT, -1),
                new RelationColumn(false, "e", PgType.NUMERIC, ((12 << 16) | 2) + 4),
                new RelationColumn(false, "f", PgType.TIMESTAMPTZ, -1), new RelationColumn(false, "g", PgType.BOOL, -1),
                new RelationColumn(false, "h", PgType.FLOAT8, -1), new RelationColumn(false, "i", PgType.UUID, -1));
        TableSchema schema = new TableSchema(new TableId("public", "bench_t"), 1, 'd', cols, 0);
        List<byte[]> ranges = responses();
        var threads = ManagementFactory.getThreadMXBean();
        int passes = Integer.getInteger("bench.passes", 4);
        boolean[] text = new boolean[cols.size()];
        for (int pass = 0; pass < passes; pass++) {
            long cpu0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            long rows = 0;
            try (RootAllocator alloc = new RootAllocator();
                    ChangeBatchBuilder builder = new ChangeBatchBuilder(schema, alloc, BatchLimits.DEFAULT)) {
                builder.initialCapacity(BatchLimits.DEFAULT.maxRows());
                for (byte[] range : ranges) {
                    CopyOutReader reader = new CopyOutReader(new ByteArrayInputStream(range),
                            CopyOutReader.DEFAULT_BUFFER, Long.MAX_VALUE);
                    reader.begin(builder, true, text, 42, 4242);
                    while (reader.next()) {
                        try (ChangeBatch b = builder.seal(false)) {
                            rows += b.rowCount();
                        }
                    }
                    assertThat(reader.clean()).isTrue();
                    try (ChangeBatch b = builder.seal(false)) {
                        rows += b == null ? 0 : b.rowCount();
                    }
                }
            }
            assertThat(rows).isEqualTo(ROWS);
            System.out.printf(Locale.ROOT, "[bench] decode pass %d (%s): %.2f s CPU, %.2f s wall, %.0f ns/row%n", pass,
                    pass == 0 ? "cold" : "warm", (threads.getCurrentThreadCpuTime() - cpu0) / 1e9,
                    (System.nanoTime() - t0) / 1e9, (threads.getCurrentThreadCpuTime() - cpu0) / (double) ROWS);
        }
    }

    /**
     * Per range, the server's whole response: CopyOutResponse, one CopyData per row (the header with the first, the
     * trailer alone), CopyDone, CommandComplete, ReadyForQuery.
     */
    private static List<byte[]> responses() throws IOException {
        List<byte[]> ranges = new ArrayList<>();
        int per = ROWS / RANGES + 1;
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        DataOutputStream out = new DataOutputStream(buf);
        ByteArrayOutputStream range = null;
        int inRange = 0;
        for (int g = 1; g <= ROWS; g++) {
            if (range == null) {
                range = new ByteArrayOutputStream(16 << 20);
                DataOutputStream r = new DataOutputStream(range);
                r.writeByte('H');
                r.writeInt(4 + 1 + 2 + 2 * 10);
                r.writeByte(1);
                r.writeShort(10);
                for (int c = 0; c < 10; c++) {
                    r.writeShort(1);
                }
                out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0});
                out.writeInt(0);
                out.writeInt(0);
                inRange = 0;
            }
            out.writeShort(10);
            long8(out, g);
            out.writeInt(4);
            out.writeInt(g % 1000);
            long8(out, g * 7L);
            text(out, String.format(Locale.ROOT, "%032x", (long) g * 2654435761L));
            text(out, "row " + g);
            // numeric(12,2) g / 100.0: base-10000 digits of g * 100 / 100 -> integer part g/100, fraction g%100
            int intPart = g / 100;
            int frac = g % 100;
            List<Short> digits = new ArrayList<>();
            int weight = -1;
            if (intPart > 0) {
                int w = intPart >= 10_000 ? 1 : 0;
                if (w == 1) {
                    digits.add((short) (intPart / 10_000));
                }
                digits.add((short) (intPart % 10_000));
                weight = w;
            }
            if (frac != 0) {
                digits.add((short) (frac * 100));
            }
            out.writeInt(8 + 2 * digits.size());
            out.writeShort(digits.size());
            out.writeShort(digits.isEmpty() ? 0 : weight);
            out.writeShort(0);
            out.writeShort(2);
            for (short d : digits) {
                out.writeShort(d);
            }
            long8(out, 757_382_400_000_000L + g * 1_000_000L);
            out.writeInt(1);
            out.writeByte(g % 2 == 0 ? 1 : 0);
            out.writeInt(8);
            out.writeLong(Double.doubleToLongBits(g * 0.5));
            out.writeInt(16);
            out.writeLong(g * 0x9E3779B97F4A7C15L);
            out.writeLong(g);
            copyData(range, buf);
            inRange++;
            if (g % per == 0 || g == ROWS) {
                out.writeShort(-1);
                copyData(range, buf);
                DataOutputStream r = new DataOutputStream(range);
                r.writeByte('c');
                r.writeInt(4);
                byte[] tag = ("COPY " + inRange).getBytes(StandardCharsets.US_ASCII);
                r.writeByte('C');
                r.writeInt(4 + tag.length + 1);
                r.write(tag);
                r.writeByte(0);
                r.writeByte('Z');
                r.writeInt(5);
                r.writeByte('T');
                ranges.add(range.toByteArray());
                range = null;
            }
        }
        return ranges;
    }

    /** {@code payload} as one CopyData message, then empties it. */
    private static void copyData(ByteArrayOutputStream to, ByteArrayOutputStream payload) throws IOException {
        DataOutputStream d = new DataOutputStream(to);
        d.writeByte('d');
        d.writeInt(4 + payload.size());
        payload.writeTo(to);
        payload.reset();
    }

    private static void long8(DataOutputStream out, long v) throws IOException {
        out.writeInt(8);
        out.writeLong(v);
    }

    private static void text(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }
}
