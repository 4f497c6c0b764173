package io.etlstream.source.pg.types;

import java.math.BigDecimal;
import java.util.List;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;

/**
 * Writes the fields of binary COPY rows straight from the CopyData message into the buffers of one open batch's
 * vectors: no per-row or per-cell objects, and one switch on a column kind chosen when the batch opens instead of a
 * call through {@link ValueWriter} per cell (that call site sees a dozen writer classes and is never inlined).
 *
 * <p>Columns of the common fixed-width types and of text/bytea are written here; every other column, each column
 * that arrives as text, and the rare values the fast path does not handle (±infinity, NaN, numerics beyond a long)
 * go through the column's {@link ValueWriter}, so both paths give the same Arrow values. One writer per open batch;
 * after anything else writes into the batch's vectors, {@link #invalidate()} must be called before the next row.
 */
public final class BinaryRowWriter {

    private static final byte OTHER_BINARY = 0;
    private static final byte OTHER_TEXT = 1;
    private static final byte BOOL = 2;
    private static final byte INT2 = 3;
    private static final byte BITS4 = 4; // int4, float4: the big-endian bits reversed
    private static final byte BITS8 = 5; // int8, float8, time
    private static final byte TIMESTAMP = 6; // timestamp, timestamptz: shifted to the Unix epoch
    private static final byte DATE = 7;
    private static final byte UUID = 8;
    private static final byte VARIABLE = 9; // text, varchar, bpchar, name, json, bytea: the bytes as they are
    private static final byte DECIMAL = 10;

    private final int columns;
    private final List<ColumnMapping> mappings;
    private final byte[] kinds;
    private final ValueWriter[] writers;
    private final FieldVector[] vectors;
    private final int[] scales;
    private final long[] validity;
    private final long[] data;
    private final long[] offsets;
    private final long[] dataCapacity;
    private final BigDecimal[] big = new BigDecimal[1];
    private int rowCapacity; // rows every directly written vector has room for; 0 = addresses to refresh

    /**
     * {@code vectors[c]} and {@code writers[c]} are column c's vector and writer in the open batch;
     * {@code textColumns[c]} is true when column c arrives as its output function's text.
     */
    public BinaryRowWriter(List<ColumnMapping> mappings, FieldVector[] vectors, ValueWriter[] writers,
            boolean[] textColumns) {
        this.columns = mappings.size();
        this.mappings = mappings;
        this.kinds = new byte[columns];
        this.vectors = vectors;
        this.writers = writers;
        this.scales = new int[columns];
        this.validity = new long[columns];
        this.data = new long[columns];
        this.offsets = new long[columns];
        this.dataCapacity = new long[columns];
        for (int c = 0; c < columns; c++) {
            ColumnMapping m = mappings.get(c);
            kinds[c] = textColumns[c] ? OTHER_TEXT : !m.readsBinary() ? OTHER_BINARY : kindOf(m, vectors[c]);
            if (kinds[c] == DECIMAL) {
                scales[c] = ((org.apache.arrow.vector.DecimalVector) vectors[c]).getScale();
            }
        }
    }

    private static byte kindOf(ColumnMapping m, FieldVector v) {
        return switch (m.typeOid()) {
            case PgType.BOOL -> BOOL;
            case PgType.INT2 -> INT2;
            case PgType.INT4, PgType.FLOAT4 -> BITS4;
            case PgType.INT8, PgType.FLOAT8, PgType.TIME -> BITS8;
            case PgType.TIMESTAMP, PgType.TIMESTAMPTZ -> TIMESTAMP;
            case PgType.DATE -> DATE;
            case PgType.UUID -> UUID;
            case PgType.TEXT, PgType.VARCHAR, PgType.BPCHAR, PgType.NAME, PgType.JSON, PgType.BYTEA ->
                    v instanceof BaseVariableWidthVector ? VARIABLE : OTHER_BINARY;
            case PgType.NUMERIC -> v instanceof org.apache.arrow.vector.DecimalVector ? DECIMAL : OTHER_BINARY;
            default -> OTHER_BINARY;
        };
    }

    /** Something other than this writer wrote into (and may have grown) the vectors: re-read their buffers. */
    public void invalidate() {
        rowCapacity = 0;
    }

