package io.etlstream.batch;

import io.etlstream.source.pg.types.ColumnMapping;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;

/**
 * Rows of one table from one transaction (or one snapshot range) as an Arrow record batch: the source columns
 * followed by the metadata columns {@link #OP}, {@link #COMMIT_LSN}, {@link #COMMIT_TS}, {@link #SEQ} and
 * {@link #UNCHANGED_TOAST}. Off-heap; the holder must {@link #close()} it.
 */
public final class ChangeBatch implements ChangeEvent, AutoCloseable {

    /**
     * utf8 "I", "U", "D" (insert, update, delete) or "T" (TRUNCATE: every row of the table at an earlier position is
     * gone; the row's source columns are all null and it has no unchanged-TOAST marks); snapshot rows are "I". Read
     * it with {@link #op(int)}.
     */
    public static final String OP = "_op";
    /** {@link #op(int)} of an inserted row (and of every snapshot row). */
    public static final char INSERT = 'I';
    /** {@link #op(int)} of an updated row. */
    public static final char UPDATE = 'U';
    /** {@link #op(int)} of a deleted row: the old key (or whole old row under REPLICA IDENTITY FULL). */
    public static final char DELETE = 'D';
    /**
     * {@link #op(int)} of a TRUNCATE of the table, in its place among the transaction's rows (its {@link #SEQ}): rows
     * before it are gone, rows after it remain. Source columns null. A TRUNCATE of several tables (a list, CASCADE,
     * a partitioned root) gives one such row in each table's batch, each with its own seq.
     */
    public static final char TRUNCATE = 'T';
    /** int64: LSN of the commit record of the row's transaction (snapshot: the slot's consistent point). */
    public static final String COMMIT_LSN = "_commit_lsn";
    /** timestamp[us, UTC]: commit time of the row's transaction. */
    public static final String COMMIT_TS = "_commit_ts";
    /** int32: position of the change within its transaction, counted over all tables from 0. */
    public static final String SEQ = "_seq";
    /**
     * list&lt;int32&gt;: indexes (into the source columns) of columns whose value is unchanged TOAST, i.e. not sent:
     * keep the destination's current value. The value slot itself is null. Null list when there are none.
     */
    public static final String UNCHANGED_TOAST = "_unchanged_toast";
    /**
     * In {@link #UNCHANGED_TOAST} beside the column indexes: the row is half of an update that changed the row's key.
     * On its delete of the old key always; on its update (the next {@link #SEQ}) only when that has unchanged
     * columns, which keep the values of the old key's row.
     */
    public static final int KEY_CHANGED = -1;
    /** Number of metadata columns after the source columns. */
    public static final int METADATA_COLUMNS = 5;

    private final TableSchema schema;
    private final VectorSchemaRoot root;
    private final long firstCommitLsn;
    private final long lastCommitLsn;
    private final boolean endsTransaction;
    private final boolean fromCopy;
    private int truncates; // TRUNCATE rows; -1 until counted (batches not sealed by a builder)
    private boolean closed;

    /** A batch of streamed changes; takes ownership of {@code root}. */
    public ChangeBatch(TableSchema schema, VectorSchemaRoot root, long firstCommitLsn, long lastCommitLsn,
            boolean endsTransaction) {
        this(schema, root, firstCommitLsn, lastCommitLsn, endsTransaction, false);
    }

    /** Takes ownership of {@code root}; {@code fromCopy}: rows of a table copy (see {@link #fromCopy()}). */
    public ChangeBatch(TableSchema schema, VectorSchemaRoot root, long firstCommitLsn, long lastCommitLsn,
            boolean endsTransaction, boolean fromCopy) {
        this(schema, root, firstCommitLsn, lastCommitLsn, endsTransaction, fromCopy, -1);
    }

    /** {@code truncates}: the number of TRUNCATE rows when the builder knows it, else -1 (counted when asked). */
    ChangeBatch(TableSchema schema, VectorSchemaRoot root, long firstCommitLsn, long lastCommitLsn,
            boolean endsTransaction, boolean fromCopy, int truncates) {
        if (fromCopy && endsTransaction) {
            throw new IllegalArgumentException("rows of a table copy belong to no transaction");
        }
        this.schema = schema;
        this.root = root;
        this.firstCommitLsn = firstCommitLsn;
        this.lastCommitLsn = lastCommitLsn;
        this.endsTransaction = endsTransaction;
        this.fromCopy = fromCopy;
        this.truncates = truncates;
    }

