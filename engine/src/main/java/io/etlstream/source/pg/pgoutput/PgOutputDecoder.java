package io.etlstream.source.pg.pgoutput;

import io.etlstream.source.pg.pgoutput.PgOutputMessage.Begin;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Commit;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Delete;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Insert;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.LogicalMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Origin;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamAbort;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamCommit;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamStart;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamStop;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Truncate;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.TypeMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes pgoutput protocol 1 and 2 messages: bytes in, {@link PgOutputMessage} out, no I/O.
 *
 * <p>The only state is whether the stream is inside a streamed block (StreamStart .. StreamStop), because inside it
 * every change message carries an extra xid field. One decoder per replication stream, used by one thread.
 */
public final class PgOutputDecoder {

    /** Microseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01 00:00:00 UTC. */
    public static final long PG_EPOCH_OFFSET_MICROS = 946_684_800_000_000L;

    private boolean inStream;

    /** True between a StreamStart and its StreamStop. */
    public boolean inStream() {
        return inStream;
    }

    /**
     * Decodes one message starting at the buffer's position (the position is advanced to its end).
     *
     * @throws PgOutputFormatException if the bytes are not a valid proto 1/2 message
     */
    public PgOutputMessage decode(ByteBuffer msg) {
        if (!msg.hasRemaining()) {
            throw new PgOutputFormatException("empty pgoutput message");
        }
        byte type = msg.get();
        try {
            return switch (type) {
                case 'B' -> new Begin(msg.getLong(), pgTime(msg.getLong()), msg.getInt());
                case 'C' -> new Commit(msg.get() & 0xff, msg.getLong(), msg.getLong(), pgTime(msg.getLong()));
                case 'O' -> new Origin(msg.getLong(), cString(msg));
                case 'R' -> relation(msg);
                case 'Y' -> new TypeMessage(streamXid(msg), msg.getInt(), cString(msg), cString(msg));
                case 'I' -> insert(msg);
                case 'U' -> update(msg);
                case 'D' -> delete(msg);
                case 'T' -> truncate(msg);
                case 'M' -> message(msg);
                case 'S' -> streamStart(msg);
                case 'E' -> streamStop();
                case 'c' -> new StreamCommit(msg.getInt(), msg.get() & 0xff, msg.getLong(), msg.getLong(),
                        pgTime(msg.getLong()));
                // Protocol 4 appends abort LSN and time (parallel apply); they are not needed here.
                case 'A' -> streamAbort(msg);
                default -> throw new PgOutputFormatException("unsupported pgoutput message type '" + (char) type
                        + "' (0x" + Integer.toHexString(type & 0xff) + "); etl-stream speaks proto_version 1 and 2"
                        + " without two_phase: check the slot options");
            };
        } catch (BufferUnderflowException e) {
            throw new PgOutputFormatException("truncated pgoutput message of type '" + (char) type + "'", e);
        }
    }

    /** Converts a pgoutput timestamp (microseconds since 2000-01-01 UTC) to an Instant. */
    public static Instant pgTime(long pgMicros) {
        long unixMicros = pgMicros + PG_EPOCH_OFFSET_MICROS;
        return Instant.ofEpochSecond(Math.floorDiv(unixMicros, 1_000_000L), Math.floorMod(unixMicros, 1_000_000L) * 1000L);
    }

    private int streamXid(ByteBuffer msg) {
        return inStream ? msg.getInt() : 0;
    }