    /**
     * Writes the row whose fields (after the field count) start at {@code msg[p]} as row {@code r}.
     *
     * @return the position after the row
     * @throws IllegalArgumentException if a field runs past {@code end} or a value does not fit its type
     */
    public int writeRow(int r, byte[] msg, int p, int end) {
        if (p < 0 || end > msg.length) {
            throw new IndexOutOfBoundsException("row at " + p + ".." + end + " of a message of " + msg.length);
        }
        if (r >= rowCapacity) {
            grow(r);
        }
        int bitByte = r >>> 3;
        byte bit = (byte) (1 << (r & 7));
        for (int c = 0; c < columns; c++) {
            if (end - p < 4) {
                throw new IllegalArgumentException("COPY row ends inside its field lengths");
            }
            int len = be32(msg, p);
            p += 4;
            byte kind = kinds[c];
            if (len < 0) {
                writeNull(c, kind, r, bitByte, bit);
                continue;
            }
            if (len > end - p) {
                throw new IllegalArgumentException("COPY value runs past the end of its message");
            }
            switch (kind) {
                case BOOL -> {
                    PgBinary.expectLength("bool", len, 1);
                    long at = data[c] + bitByte;
                    byte old = MemoryUtil.getByte(at);
                    MemoryUtil.putByte(at, (byte) (msg[p] != 0 ? old | bit : old & ~bit));
                    setValid(c, bitByte, bit);
                }
                case INT2 -> {
                    PgBinary.expectLength("int2", len, 2);
                    MemoryUtil.putShort(data[c] + 2L * r, (short) ((msg[p] << 8) | (msg[p + 1] & 0xff)));
                    setValid(c, bitByte, bit);
                }
                case BITS4 -> {
                    if (len != 4) {
                        throw badLength(c, len);
                    }
                    MemoryUtil.putInt(data[c] + 4L * r, be32(msg, p));
                    setValid(c, bitByte, bit);
                }
                case BITS8 -> {
                    if (len != 8) {
                        throw badLength(c, len);
                    }
                    MemoryUtil.putLong(data[c] + 8L * r, be64(msg, p));
                    setValid(c, bitByte, bit);
                }
                case TIMESTAMP -> {
                    PgBinary.expectLength("timestamp", len, 8);
                    long pgMicros = be64(msg, p);
                    if (pgMicros == Long.MAX_VALUE || pgMicros == Long.MIN_VALUE
                            || pgMicros > Long.MAX_VALUE - PgBinary.PG_EPOCH_MICROS) {
                        other(c, r, msg, p, len); // ±infinity, or out of range
                    } else {
                        MemoryUtil.putLong(data[c] + 8L * r, pgMicros + PgBinary.PG_EPOCH_MICROS);
                        setValid(c, bitByte, bit);
                    }
                }
                case DATE -> {
                    PgBinary.expectLength("date", len, 4);
                    int pgDays = be32(msg, p);
                    if (pgDays > Integer.MAX_VALUE - PgBinary.PG_EPOCH_DAYS || pgDays == Integer.MIN_VALUE) {
                        other(c, r, msg, p, len);
                    } else {
                        MemoryUtil.putInt(data[c] + 4L * r, pgDays + PgBinary.PG_EPOCH_DAYS);
                        setValid(c, bitByte, bit);
                    }
                }
                case UUID -> {
                    PgBinary.expectLength("uuid", len, 16);
                    MemoryUtil.copyToMemory(msg, p, data[c] + 16L * r, 16);
                    setValid(c, bitByte, bit);
                }
                case VARIABLE -> {
                    long offsetAt = offsets[c] + 4L * r;
                    int start = MemoryUtil.getInt(offsetAt);
                    long needed = (long) start + len;
                    if (needed > dataCapacity[c]) {
                        growData(c, needed);
                    }
                    MemoryUtil.copyToMemory(msg, p, data[c] + start, len);
                    MemoryUtil.putInt(offsetAt + 4, (int) needed);
                    setValid(c, bitByte, bit);
                    ((BaseVariableWidthVector) vectors[c]).setLastSet(r);
                }
                case DECIMAL -> {
                    if (PgBinary.numericSpecial(msg, p, len) != null) {
                        other(c, r, msg, p, len);
                    } else {
                        long unscaled = PgBinary.numericUnscaled(msg, p, len, scales[c], big);
                        if (big[0] != null) {
                            other(c, r, msg, p, len);
                        } else {
                            long at = data[c] + 16L * r; // Decimal128, little-endian two's complement
                            MemoryUtil.putLong(at, MemoryUtil.LITTLE_ENDIAN ? unscaled : unscaled >> 63);
                            MemoryUtil.putLong(at + 8, MemoryUtil.LITTLE_ENDIAN ? unscaled >> 63 : unscaled);
                            setValid(c, bitByte, bit);
                        }
                    }
                }
                case OTHER_TEXT -> writers[c].write(r, msg, p, len);
                default -> writers[c].writeBinary(r, msg, p, len);
            }
            p += len;
        }
        return p;
    }

