package io.etlstream.source.pg.pgoutput;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The columns of one row as sent by pgoutput (or read from COPY text): per column a kind and the raw value bytes.
 *
 * <p>Values share one backing array ({@code data}) addressed by offset and length, so decoding a row allocates no
 * object per cell. Kinds: {@link #NULL} 'n', {@link #UNCHANGED_TOAST} 'u' (value not sent), {@link #TEXT} 't',
 * {@link #BINARY} 'b'.
 */
public final class TupleData {

    public static final byte NULL = 'n';
    public static final byte UNCHANGED_TOAST = 'u';
    public static final byte TEXT = 't';
    public static final byte BINARY = 'b';

    private final byte[] kinds;
    private final int[] offsets;
    private final int[] lengths;
    private final byte[] data;

    /** Wraps arrays without copying; the caller hands them over. */
    public TupleData(byte[] kinds, int[] offsets, int[] lengths, byte[] data) {
        if (kinds.length != offsets.length || kinds.length != lengths.length) {
            throw new IllegalArgumentException("kinds, offsets and lengths differ in length");
        }
        this.kinds = kinds;
        this.offsets = offsets;
        this.lengths = lengths;
        this.data = data;
    }

    /** Builds a tuple from one value per column: null means SQL NULL; every other value is text. For tests and tools. */
    public static TupleData ofText(String... values) {
        byte[] kinds = new byte[values.length];
        int[] offsets = new int[values.length];
        int[] lengths = new int[values.length];
        byte[][] parts = new byte[values.length][];
        int total = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                kinds[i] = NULL;
            } else {
                kinds[i] = TEXT;
                parts[i] = values[i].getBytes(StandardCharsets.UTF_8);
                total += parts[i].length;
            }
        }
        byte[] data = new byte[total];
        int pos = 0;
        for (int i = 0; i < values.length; i++) {
            offsets[i] = pos;
            if (parts[i] != null) {
                System.arraycopy(parts[i], 0, data, pos, parts[i].length);
                lengths[i] = parts[i].length;
                pos += parts[i].length;
            }
        }
        return new TupleData(kinds, offsets, lengths, data);
    }

    public int columnCount() {
        return kinds.length;
    }

    public byte kind(int column) {
        return kinds[column];
    }

    public boolean isNull(int column) {
        return kinds[column] == NULL;
    }

    public boolean isUnchangedToast(int column) {
        return kinds[column] == UNCHANGED_TOAST;
    }

    /** True if any column is unchanged TOAST. */
    public boolean hasUnchangedToast() {
        for (byte k : kinds) {
            if (k == UNCHANGED_TOAST) {
                return true;
            }
        }
        return false;
    }

    /** The shared backing array; read a column at {@link #offset(int)} for {@link #length(int)} bytes. */
    public byte[] data() {
        return data;
    }

    public int offset(int column) {
        return offsets[column];
    }

    public int length(int column) {
        return lengths[column];
    }

    /** A copy of the value bytes, or null for 'n' and 'u'. */
    public byte[] valueBytes(int column) {
        byte k = kinds[column];
        if (k != TEXT && k != BINARY) {
            return null;
        }
        return Arrays.copyOfRange(data, offsets[column], offsets[column] + lengths[column]);
    }

    /** The value as a String (allocates; for tests, logs of non-secret data and rare paths), or null for 'n'/'u'. */
    public String text(int column) {
        byte k = kinds[column];
        if (k != TEXT && k != BINARY) {
            return null;
        }
        return new String(data, offsets[column], lengths[column], StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TupleData t) || t.kinds.length != kinds.length) {
            return false;
        }
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] != t.kinds[i] || !Arrays.equals(data, offsets[i], offsets[i] + lengths[i], t.data,
                    t.offsets[i], t.offsets[i] + t.lengths[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int i = 0; i < kinds.length; i++) {
            h = 31 * h + kinds[i];
            for (int j = 0; j < lengths[i]; j++) {
                h = 31 * h + data[offsets[i] + j];
            }
        }
        return h;
    }

    /** Column kinds only: row values may be sensitive and do not belong in logs. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TupleData[");
        for (int i = 0; i < kinds.length; i++) {
            sb.append((char) kinds[i]);
        }
        return sb.append(']').toString();
    }
}