    public TableId table() {
        return schema.table();
    }

    public TableSchema schema() {
        return schema;
    }

    /** The record batch: source columns in table order, then the metadata columns. */
    public VectorSchemaRoot root() {
        return root;
    }

    public int rowCount() {
        return root.getRowCount();
    }

    /** Off-heap bytes held by this batch's vectors. */
    public long byteSize() {
        long n = 0;
        for (var v : root.getFieldVectors()) {
            n += v.getBufferSize();
        }
        return n;
    }

    /** The vector of source column {@code column} (0-based, table order). */
    public FieldVector column(int column) {
        return root.getVector(column);
    }

    /**
     * The {@link io.etlstream.source.pg.types.SpecialValue} codes of source column {@code column} (numeric NaN,
     * date/timestamp ±infinity), or null if the column's type has none. Non-null entries mean: ignore the value
     * slot, which is null, and use the special value.
     */
    public TinyIntVector specialValues(int column) {
        FieldVector v = root.getVector(schema.columns().get(column).name() + ColumnMapping.SPECIAL_SUFFIX);
        return v instanceof TinyIntVector t ? t : null;
    }

    /** The op of {@code row}: {@link #INSERT}, {@link #UPDATE}, {@link #DELETE} or {@link #TRUNCATE}. */
    public char op(int row) {
        VarCharVector v = (VarCharVector) root.getVector(schema.columnCount());
        return (char) v.getDataBuffer().getByte(v.getStartOffset(row));
    }

    /**
     * Number of {@link #TRUNCATE} rows in this batch (0 for nearly every batch). Known without reading the rows for
     * batches sealed by a {@link ChangeBatchBuilder}; others (read back from a spill file, or with an aborted
     * subtransaction's rows taken out) scan their op column once.
     */
    public int truncateCount() {
        if (truncates < 0) {
            truncates = countTruncates();
        }
        return truncates;
    }

    private int countTruncates() {
        VarCharVector v = (VarCharVector) root.getVector(schema.columnCount());
        int rows = rowCount();
        if (rows == 0) {
            return 0;
        }
        // every op is one ASCII byte, so the data buffer holds exactly one byte per row
        var data = v.getDataBuffer();
        long end = v.getEndOffset(rows - 1);
        int n = 0;
        for (long i = v.getStartOffset(0); i < end; i++) {
            if (data.getByte(i) == TRUNCATE) {
                n++;
            }
        }
        return n;
    }

    /** True if {@code column} of {@code row} was not sent (unchanged TOAST): keep the destination's value. */
    public boolean isUnchangedToast(int row, int column) {
        ListVector marks = (ListVector) root.getVector(schema.columnCount() + 4);
        if (marks.isNull(row)) {
            return false;
        }
        IntVector cols = (IntVector) marks.getDataVector();
        for (int i = marks.getElementStartIndex(row); i < marks.getElementEndIndex(row); i++) {
            if (cols.get(i) == column) {
                return true;
            }
        }
        return false;
    }

    public long firstCommitLsn() {
        return firstCommitLsn;
    }

    public long lastCommitLsn() {
        return lastCommitLsn;
    }

    /**
     * True if the rows come from a copy of the table (the initial snapshot, a backfill or a resync, made by
     * {@link io.etlstream.source.pg.SnapshotCopier}), false for streamed changes. Copy rows are all inserts that carry
     * the copy's consistent point as LSN and a row number as seq, which is no position in the stream.
     */
    public boolean fromCopy() {
        return fromCopy;
    }

    /** True if the last row closes its transaction for this table: only then may the sink confirm lastCommitLsn. */
    public boolean endsTransaction() {
        return endsTransaction;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            root.close();
        }
    }

    @Override
    public String toString() {
        return "ChangeBatch[" + schema.table() + " v" + schema.version() + ", rows=" + rowCount() + ", lsn="
                + firstCommitLsn + ".." + lastCommitLsn + (endsTransaction ? ", ends txn" : "") + (fromCopy ? ", copy" : "")
                + "]";
    }
}