    /** The type's name only on this error path: a writer is made per batch, and the lookup is a large switch. */
    private RuntimeException badLength(int c, int len) {
        return new PgBinary.BadBinaryValueException(PgType.name(mappings.get(c).typeOid()), len);
    }

    private void writeNull(int c, byte kind, int r, int bitByte, byte bit) {
        if (kind <= OTHER_TEXT) {
            writers[c].writeNull(r);
            return;
        }
        long at = validity[c] + bitByte;
        MemoryUtil.putByte(at, (byte) (MemoryUtil.getByte(at) & ~bit));
        if (kind == VARIABLE) {
            long offsetAt = offsets[c] + 4L * r;
            MemoryUtil.putInt(offsetAt + 4, MemoryUtil.getInt(offsetAt));
            ((BaseVariableWidthVector) vectors[c]).setLastSet(r);
        }
    }

    /** A value of a directly written column that its writer handles (it may touch the companion vector). */
    private void other(int c, int r, byte[] msg, int p, int len) {
        writers[c].writeBinary(r, msg, p, len);
        rowCapacity = 0; // the writer may have grown a buffer
    }

    private void setValid(int c, int bitByte, byte bit) {
        long at = validity[c] + bitByte;
        MemoryUtil.putByte(at, (byte) (MemoryUtil.getByte(at) | bit));
    }

    /** Makes room for row {@code r} in every directly written vector and re-reads their buffer addresses. */
    private void grow(int r) {
        int capacity = Integer.MAX_VALUE;
        for (int c = 0; c < columns; c++) {
            if (kinds[c] <= OTHER_TEXT) {
                continue;
            }
            FieldVector v = vectors[c];
            if (v instanceof BaseVariableWidthVector vw) {
                if (vw.getLastSet() < r - 1) {
                    vw.fillEmpties(r); // rows another path left unset get their offsets, as Arrow's setSafe does
                }
                while (vw.getValueCapacity() <= r) {
                    vw.reallocValidityAndOffsetBuffers();
                }
                offsets[c] = vw.getOffsetBufferAddress();
                dataCapacity[c] = vw.getDataBuffer().capacity();
            } else {
                while (v.getValueCapacity() <= r) {
                    ((BaseFixedWidthVector) v).reAlloc();
                }
            }
            validity[c] = v.getValidityBufferAddress();
            data[c] = v.getDataBufferAddress();
            capacity = Math.min(capacity, v.getValueCapacity());
        }
        rowCapacity = capacity;
    }

    private void growData(int c, long needed) {
        BaseVariableWidthVector vw = (BaseVariableWidthVector) vectors[c];
        while (vw.getDataBuffer().capacity() < needed) {
            vw.reallocDataBuffer(Math.max(needed, 2 * vw.getDataBuffer().capacity()));
        }
        data[c] = vw.getDataBufferAddress();
        dataCapacity[c] = vw.getDataBuffer().capacity();
    }

    private static int be32(byte[] b, int p) {
        int v = MemoryUtil.getInt(b, p);
        return MemoryUtil.LITTLE_ENDIAN ? Integer.reverseBytes(v) : v;
    }

    private static long be64(byte[] b, int p) {
        long v = MemoryUtil.getLong(b, p);
        return MemoryUtil.LITTLE_ENDIAN ? Long.reverseBytes(v) : v;
    }
}
