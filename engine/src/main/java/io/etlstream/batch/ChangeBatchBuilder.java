package io.etlstream.batch;

import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import io.etlstream.source.pg.types.BinaryRowWriter;
import io.etlstream.source.pg.types.ColumnMapping;
import io.etlstream.source.pg.types.ValueWriter;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Appends rows of one table (from pgoutput tuples or snapshot text columns) into an Arrow record batch until a row
 * or byte bound, then {@link #seal seals} it into a {@link ChangeBatch}. Vectors come from the given (bounded)
 * allocator, so memory is capped by it; the builder itself never holds more than one open batch.
 *
 * <p>Column layout: the table's columns in order, then {@code _op, _commit_lsn, _commit_ts, _seq,
 * _unchanged_toast}, then one {@code <column>__special} int8 column per numeric/date/timestamp column (see
 * {@link io.etlstream.source.pg.types.SpecialValue}). One thread uses a builder.
 */
public final class ChangeBatchBuilder implements AutoCloseable {

    private static final byte[] OP_INSERT = {ChangeBatch.INSERT};
    private static final byte[] OP_UPDATE = {ChangeBatch.UPDATE};
    private static final byte[] OP_DELETE = {ChangeBatch.DELETE};
    private static final byte[] OP_TRUNCATE = {ChangeBatch.TRUNCATE};
    /** Rough fixed cost of one row beyond its value bytes (validity bits, offsets, metadata columns). */
    private static final int ROW_OVERHEAD = 48;

    private final TableSchema schema;
    private final BufferAllocator allocator;
    private final int maxRows;
    private final long maxBytes;
    private final boolean trackXids;
    private final Schema arrowSchema;
    private final List<ColumnMapping> mappings;
    private final int[] specialIndex; // per source column: index of its companion vector, or -1

    private VectorSchemaRoot root;
    private ValueWriter[] writers;
    private boolean[] binaryCopyText; // per column: arrives as text in the binary COPY rows (startBinaryCopy)
    private BinaryRowWriter direct; // for the open batch, made at its first binary COPY row
    private VarCharVector opVector;
    private BigIntVector lsnVector;
    private TimeStampMicroTZVector tsVector;
    private IntVector seqVector;
    private ListVector toastVector;
    private boolean toastMarked; // the open batch has a row with _unchanged_toast entries
    private IntVector xidVector; // rows' (sub)transaction, only when tracking for streamed transactions
    private int initialCapacity = 256;
    private double[] densities; // per vector of the root: value bytes per row of the last sealed batch (0: unknown)
    private int metaWritten; // rows whose metadata columns are written; snapshot rows get theirs when sealed
    private long snapshotLsn;
    private long snapshotMicros;
    private long copyLsn; // of the binary COPY rows, from startBinaryCopy
    private long copyMicros;
    private int rows;
    private int truncates; // TRUNCATE rows of the open batch
    private long approxBytes;
    private long firstLsn;
    private long lastLsn;

    /** A builder for plain batches. */
    public ChangeBatchBuilder(TableSchema schema, BufferAllocator allocator, BatchLimits limits) {
        this(schema, allocator, limits, false);
    }

