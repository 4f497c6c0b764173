package io.etlstream.emulator;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Rewrites a Parquet footer (Thrift compact protocol) so that chosen BYTE_ARRAY columns lose their
 * STRING annotation. The SDK writes BINARY columns with a UTF8 annotation but raw bytes; DuckDB
 * rejects such values, and without the annotation it reads them as BLOB.
 */
final class ParquetFooter {

  private static final int STOP = 0;
  private static final int TRUE = 1;
  private static final int FALSE = 2;
  private static final int BYTE = 3;
  private static final int I16 = 4;
  private static final int I32 = 5;
  private static final int I64 = 6;
  private static final int DOUBLE = 7;
  private static final int BINARY = 8;
  private static final int LIST = 9;
  private static final int SET = 10;
  private static final int MAP = 11;
  private static final int STRUCT = 12;

  private final byte[] in;
  private int pos;
  private final Set<String> columns;

  private ParquetFooter(byte[] in, int pos, Set<String> columns) {
    this.in = in;
    this.pos = pos;
    this.columns = columns;
  }

  /** Returns the file with {@code columns} re-annotated as plain binary (the input if none match). */
  static byte[] stripStringAnnotation(byte[] file, int length, Set<String> columns) {
    if (columns.isEmpty()) {
      return file;
    }
    int footerLen = ByteBuffer.wrap(file, length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    int footerStart = length - 8 - footerLen;
    if (footerLen <= 0 || footerStart < 4) {
      throw new IllegalArgumentException("not a Parquet file");
    }
    ParquetFooter f = new ParquetFooter(file, footerStart, columns);
    ByteArrayOutputStream out = new ByteArrayOutputStream(footerLen + 16);
    out.write(file, 0, footerStart);
    int before = out.size();
    f.copyFileMetaData(out);
    int newLen = out.size() - before;
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(newLen).array());
    out.writeBytes("PAR1".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private void copyFileMetaData(ByteArrayOutputStream out) {
    int lastIn = 0;
    int lastOut = 0;
    while (true) {
      int header = in[pos++] & 0xff;
      if (header == STOP) {
        out.write(STOP);
        return;
      }
      int type = header & 0x0f;
      int id = fieldId(header, lastIn);
      lastIn = id;
      lastOut = writeHeader(out, id, type, lastOut);
      if (id == 2 && type == LIST) {
        // list<SchemaElement>
        int h = in[pos++] & 0xff;
        out.write(h);
        int size = h >>> 4;
        if (size == 15) {
          size = (int) readVarint();
          writeVarint(out, size);
        }
        for (int i = 0; i < size; i++) {
          copySchemaElement(out);
        }
      } else {
        copyValue(type, out);
      }
    }
  }

  private void copySchemaElement(ByteArrayOutputStream out) {
    int lastIn = 0;
    int lastOut = 0;
    String name = null;
    while (true) {
      int header = in[pos++] & 0xff;
      if (header == STOP) {
        out.write(STOP);
        return;
      }
      int type = header & 0x0f;
      int id = fieldId(header, lastIn);
      lastIn = id;
      boolean drop = (id == 6 || id == 10) && name != null && columns.contains(name);
      if (drop) {
        copyValue(type, null);
        continue;
      }
      lastOut = writeHeader(out, id, type, lastOut);
      if (id == 4 && type == BINARY) {
        int len = (int) readVarint();
        name = new String(in, pos, len, StandardCharsets.UTF_8);
        writeVarint(out, len);
        out.write(in, pos, len);
        pos += len;
      } else {
        copyValue(type, out);
      }
    }
  }

  private int fieldId(int header, int last) {
    int delta = header >>> 4;
    return delta == 0 ? (int) zigzag(readVarint()) : last + delta;
  }

  private static int writeHeader(ByteArrayOutputStream out, int id, int type, int lastOut) {
    int delta = id - lastOut;
    if (delta > 0 && delta <= 15) {
      out.write(delta << 4 | type);
    } else {
      out.write(type);
      writeVarint(out, (id << 1) ^ (id >> 31));
    }
    return id;
  }

  private void copyValue(int type, ByteArrayOutputStream out) {
    switch (type) {
      case TRUE, FALSE -> { }
      case BYTE -> copyBytes(1, out);
      case I16, I32, I64 -> {
        int start = pos;
        readVarint();
        copyRange(start, out);
      }
      case DOUBLE -> copyBytes(8, out);
      case BINARY -> {
        int start = pos;
        int len = (int) readVarint();
        pos += len;
        copyRange(start, out);
      }
      case LIST, SET -> {
        int start = pos;
        int h = in[pos++] & 0xff;
        int size = h >>> 4;
        int elem = h & 0x0f;
        if (size == 15) {
          size = (int) readVarint();
        }
        copyRange(start, out);
        for (int i = 0; i < size; i++) {
          if (elem == TRUE || elem == FALSE) {
            copyBytes(1, out);
          } else {
            copyValue(elem, out);
          }
        }
      }
      case MAP -> {
        int start = pos;
        int size = (int) readVarint();
        int kv = size > 0 ? in[pos++] & 0xff : 0;
        copyRange(start, out);
        for (int i = 0; i < size; i++) {
          copyValue(kv >>> 4, out);
          copyValue(kv & 0x0f, out);
        }
      }
      case STRUCT -> {
        // Nested structs are copied verbatim: their field deltas do not change.
        while (true) {
          int header = in[pos++] & 0xff;
          if (out != null) {
            out.write(header);
          }
          if (header == STOP) {
            return;
          }
          if (header >>> 4 == 0) {
            int start = pos;
            readVarint();
            copyRange(start, out);
          }
          copyValue(header & 0x0f, out);
        }
      }
      default -> throw new IllegalArgumentException("unknown Thrift compact type " + type);
    }
  }

  private void copyBytes(int n, ByteArrayOutputStream out) {
    if (out != null) {
      out.write(in, pos, n);
    }
    pos += n;
  }

  private void copyRange(int start, ByteArrayOutputStream out) {
    if (out != null) {
      out.write(in, start, pos - start);
    }
  }

  private long readVarint() {
    long result = 0;
    int shift = 0;
    while (true) {
      int b = in[pos++] & 0xff;
      result |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
      shift += 7;
    }
  }

  private static long zigzag(long n) {
    return (n >>> 1) ^ -(n & 1);
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