    private Relation relation(ByteBuffer msg) {
        int xid = streamXid(msg);
        int relId = msg.getInt();
        String ns = cString(msg);
        String name = cString(msg);
        char replIdent = (char) msg.get();
        int n = msg.getShort() & 0xffff;
        List<RelationColumn> cols = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int flags = msg.get();
            String colName = cString(msg);
            cols.add(new RelationColumn((flags & 1) != 0, colName, msg.getInt(), msg.getInt()));
        }
        return new Relation(xid, relId, ns, name, replIdent, cols);
    }

    private Insert insert(ByteBuffer msg) {
        int xid = streamXid(msg);
        int relId = msg.getInt();
        expect(msg.get(), 'N', "Insert");
        return new Insert(xid, relId, tuple(msg));
    }

    private Update update(ByteBuffer msg) {
        int xid = streamXid(msg);
        int relId = msg.getInt();
        byte marker = msg.get();
        char oldKind = 0;
        TupleData old = null;
        if (marker == 'K' || marker == 'O') {
            oldKind = (char) marker;
            old = tuple(msg);
            marker = msg.get();
        }
        expect(marker, 'N', "Update");
        return new Update(xid, relId, oldKind, old, tuple(msg));
    }

    private Delete delete(ByteBuffer msg) {
        int xid = streamXid(msg);
        int relId = msg.getInt();
        byte marker = msg.get();
        if (marker != 'K' && marker != 'O') {
            throw new PgOutputFormatException("Delete: expected 'K' or 'O', got '" + (char) marker + "'");
        }
        return new Delete(xid, relId, (char) marker, tuple(msg));
    }

    private Truncate truncate(ByteBuffer msg) {
        int xid = streamXid(msg);
        int n = msg.getInt();
        int options = msg.get();
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(msg.getInt());
        }
        return new Truncate(xid, ids, (options & 1) != 0, (options & 2) != 0);
    }

    private LogicalMessage message(ByteBuffer msg) {
        int xid = streamXid(msg);
        int flags = msg.get();
        long lsn = msg.getLong();
        String prefix = cString(msg);
        int len = msg.getInt();
        byte[] content = new byte[len];
        msg.get(content);
        return new LogicalMessage(xid, (flags & 1) != 0, lsn, prefix, content);
    }

    private StreamStart streamStart(ByteBuffer msg) {
        if (inStream) {
            throw new PgOutputFormatException("StreamStart inside a streamed block");
        }
        StreamStart s = new StreamStart(msg.getInt(), msg.get() == 1);
        inStream = true;
        return s;
    }

    private StreamStop streamStop() {
        if (!inStream) {
            throw new PgOutputFormatException("StreamStop outside a streamed block");
        }
        inStream = false;
        return new StreamStop();
    }

    private static StreamAbort streamAbort(ByteBuffer msg) {
        StreamAbort a = new StreamAbort(msg.getInt(), msg.getInt());
        msg.position(msg.limit());
        return a;
    }

    /**
     * Reads a TupleData block. The block's bytes are copied once into the tuple's own array (the caller may reuse
     * the message buffer); values are addressed inside that copy.
     */
    static TupleData tuple(ByteBuffer msg) {
        if (!msg.hasArray()) {
            byte[] copy = new byte[msg.remaining()];
            msg.get(copy);
            TupleData t = tuple(ByteBuffer.wrap(copy));
            return t;
        }
        byte[] a = msg.array();
        int base = msg.arrayOffset();
        int p = base + msg.position();
        int limit = base + msg.limit();
        if (limit - p < 2) {
            throw new PgOutputFormatException("truncated tuple");
        }
        int n = (a[p] & 0xff) << 8 | (a[p + 1] & 0xff);
        p += 2;
        int start = p;
        byte[] kinds = new byte[n];
        int[] offsets = new int[n];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            if (p >= limit) {
                throw new PgOutputFormatException("truncated tuple at column " + i);
            }
            byte k = a[p++];
            kinds[i] = k;
            if (k == TupleData.TEXT || k == TupleData.BINARY) {
                if (limit - p < 4) {
                    throw new PgOutputFormatException("truncated tuple at column " + i);
                }
                int len = (a[p] & 0xff) << 24 | (a[p + 1] & 0xff) << 16 | (a[p + 2] & 0xff) << 8 | (a[p + 3] & 0xff);
                p += 4;
                if (len < 0 || len > limit - p) {
                    throw new PgOutputFormatException("tuple column " + i + " has bad length " + len);
                }
                offsets[i] = p - start;
                lengths[i] = len;
                p += len;
            } else if (k != TupleData.NULL && k != TupleData.UNCHANGED_TOAST) {
                throw new PgOutputFormatException("tuple column " + i + " has unknown kind '" + (char) k + "'");
            }
        }
        byte[] data = java.util.Arrays.copyOfRange(a, start, p);
        msg.position(p - base);
        return new TupleData(kinds, offsets, lengths, data);
    }

    private static void expect(byte got, char want, String what) {
        if (got != want) {
            throw new PgOutputFormatException(what + ": expected '" + want + "', got '" + (char) got + "'");
        }
    }

    private static String cString(ByteBuffer msg) {
        int start = msg.position();
        int end = start;
        int limit = msg.limit();
        while (end < limit && msg.get(end) != 0) {
            end++;
        }
        if (end == limit) {
            throw new PgOutputFormatException("unterminated string in pgoutput message");
        }
        byte[] b = new byte[end - start];
        msg.get(b);
        msg.get(); // the terminator
        return new String(b, StandardCharsets.UTF_8);
    }
}
