package io.etlstream.source.pg.types;

/**
 * Appends PostgreSQL values of one column (or one array's elements) to an Arrow vector. One writer per vector;
 * not thread-safe. Used by both the replication stream (pgoutput text tuples) and the snapshot (COPY text or
 * binary). Text and binary input of the same value give the same Arrow value.
 */
public interface ValueWriter {

    /** Writes the value whose PostgreSQL text output is {@code b[off, off+len)} at {@code index}. */
    void write(int index, byte[] b, int off, int len);

    /**
     * Writes the value whose PostgreSQL binary send format is {@code b[off, off+len)} at {@code index}; only for
     * columns whose {@link ColumnMapping#readsBinary()} is true.
     */
    default void writeBinary(int index, byte[] b, int off, int len) {
        throw new IllegalStateException("no binary reader for this column type: read it as text");
    }

    /** Marks {@code index} null. */
    void writeNull(int index);
}
