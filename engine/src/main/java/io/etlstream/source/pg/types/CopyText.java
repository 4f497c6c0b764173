package io.etlstream.source.pg.types;

import io.etlstream.source.pg.pgoutput.TupleData;

/**
 * Reads rows of {@code COPY ... TO STDOUT} text format (tab-separated, {@code \N} for NULL, backslash escapes)
 * into {@link TupleData}, so snapshot rows go through the same {@link ValueWriter}s as streamed rows: the values
 * are the same text output functions' results.
 */
public final class CopyText {

    private CopyText() {
    }

    /**
     * Parses one row: {@code b[off, off+len)} without its trailing newline.
     *
     * @throws IllegalArgumentException if the row has a different number of columns than {@code columns}
     */
    public static TupleData parseRow(byte[] b, int off, int len, int columns) {
        byte[] kinds = new byte[columns];
        int[] offsets = new int[columns];
        int[] lengths = new int[columns];
        byte[] data = new byte[len];
        int out = 0;
        int col = 0;
        int p = off;
        int end = off + len;
        while (true) {
            if (col >= columns) {
                throw new IllegalArgumentException("COPY row has more than " + columns + " columns");
            }
            int start = out;
            boolean isNull = false;
            if (end - p >= 2 && b[p] == '\\' && b[p + 1] == 'N' && (p + 2 == end || b[p + 2] == '\t')) {
                isNull = true;
                p += 2;
            } else {
                while (p < end && b[p] != '\t') {
                    byte c = b[p++];
                    if (c != '\\' || p == end) {
                        data[out++] = c;
                        continue;
                    }
                    byte e = b[p++];
                    switch (e) {
                        case 'b' -> data[out++] = '\b';
                        case 'f' -> data[out++] = '\f';
                        case 'n' -> data[out++] = '\n';
                        case 'r' -> data[out++] = '\r';
                        case 't' -> data[out++] = '\t';
                        case 'v' -> data[out++] = 0x0b;
                        case 'x' -> {
                            int v = 0;
                            int k = 0;
                            while (k < 2 && p < end && Character.digit(b[p], 16) >= 0) {
                                v = v * 16 + Character.digit(b[p++], 16);
                                k++;
                            }
                            data[out++] = k == 0 ? (byte) 'x' : (byte) v;
                        }
                        default -> {
                            if (e >= '0' && e <= '7') {
                                int v = e - '0';
                                for (int k = 0; k < 2 && p < end && b[p] >= '0' && b[p] <= '7'; k++) {
                                    v = v * 8 + (b[p++] - '0');
                                }
                                data[out++] = (byte) v;
                            } else {
                                data[out++] = e; // \\ and any other escaped character stand for themselves
                            }
                        }
                    }
                }
            }
            kinds[col] = isNull ? TupleData.NULL : TupleData.TEXT;
            offsets[col] = start;
            lengths[col] = out - start;
            col++;
            if (p >= end) {
                break;
            }
            p++; // the tab
        }
        if (col != columns) {
            throw new IllegalArgumentException("COPY row has " + col + " columns, expected " + columns);
        }
        return new TupleData(kinds, offsets, lengths, data);
    }
}