    ChangeBatchBuilder(TableSchema schema, BufferAllocator allocator, BatchLimits limits, boolean trackXids) {
        this.schema = schema;
        this.allocator = allocator;
        this.maxRows = limits.maxRows();
        this.maxBytes = limits.maxBytes();
        this.trackXids = trackXids;
        this.mappings = new ArrayList<>();
        List<Field> fields = new ArrayList<>();
        List<Field> specials = new ArrayList<>();
        int n = schema.columnCount();
        this.specialIndex = new int[n];
        for (int i = 0; i < n; i++) {
            RelationColumn c = schema.columns().get(i);
            ColumnMapping m = ColumnMapping.of(c.typeOid(), c.typeModifier());
            mappings.add(m);
            fields.add(m.field(c.name()));
            if (m.hasSpecialValues()) {
                specialIndex[i] = n + ChangeBatch.METADATA_COLUMNS + specials.size();
                specials.add(ColumnMapping.specialField(c.name()));
            } else {
                specialIndex[i] = -1;
            }
        }
        fields.add(new Field(ChangeBatch.OP, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null));
        fields.add(new Field(ChangeBatch.COMMIT_LSN, FieldType.notNullable(new ArrowType.Int(64, true)), null));
        fields.add(new Field(ChangeBatch.COMMIT_TS,
                FieldType.notNullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), null));
        fields.add(new Field(ChangeBatch.SEQ, FieldType.notNullable(new ArrowType.Int(32, true)), null));
        fields.add(new Field(ChangeBatch.UNCHANGED_TOAST, FieldType.nullable(ArrowType.List.INSTANCE),
                List.of(new Field("column", FieldType.notNullable(new ArrowType.Int(32, true)), null))));
        fields.addAll(specials);
        this.arrowSchema = new Schema(fields);
    }

    /**
     * Rows to allocate room for when a batch opens (default 256, grown by doubling after that). A good hint is the
     * size of the previous batch of the table: it avoids reallocations without reserving room for tiny batches.
     */
    public void initialCapacity(int rows) {
        this.initialCapacity = Math.max(16, rows);
    }

    /** The Arrow schema of the batches this builder makes. */
    public Schema arrowSchema() {
        return arrowSchema;
    }

    public TableSchema schema() {
        return schema;
    }

    public int rowCount() {
        return rows;
    }

    /** Estimated bytes of the open batch (value bytes plus a fixed per-row cost). */
    public long approximateBytes() {
        return approxBytes;
    }

    /** True once the open batch reached the row or byte bound: seal it before appending more. */
    public boolean isFull() {
        return rows >= maxRows || approxBytes >= maxBytes;
    }

    public void appendInsert(TupleData row, long commitLsn, long commitTimeMicros, int seq) {
        append(OP_INSERT, row, null, commitLsn, commitTimeMicros, seq, 0);
    }

    /**
     * An update. Columns the new tuple marks unchanged TOAST are taken from {@code oldRow} when it has them
     * (REPLICA IDENTITY FULL); otherwise they stay marked in {@code _unchanged_toast}.
     */
    public void appendUpdate(TupleData oldRow, TupleData newRow, long commitLsn, long commitTimeMicros, int seq) {
        append(OP_UPDATE, newRow, oldRow, commitLsn, commitTimeMicros, seq, 0);
    }

    /** A delete: the old key (other columns null) or, under REPLICA IDENTITY FULL, the whole old row. */
    public void appendDelete(TupleData oldRow, long commitLsn, long commitTimeMicros, int seq) {
        append(OP_DELETE, oldRow, null, commitLsn, commitTimeMicros, seq, 0);
    }

    /**
     * A TRUNCATE of the table at this point of its transaction: a row with op "T" and every source column null. The
     * rows appended before it (same transaction) stay in the batch: the destination orders by {@code _seq}.
     */
    public void appendTruncate(long commitLsn, long commitTimeMicros, int seq) {
        appendTruncate(commitLsn, commitTimeMicros, seq, 0);
    }

    void appendTruncate(long lsn, long tsMicros, int seq, int xid) {
        if (root == null) {
            open();
        }
        writeSnapshotMeta();
        if (direct != null) {
            direct.invalidate(); // the nulls below may grow the vectors the direct writer holds addresses of
        }
        int r = rows;
        for (int c = 0; c < writers.length; c++) {
            writers[c].writeNull(r);
        }
        writeMeta(OP_TRUNCATE, r, lsn, tsMicros, seq, xid);
        truncates++;
        approxBytes += ROW_OVERHEAD;
    }

    /**
     * A snapshot row (COPY text or binary columns as a tuple): op "I", {@code _seq} its row number in the batch.
     * The metadata columns of a snapshot are the same on every row: they are written in one pass when the batch is
     * sealed (or before the next non-snapshot row), which keeps this per-row path short.
     */
    public void appendSnapshotRow(TupleData row, long consistentPointLsn, long snapshotTimeMicros) {
        int n = schema.columnCount();
        if (row.columnCount() != n) {
            throw new IllegalStateException("row of " + schema.table() + " has " + row.columnCount()
                    + " columns, the table " + n + ": the table changed during the copy");
        }
        if (root == null) {
            open();
        } else if (metaWritten < rows && (consistentPointLsn != snapshotLsn || snapshotTimeMicros != snapshotMicros)) {
            writeSnapshotMeta();
        }
        if (metaWritten == rows) {
            snapshotLsn = consistentPointLsn;
            snapshotMicros = snapshotTimeMicros;
        }
        if (direct != null) {
            direct.invalidate();
        }
        int r = rows;
        long bytes = ROW_OVERHEAD;
        ValueWriter[] w = writers;
        byte[] data = row.data();
        for (int c = 0; c < n; c++) {
            byte kind = row.kind(c);
            if (kind == TupleData.BINARY) {
                int len = row.length(c);
                w[c].writeBinary(r, data, row.offset(c), len);
                bytes += len;
            } else if (kind == TupleData.TEXT) {
                int len = row.length(c);
                w[c].write(r, data, row.offset(c), len);
                bytes += len;
            } else if (kind == TupleData.NULL) {
                w[c].writeNull(r);
            } else {
                throw new IllegalStateException("unknown tuple data kind '" + (char) kind + "' in a snapshot row of "
                        + schema.table() + "." + schema.columns().get(c).name());
            }
        }
        if (rows == 0) {
            firstLsn = consistentPointLsn;
        }
        lastLsn = consistentPointLsn;
        rows++;
        approxBytes += bytes;
    }

    /**
     * Prepares {@link #appendBinaryCopyRow} for the rows of one binary COPY: {@code textColumns[c]} is true when
     * column c was selected as its output function's text; the rows are snapshot rows as of the given point.
     */
    public void startBinaryCopy(boolean[] textColumns, long consistentPointLsn, long snapshotTimeMicros) {
        if (textColumns.length != schema.columnCount()) {
            throw new IllegalArgumentException("binary COPY of " + textColumns.length + " columns into " + schema.table()
                    + " of " + schema.columnCount());
        }
        if (!java.util.Arrays.equals(textColumns, binaryCopyText)) {
            binaryCopyText = textColumns.clone();
            direct = null;
        }
        copyLsn = consistentPointLsn;
        copyMicros = snapshotTimeMicros;
    }

    /**
     * Appends one row of a binary COPY (after {@link #startBinaryCopy}) as a snapshot row, like
     * {@link #appendSnapshotRow}, but straight from the message into the vectors' buffers: its fields (after the
     * field count) start at {@code msg[p]} and must end by {@code end}. Returns the position after the row.
     */
    public int appendBinaryCopyRow(byte[] msg, int p, int end) {
        if (root == null) {
            open();
        } else if (metaWritten < rows && (copyLsn != snapshotLsn || copyMicros != snapshotMicros)) {
            writeSnapshotMeta();
        }
        if (metaWritten == rows) {
            snapshotLsn = copyLsn;
            snapshotMicros = copyMicros;
        }
        BinaryRowWriter w = direct;
        if (w == null) {
            w = directWriter();
        }
        int start = p;
        p = w.writeRow(rows, msg, p, end);
        if (rows == 0) {
            firstLsn = copyLsn;
        }
        lastLsn = copyLsn;
        rows++;
        approxBytes += ROW_OVERHEAD + (p - start) - 4L * mappings.size(); // the value bytes: less the field lengths
        return p;
    }

    private BinaryRowWriter directWriter() {
        if (binaryCopyText == null) {
            throw new IllegalStateException("appendBinaryCopyRow before startBinaryCopy");
        }
        int n = schema.columnCount();
        FieldVector[] vectors = new FieldVector[n];
        for (int c = 0; c < n; c++) {
            vectors[c] = root.getVector(c);
        }
        direct = new BinaryRowWriter(mappings, vectors, writers, binaryCopyText);
        return direct;
    }

    /**
     * The metadata of the snapshot rows appended since the last metadata write: op I, the LSN, time, row number.
     * Written straight into the buffers after one capacity check (per-row setSafe calls cost a tenth of the copy);
     * every op is one byte, so the op vector's offsets are the row numbers.
     */
    private void writeSnapshotMeta() {
        int from = metaWritten;
        int to = rows;
        if (from >= to) {
            return;
        }
        for (BaseFixedWidthVector v : new BaseFixedWidthVector[] {lsnVector, tsVector, seqVector}) {
            while (v.getValueCapacity() < to) {
                v.reAlloc();
            }
        }
        while (opVector.getValueCapacity() < to) {
            opVector.reallocValidityAndOffsetBuffers();
        }
        while (opVector.getByteCapacity() < to) {
            opVector.reallocDataBuffer();
        }
        if (opVector.getLastSet() != from - 1) {
            throw new IllegalStateException("op column of " + schema.table() + " out of step: " + opVector.getLastSet()
                    + " for row " + from);
        }
        long lsnAt = lsnVector.getDataBufferAddress();
        long tsAt = tsVector.getDataBufferAddress();
        long seqAt = seqVector.getDataBufferAddress();
        long opOffsetsAt = opVector.getOffsetBufferAddress();
        long opDataAt = opVector.getDataBufferAddress();
        for (int r = from; r < to; r++) {
            MemoryUtil.putLong(lsnAt + 8L * r, snapshotLsn);
            MemoryUtil.putLong(tsAt + 8L * r, snapshotMicros);
            MemoryUtil.putInt(seqAt + 4L * r, r);
            MemoryUtil.putInt(opOffsetsAt + 4L * (r + 1), r + 1);
            MemoryUtil.putByte(opDataAt + r, OP_INSERT[0]);
        }
        setValid(lsnVector.getValidityBuffer(), from, to);
        setValid(tsVector.getValidityBuffer(), from, to);
        setValid(seqVector.getValidityBuffer(), from, to);
        setValid(opVector.getValidityBuffer(), from, to);
        opVector.setLastSet(to - 1);
        metaWritten = to;
    }

    /** Sets the validity bits of rows [from, to): whole bytes where it can. */
    private static void setValid(ArrowBuf validity, int from, int to) {
        int r = from;
        while (r < to && (r & 7) != 0) {
            BitVectorHelper.setBit(validity, r++);
        }
        int wholeBytes = (to - r) >> 3;
        if (wholeBytes > 0) {
            validity.setOne(r >> 3, wholeBytes);
            r += wholeBytes << 3;
        }
        while (r < to) {
            BitVectorHelper.setBit(validity, r++);
        }
    }

    void append(char op, TupleData row, TupleData fallback, long lsn, long tsMicros, int seq, int xid) {
        append(op, row, fallback, lsn, tsMicros, seq, xid, false);
    }

    /** {@code keyChanged}: a half of an update that moved the row to a new key (see {@link ChangeBatch#KEY_CHANGED}). */
    void append(char op, TupleData row, TupleData fallback, long lsn, long tsMicros, int seq, int xid,
            boolean keyChanged) {
        byte[] code = op == ChangeBatch.INSERT ? OP_INSERT : op == ChangeBatch.UPDATE ? OP_UPDATE : OP_DELETE;
        append(code, row, fallback, lsn, tsMicros, seq, xid, keyChanged);
    }

    private void append(byte[] op, TupleData row, TupleData fallback, long lsn, long tsMicros, int seq, int xid) {
        append(op, row, fallback, lsn, tsMicros, seq, xid, false);
    }

    private void append(byte[] op, TupleData row, TupleData fallback, long lsn, long tsMicros, int seq, int xid,
            boolean keyChanged) {
        int n = schema.columnCount();
        if (row.columnCount() != n) {
            throw new IllegalStateException("row of " + schema.table() + " has " + row.columnCount()
                    + " columns, its Relation " + n + ": the table changed without a new Relation message");
        }
        if (root == null) {
            open();
        }
        writeSnapshotMeta();
        if (direct != null) {
            direct.invalidate();
        }
        int r = rows;
        int unchanged = 0;
        long bytes = ROW_OVERHEAD;
        for (int c = 0; c < n; c++) {
            TupleData src = row;
            byte kind = row.kind(c);
            if (kind == TupleData.UNCHANGED_TOAST && fallback != null
                    && (fallback.kind(c) == TupleData.TEXT || fallback.kind(c) == TupleData.NULL)) {
                src = fallback;
                kind = fallback.kind(c);
            }
            switch (kind) {
                case TupleData.TEXT -> {
                    int len = src.length(c);
                    writers[c].write(r, src.data(), src.offset(c), len);
                    bytes += len;
                }
                case TupleData.NULL -> writers[c].writeNull(r);
                case TupleData.UNCHANGED_TOAST -> {
                    writers[c].writeNull(r);
                    unchanged++;
                }
                case TupleData.BINARY -> {
                    // the snapshot's binary COPY; pgoutput's binary option is never requested
                    int len = src.length(c);
                    writers[c].writeBinary(r, src.data(), src.offset(c), len);
                    bytes += len;
                }
                default -> throw new IllegalStateException("unknown tuple data kind '" + (char) kind + "' for "
                        + schema.table() + "." + schema.columns().get(c).name());
            }
        }
        if (unchanged != 0 || keyChanged && op == OP_DELETE) {
            // Rows without marks are left unset: a fresh list slot is null, and startNewValue/setValueCount fill
            // the offsets of the skipped slots (ListVector.setNull per row cost a third of this method).
            toastMarked = true;
            int start = toastVector.startNewValue(r);
            IntVector cols = (IntVector) toastVector.getDataVector();
            int k = 0;
            if (keyChanged) {
                cols.setSafe(start + k++, ChangeBatch.KEY_CHANGED);
            }
            for (int c = 0; c < n; c++) {
                if (row.kind(c) == TupleData.UNCHANGED_TOAST
                        && (fallback == null || fallback.kind(c) == TupleData.UNCHANGED_TOAST)) {
                    cols.setSafe(start + k++, c);
                }
            }
            toastVector.endValue(r, k);
            bytes += 4L * k;
        }
        writeMeta(op, r, lsn, tsMicros, seq, xid);
        approxBytes += bytes;
    }

    /** The metadata columns of streamed row {@code r}, which then counts as appended. */
    private void writeMeta(byte[] op, int r, long lsn, long tsMicros, int seq, int xid) {
        opVector.setSafe(r, op);
        lsnVector.setSafe(r, lsn);
        tsVector.setSafe(r, tsMicros);
        seqVector.setSafe(r, seq);
        if (xidVector != null) {
            xidVector.setSafe(r, xid);
        }
        if (rows == 0) {
            firstLsn = lsn;
        }
        lastLsn = lsn;
        rows++;
        metaWritten = rows;
    }

    private void open() {
        root = VectorSchemaRoot.create(arrowSchema, allocator);
        int initial = Math.min(maxRows, initialCapacity);
        List<FieldVector> vectors = root.getFieldVectors();
        for (int i = 0; i < vectors.size(); i++) {
            FieldVector v = vectors.get(i);
            // Room for as many value bytes per row as the last batch had: growing a data buffer copies it.
            if (densities != null && densities[i] > 0 && v instanceof BaseVariableWidthVector vw) {
                vw.setInitialCapacity(initial, densities[i]);
            } else {
                v.setInitialCapacity(initial);
            }
            v.allocateNew();
        }
        int n = schema.columnCount();
        writers = new ValueWriter[n];
        for (int c = 0; c < n; c++) {
            TinyIntVector special = specialIndex[c] >= 0 ? (TinyIntVector) root.getVector(specialIndex[c]) : null;
            writers[c] = mappings.get(c).writer(root.getVector(c), special);
        }
        opVector = (VarCharVector) root.getVector(n);
        lsnVector = (BigIntVector) root.getVector(n + 1);
        tsVector = (TimeStampMicroTZVector) root.getVector(n + 2);
        seqVector = (IntVector) root.getVector(n + 3);
        toastVector = (ListVector) root.getVector(n + 4);
        if (trackXids) {
            xidVector = new IntVector("_xid", allocator);
            xidVector.setInitialCapacity(initial);
            xidVector.allocateNew();
        }
        rows = 0;
        truncates = 0;
        metaWritten = 0;
        approxBytes = 0;
        toastMarked = false;
        direct = null;
    }

    /** Seals the open batch (null if no rows); the caller owns the result. The next append opens a new one. */
    public ChangeBatch seal(boolean endsTransaction) {
        Segment s = sealSegment();
        if (s == null) {
            return null;
        }
        if (s.xids != null) {
            s.xids.close();
        }
        return new ChangeBatch(schema, s.root, s.firstLsn, s.lastLsn, endsTransaction, false, s.truncates);
    }

    /**
     * Seals the open batch as rows of a table copy ({@link ChangeBatch#fromCopy()}), appended with
     * {@link #appendSnapshotRow}; null if no rows.
     */
    public ChangeBatch sealCopy() {
        Segment s = sealSegment();
        if (s == null) {
            return null;
        }
        if (s.xids != null) {
            s.xids.close();
        }
        return new ChangeBatch(schema, s.root, s.firstLsn, s.lastLsn, false, true, s.truncates);
    }

    /** A sealed batch still carrying its rows' xids (for streamed transactions). */
    static final class Segment implements AutoCloseable {
        final TableSchema schema;
        VectorSchemaRoot root;
        IntVector xids;
        final long firstLsn;
        final long lastLsn;
        int truncates = -1; // TRUNCATE rows when known (as sealed); -1 once rows were taken out or read back

        Segment(TableSchema schema, VectorSchemaRoot root, IntVector xids, long firstLsn, long lastLsn) {
            this.schema = schema;
            this.root = root;
            this.xids = xids;
            this.firstLsn = firstLsn;
            this.lastLsn = lastLsn;
        }

        int rows() {
            return root.getRowCount();
        }

        @Override
        public void close() {
            root.close();
            if (xids != null) {
                xids.close();
            }
        }
    }

    Segment sealSegment() {
        if (root == null || rows == 0) {
            return null;
        }
        writeSnapshotMeta();
        if (!toastMarked) {
            // Every row's list is null: the zeroed offsets are already right, so setRowCount need not walk the rows
            // to fill them (that loop was a large share of a cold snapshot's JIT work).
            toastVector.setLastSet(rows - 1);
        }
        root.setRowCount(rows);
        List<FieldVector> vectors = root.getFieldVectors();
        if (densities == null) {
            densities = new double[vectors.size()];
        }
        for (int i = 0; i < vectors.size(); i++) {
            if (vectors.get(i) instanceof BaseVariableWidthVector vw) {
                // a little headroom, so that a batch slightly wider than the last does not copy its buffer
                densities[i] = vw.sizeOfValueBuffer() * 1.1 / rows + 1;
            }
        }
        if (xidVector != null) {
            xidVector.setValueCount(rows);
        }
        Segment s = new Segment(schema, root, xidVector, firstLsn, lastLsn);
        s.truncates = truncates;
        truncates = 0;
        root = null;
        xidVector = null;
        writers = null;
        direct = null;
        rows = 0;
        metaWritten = 0;
        approxBytes = 0;
        return s;
    }

    @Override
    public void close() {
        if (root != null) {
            root.close();
            root = null;
        }
        if (xidVector != null) {
            xidVector.close();
            xidVector = null;
        }
    }
}
