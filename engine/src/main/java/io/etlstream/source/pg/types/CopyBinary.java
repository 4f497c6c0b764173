package io.etlstream.source.pg.types;

import io.etlstream.source.pg.pgoutput.TupleData;
import java.util.function.Consumer;

/**
 * Reads the messages of one {@code COPY ... TO STDOUT (FORMAT binary)} into {@link TupleData} rows without copying
 * values: each column is {@link TupleData#BINARY} (send format, for {@link ValueWriter#writeBinary}) or, for the
 * columns the query selected as their output function's text, {@link TupleData#TEXT}. One reader per COPY.
 */
public final class CopyBinary {

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};

    private final int columns;
    private final byte[] valueKinds;
    private final byte[] kinds;
    private final int[] offsets;
    private final int[] lengths;
    private boolean headerRead;
    private boolean ended;

    /** {@code textColumns[i]} is true when column i arrives as text rather than in its binary send format. */
    public CopyBinary(boolean[] textColumns) {
        this.columns = textColumns.length;
        this.valueKinds = new byte[columns];
        for (int i = 0; i < columns; i++) {
            valueKinds[i] = textColumns[i] ? TupleData.TEXT : TupleData.BINARY;
        }
        this.kinds = new byte[columns];
        this.offsets = new int[columns];
        this.lengths = new int[columns];
    }

    /**
     * Parses one CopyData message (the server sends one row per message, the header with the first); hands each row
     * to {@code rows}. The tuple is only valid during that call: its arrays are reused for the next row.
     *
     * @return the number of rows in the message
     * @throws IllegalArgumentException if the data is not binary COPY of this many columns
     */
    public int parse(byte[] msg, Consumer<TupleData> rows) {
        int p = header(msg);
        int end = msg.length;
        int n = 0;
        while (p < end) {
            p = fieldCount(msg, p);
            if (p < 0) {
                break; // the trailer, the message's last bytes
            }
            for (int c = 0; c < columns; c++) {
                int len = PgBinary.int32(msg, p);
                p += 4;
                if (len < 0) {
                    kinds[c] = TupleData.NULL;
                    offsets[c] = p;
                    lengths[c] = 0;
                } else {
                    if (len > end - p) {
                        throw new IllegalArgumentException("COPY value runs past the end of its message");
                    }
                    kinds[c] = valueKinds[c];
                    offsets[c] = p;
                    lengths[c] = len;
                    p += len;
                }
            }
            rows.accept(new TupleData(kinds, offsets, lengths, msg));
            n++;
        }
        return n;
    }

    /** Reads the fields of one row: they start at {@code msg[p]}; returns the position after the row. */
    @FunctionalInterface
    public interface RowReader {
        int read(byte[] msg, int p, int end);
    }

    /**
     * As {@link #parse(byte[], Consumer)}, but hands each row's fields in place to {@code rows} (no tuple object):
     * the reader must consume exactly the row's {@code columns} fields.
     */
    public int parse(byte[] msg, RowReader rows) {
        int p = header(msg);
        int end = msg.length;
        int n = 0;
        while (p < end) {
            p = fieldCount(msg, p);
            if (p < 0) {
                break; // the trailer, the message's last bytes
            }
            p = rows.read(msg, p, end);
            n++;
        }
        return n;
    }

    /** Checks the header on the first message; returns where the rows start. */
    private int header(byte[] msg) {
        if (headerRead) {
            return 0;
        }
        if (msg.length < SIGNATURE.length + 8) {
            throw new IllegalArgumentException("binary COPY header missing");
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (msg[i] != SIGNATURE[i]) {
                throw new IllegalArgumentException("not binary COPY data");
            }
        }
        int p = SIGNATURE.length + 4; // flags: bit 16 (OIDs) is never set for a column list
        int extension = PgBinary.int32(msg, p);
        p += 4 + extension;
        headerRead = true;
        return p;
    }

    /**
     * Reads a row's field count at {@code p}: returns the position of its first field, or -1 for the trailer (after
     * which the message must end).
     */
    private int fieldCount(byte[] msg, int p) {
        if (ended) {
            throw new IllegalArgumentException("binary COPY data after its trailer");
        }
        int fields = PgBinary.int16(msg, p);
        if (fields == -1) {
            ended = true;
            if (p + 2 != msg.length) {
                throw new IllegalArgumentException("binary COPY data after its trailer");
            }
            return -1;
        }
        if (fields != columns) {
            throw new IllegalArgumentException("COPY row has " + fields + " columns, expected " + columns);
        }
        return p + 2;
    }

    /** True once the trailer was read: the COPY sent all its rows. */
    public boolean ended() {
        return ended;
    }
}
