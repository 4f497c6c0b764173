package io.etlstream.source.pg.types;

/**
 * Appends PostgreSQL text values of one column (or one array's elements) to an Arrow vector. One writer per vector;
 * not thread-safe. Used by both the replication stream (pgoutput text tuples) and the snapshot (COPY text).
 */
public interface ValueWriter {

    /** Writes the value whose PostgreSQL text output is {@code b[off, off+len)} at {@code index}. */
    void write(int index, byte[] b, int off, int len);

    /** Marks {@code index} null. */
    void writeNull(int index);
}
