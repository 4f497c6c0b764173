package io.etlstream.source.pg;

import io.etlstream.source.pg.pgoutput.TupleData;

/**
 * Splits one row of {@code COPY ... TO STDOUT} text format into a {@link TupleData} of text values — the same
 * representation pgoutput sends, so snapshot and stream share one conversion path. Handles {@code \N} (null) and the
 * backslash escapes of the text format.
 */
final class CopyTextRow {
    private CopyTextRow() {}

    static TupleData parse(byte[] row, int columns) {
        int end = row.length;
        if (end > 0 && row[end - 1] == '\n') {
            end--;
        }
        byte[] kinds = new byte[columns];
        int[] offsets = new int[columns];
        int[] lengths = new int[columns];
        boolean escapes = false;
        for (int i = 0; i < end; i++) {
            if (row[i] == '\\') {
                escapes = true;
                break;
            }
        }
        byte[] data = escapes ? new byte[end] : row;
        int out = 0;
        int col = 0;
        int start = 0;
        int i = 0;
        while (true) {
            if (col >= columns) {
                throw new IllegalStateException("COPY row has more than " + columns + " columns");
            }
            // field [start, fieldEnd)
            int fieldEnd = start;
            while (fieldEnd < end && row[fieldEnd] != '\t') {
                fieldEnd++;
            }
            if (fieldEnd - start == 2 && row[start] == '\\' && row[start + 1] == 'N') {
                kinds[col] = TupleData.NULL;
            } else {
                kinds[col] = TupleData.TEXT;
                if (escapes) {
                    offsets[col] = out;
                    for (i = start; i < fieldEnd; i++) {
                        byte b = row[i];
                        if (b != '\\' || i + 1 >= fieldEnd) {
                            data[out++] = b;
                            continue;
                        }
                        byte e = row[++i];
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
                                while (k < 2 && i + 1 < fieldEnd && hex(row[i + 1]) >= 0) {
                                    v = v * 16 + hex(row[++i]);
                                    k++;
                                }
                                data[out++] = (byte) v;
                            }
                            default -> {
                                if (e >= '0' && e <= '7') {
                                    int v = e - '0';
                                    int k = 1;
                                    while (k < 3 && i + 1 < fieldEnd && row[i + 1] >= '0' && row[i + 1] <= '7') {
                                        v = v * 8 + (row[++i] - '0');
                                        k++;
                                    }
                                    data[out++] = (byte) v;
                                } else {
                                    data[out++] = e; // \\ and any other escaped character stand for themselves
                                }
                            }
                        }
                    }
                    lengths[col] = out - offsets[col];
                } else {
                    offsets[col] = start;
                    lengths[col] = fieldEnd - start;
                }
            }
            col++;
            if (fieldEnd >= end) {
                break;
            }
            start = fieldEnd + 1;
        }
        if (col != columns) {
            throw new IllegalStateException("COPY row has " + col + " columns, expected " + columns);
        }
        return new TupleData(kinds, offsets, lengths, data);
    }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }
}
