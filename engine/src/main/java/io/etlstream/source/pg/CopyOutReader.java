package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import io.etlstream.batch.ChangeBatchBuilder;
import io.etlstream.source.pg.types.CopyText;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.Encoding;
import org.postgresql.core.EncodingPredictor;
import org.postgresql.core.PGStream;
import org.postgresql.core.QueryExecutorBase;
import org.postgresql.core.VisibleBufferedInputStream;
import org.postgresql.util.DriverInfo;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code COPY ... TO STDOUT} on a pgjdbc connection and reads the response straight from its socket stream in
 * large reads into one reusable buffer, handing each row in place to a {@link ChangeBatchBuilder}: no per-row
 * {@code byte[]} as pgjdbc's CopyOut makes, and a short loop the JIT compiles early. pgjdbc still owns the connection
 * (connect, TLS/GSS, authentication, the snapshot's transaction, close); this class only borrows its stream between
 * sending a simple query and reading its ReadyForQuery. One reader per connection, used by one thread.
 *
 * <p>After a failure the connection is in no known protocol state: the owner must close it without handing it back
 * to pgjdbc ({@link #clean()} is false then).
 */
final class CopyOutReader {

    private static final Logger LOG = LoggerFactory.getLogger(CopyOutReader.class);

    /** Bytes per read: large enough that a read is rarely shorter than what the server sent meanwhile. */
    static final int DEFAULT_BUFFER = 512 * 1024;

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};

    private final InputStream in;
    private final PGStream stream; // null when reading a recorded response (benchmarks)
    private final Encoding encoding;
    private final boolean errorDetail;
    private final int bufferSize;
    private final long maxMessage;
    private byte[] buf;
    private int pos;
    private int end;

    // The copy in progress
    private ChangeBatchBuilder builder;
    private boolean binary;
    private int columns;
    private long lsn;
    private long micros;
    private boolean started; // CopyOutResponse seen
    private boolean headerRead;
    private boolean trailerRead;
    private boolean copyDone;
    private long copyRows; // in this copy, to check against CommandComplete
    private long commandRows = -1;
    private PSQLException error;
    private boolean idle = true; // after ReadyForQuery (or before the first query)
    private long rows; // since takeRows
    private long bytes; // CopyData bytes since takeBytes

    /**
     * A reader of {@code in} (a server's response, complete), for benchmarks and tests of the decode alone: nothing
     * is sent.
     */
    CopyOutReader(InputStream in, int bufferSize, long maxMessage) {
        this(in, null, Encoding.getJVMEncoding("UTF-8"), true, bufferSize, maxMessage, new byte[0]);
    }

    private CopyOutReader(InputStream in, PGStream stream, Encoding encoding, boolean errorDetail, int bufferSize,
            long maxMessage, byte[] pending) {
        this.in = in;
        this.stream = stream;
        this.encoding = encoding;
        this.errorDetail = errorDetail;
        this.bufferSize = bufferSize;
        this.maxMessage = maxMessage;
        this.buf = new byte[Math.max(bufferSize, pending.length)];
        System.arraycopy(pending, 0, buf, 0, pending.length);
        this.end = pending.length;
    }

    /**
     * A reader on pgjdbc connection {@code c}, idle (no query running). {@code maxMessage}: the largest row accepted
     * (the batch memory limit: a larger row could not be held anyway).
     *
     * @throws UserFacingException if this pgjdbc does not expose its stream as 42.7.10 does
     */
    static CopyOutReader open(Connection c, int bufferSize, long maxMessage) throws SQLException {
        BaseConnection base = c.unwrap(BaseConnection.class);
        PGStream stream = Wire.stream(base);
        VisibleBufferedInputStream input = Wire.input(stream);
        // Bytes pgjdbc already buffered belong to the next message: they start our buffer.
        int buffered = Wire.buffered(input);
        byte[] pending = new byte[buffered];
        System.arraycopy(input.getBuffer(), input.getIndex(), pending, 0, buffered);
        try {
            input.skip(buffered);
        } catch (IOException e) {
            throw new IllegalStateException("cannot take over pgjdbc's buffered input", e);
        }
        return new CopyOutReader(input.getWrapped(), stream, stream.getEncoding(), base.getLogServerErrorDetail(),
                bufferSize, maxMessage, pending);
    }

    /**
     * Sends {@code sql} (a {@code COPY ... TO STDOUT}) as a simple query and prepares to read its rows into
     * {@code builder}: binary COPY rows of {@code textColumns.length} columns, or text rows when {@code binary} is
     * false. Read them with {@link #next()}.
     */
    void start(String sql, ChangeBatchBuilder builder, boolean binary, boolean[] textColumns, long lsn, long micros)
            throws IOException {
        if (!idle) {
            throw new IllegalStateException("a COPY is still being read");
        }
        begin(builder, binary, textColumns, lsn, micros);
        byte[] q = encoding.encode(sql);
        stream.sendChar('Q');
        stream.sendInteger4(q.length + 5);
        stream.send(q);
        stream.sendChar(0);
        stream.flush();
    }

    /** As {@link #start}, without sending: the response is already in the input (benchmarks). */
    void begin(ChangeBatchBuilder builder, boolean binary, boolean[] textColumns, long lsn, long micros) {
        this.builder = builder;
        this.binary = binary;
        this.columns = textColumns.length;
        this.lsn = lsn;
        this.micros = micros;
        if (binary) {
            builder.startBinaryCopy(textColumns, lsn, micros);
        }
        started = false;
        headerRead = false;
        trailerRead = false;
        copyDone = false;
        copyRows = 0;
        commandRows = -1;
        error = null;
        idle = false;
    }

    /**
     * Reads rows into the builder until it is full (returns true: seal it, then call again) or the response ended
     * with ReadyForQuery (returns false). Never parses past ReadyForQuery; a read may take bytes the server sent after it
     * (only asynchronous messages could be), which {@link #clean()} then reports.
     *
     * @throws SQLException the server's error, as pgjdbc reports it, after its ReadyForQuery
     * @throws IOException on a broken connection
     * @throws IllegalStateException when the response is not a COPY of the expected rows
     */
    boolean next() throws IOException, SQLException {
        ChangeBatchBuilder b = builder;
        byte[] m = buf;
        int p = pos;
        while (true) {
            if (end - p < 5) {
                pos = p;
                fill(4);
                m = buf;
                p = pos;
                continue;
            }
            int len = be32(m, p + 1);
            if (end - p - 1 < len) {
                pos = p;
                fill(len);
                m = buf;
                p = pos;
                continue;
            }
            if (len < 4) {
                throw protocol("message length " + len);
            }
            byte type = m[p];
            int body = p + 5;
            int msgEnd = p + 1 + len;
            if (type == 'd' && binary) {
                int q = headerRead ? body : header(m, body, msgEnd);
                short fields = msgEnd - q >= 2 ? (short) ((m[q] << 8) | (m[q + 1] & 0xff)) : Short.MIN_VALUE;
                if (fields == columns && !trailerRead) {
                    if (b.appendBinaryCopyRow(m, q + 2, msgEnd) != msgEnd) {
                        throw protocol("a binary COPY row is shorter than its message");
                    }
                    rows++;
                    copyRows++;
                } else {
                    trailer(fields, q, msgEnd);
                }
                bytes += msgEnd - body;
                p = msgEnd;
                if (b.isFull()) {
                    pos = p;
                    return true;
                }
            } else if (type == 'd') {
                textRow(m, body, msgEnd);
                bytes += msgEnd - body;
                p = msgEnd;
                if (b.isFull()) {
                    pos = p;
                    return true;
                }
            } else {
                pos = msgEnd;
                if (control(type, m, body, msgEnd)) {
                    return false;
                }
                m = buf;
                p = pos;
            }
        }
    }

    private void textRow(byte[] m, int body, int msgEnd) throws IOException {
        if (!started || copyDone) {
            throw protocol("CopyData outside of a COPY");
        }
        int len = msgEnd - body;
        if (len > 0 && m[msgEnd - 1] == '\n') {
            len--;
        }
        builder.appendSnapshotRow(CopyText.parseRow(m, body, len, columns), lsn, micros);
        rows++;
        copyRows++;
    }

    /** Checks the binary COPY header at {@code p}; returns where the first row starts. */
    private int header(byte[] m, int p, int msgEnd) throws IOException {
        if (!started || copyDone) {
            throw protocol("CopyData outside of a COPY");
        }
        if (msgEnd - p < SIGNATURE.length + 8 + 2) {
            throw protocol("binary COPY header missing");
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (m[p + i] != SIGNATURE[i]) {
                throw protocol("not binary COPY data");
            }
        }
        p += SIGNATURE.length + 4; // flags: bit 16 (OIDs) is never set for a column list
        int extension = be32(m, p);
        p += 4;
        if (extension < 0 || extension > msgEnd - p - 2) {
            throw protocol("binary COPY header extension runs past its message");
        }
        headerRead = true;
        return p + extension;
    }

    /** A binary CopyData message that is not a row: the trailer, or wrong data. */
    private void trailer(short fields, int q, int msgEnd) throws IOException {
        if (!started || copyDone) {
            throw protocol("CopyData outside of a COPY");
        }
        if (trailerRead) {
            throw protocol("binary COPY data after its trailer");
        }
        if (fields == -1) {
            if (q + 2 != msgEnd) {
                throw protocol("binary COPY data after its trailer");
            }
            trailerRead = true;
            return;
        }
        if (fields == Short.MIN_VALUE) {
            throw protocol("binary COPY row without its field count");
        }
        throw protocol("COPY row has " + fields + " columns, expected " + columns);
    }

    /** Handles a message other than CopyData; true on ReadyForQuery (the response is complete). */
    private boolean control(byte type, byte[] m, int body, int msgEnd) throws IOException, SQLException {
        switch (type) {
            case 'H' -> {
                if (started || msgEnd - body < 3) {
                    throw protocol("unexpected CopyOutResponse");
                }
                int format = m[body];
                int n = (m[body + 1] & 0xff) << 8 | m[body + 2] & 0xff;
                if (format != (binary ? 1 : 0) || n != columns) {
                    throw protocol("the server sends COPY " + (format == 1 ? "binary" : "text") + " of " + n
                            + " columns, expected " + (binary ? "binary" : "text") + " of " + columns);
                }
                started = true;
            }
            case 'c' -> copyDone = true;
            case 'C' -> {
                String tag = new String(m, body, Math.max(0, msgEnd - body - 1), StandardCharsets.US_ASCII);
                if (tag.startsWith("COPY ")) {
                    commandRows = Long.parseLong(tag.substring(5).trim());
                }
            }
            case 'E' -> {
                PSQLException e = new PSQLException(serverMessage(m, body, msgEnd - body),
                        errorDetail);
                if (error == null) {
                    error = e;
                } else {
                    error.setNextException(e);
                }
            }
            case 'N' -> {
                if (LOG.isDebugEnabled()) {
                    LOG.debug("notice during a snapshot COPY: {}", serverMessage(m, body, msgEnd - body));
                }
            }
            case 'S', 'A' -> {
                // ParameterStatus, NotificationResponse: nothing the copy needs
            }
            case 'Z' -> {
                idle = true;
                builder = null;
                if (error != null) {
                    throw error;
                }
                if (!started) {
                    throw protocol("the query sent no COPY");
                }
                if (binary && !trailerRead) {
                    throw protocol("binary COPY ended without its trailer");
                }
                if (!copyDone || commandRows != copyRows) {
                    throw protocol("COPY reported " + commandRows + " rows, " + copyRows + " arrived");
                }
                return true;
            }
            default -> throw protocol("unexpected message '" + (char) type + "'");
        }
        return false;
    }

    /** An ErrorResponse or NoticeResponse body, decoded as pgjdbc decodes it. */
    private ServerErrorMessage serverMessage(byte[] m, int off, int len) {
        try {
            return new ServerErrorMessage(encoding.decode(m, off, len));
        } catch (IOException e) {
            EncodingPredictor.DecodeResult r = EncodingPredictor.decode(m, off, len);
            return r != null ? new ServerErrorMessage(r)
                    : new ServerErrorMessage(new String(m, off, len, StandardCharsets.ISO_8859_1));
        }
    }

    /**
     * Makes the message at {@code pos} ({@code len}: its length field, 4 for just the type and length) available:
     * moves the unread tail to the front, grows the buffer for a message larger than it (and shrinks it back once such
     * a message is read), reads from the stream.
     */
    private void fill(int len) throws IOException, SQLException {
        if (len < 4 || len > Integer.MAX_VALUE - 64) {
            throw protocol("message length " + len);
        }
        if (len - 4L > maxMessage) {
            throw new UserFacingException("a COPY row of " + (len - 4L) + " bytes exceeds the batch memory limit of "
                    + maxMessage + " bytes: raise the source's memory limit (--source-max-memory-bytes)");
        }
        int need = len + 1;
        int tail = end - pos;
        byte[] target = buf;
        if (need > buf.length) {
            // exactly the message: the buffer is on the heap, and doubling past a large row would hold up to twice
            // the largest row per worker; the next message's read then shrinks it back
            target = new byte[need];
        } else if (buf.length > bufferSize && need <= bufferSize && tail <= bufferSize) {
            target = new byte[bufferSize];
        }
        if (pos > 0 || target != buf) {
            System.arraycopy(buf, pos, target, 0, tail);
            buf = target;
            pos = 0;
            end = tail;
        }
        while (end - pos < need) {
            int r;
            try {
                r = in.read(buf, end, buf.length - end);
            } catch (IOException e) {
                idle = false;
                if (error != null) {
                    error.addSuppressed(e); // a FATAL error, then a reset instead of an orderly close
                    throw error;
                }
                throw e;
            }
            if (r < 0) {
                idle = false;
                if (error != null) {
                    throw error; // a FATAL error ends the connection without ReadyForQuery
                }
                throw new EOFException("the server closed the connection during a COPY");
            }
            end += r;
        }
    }

    /** Not transient: a response this reader cannot follow would come again on a retry. */
    private static IllegalStateException protocol(String what) {
        return new IllegalStateException("snapshot COPY protocol error: " + what);
    }

    private static int be32(byte[] b, int p) {
        return (b[p] << 24) | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
    }

    /** Rows read since the last call. */
    long takeRows() {
        long r = rows;
        rows = 0;
        return r;
    }

    /** CopyData bytes read since the last call. */
    long takeBytes() {
        long r = bytes;
        bytes = 0;
        return r;
    }

    /**
     * True when the connection can go back to pgjdbc: the last response was read to its ReadyForQuery and nothing
     * after it was read.
     */
    boolean clean() {
        return idle && pos == end;
    }

    /** Bytes of the read buffer now: back to its usual size once a larger message is read. */
    int bufferCapacity() {
        return buf.length;
    }

    /** pgjdbc 42.7.10's internals this reader borrows; looked up once. */
    static final class Wire {
        private static final Field STREAM;
        private static final Field INPUT;
        private static final Field END_INDEX;
        private static final RuntimeException MISSING;

        static {
            Field stream = null;
            Field input = null;
            Field endIndex = null;
            RuntimeException missing = null;
            try {
                stream = field(QueryExecutorBase.class, "pgStream");
                input = field(PGStream.class, "pgInput");
                endIndex = field(VisibleBufferedInputStream.class, "endIndex");
            } catch (RuntimeException e) {
                missing = e;
            }
            STREAM = stream;
            INPUT = input;
            END_INDEX = endIndex;
            MISSING = missing;
        }

        private Wire() {
        }

        /** {@code owner}'s declared field {@code name}, made accessible. */
        static Field field(Class<?> owner, String name) {
            try {
                Field f = owner.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException | RuntimeException e) {
                throw new UserFacingException("the snapshot copy reads COPY rows from pgjdbc's connection stream, but"
                        + " pgjdbc " + DriverInfo.DRIVER_VERSION + " has no field " + owner.getName() + "." + name
                        + " (found in 42.7.10): run etl-stream with the pgjdbc version it was built with", e);
            }
        }

        static PGStream stream(BaseConnection c) {
            check();
            if (!(c.getQueryExecutor() instanceof QueryExecutorBase qe)) {
                throw new UserFacingException("the snapshot copy needs pgjdbc's protocol-3 query executor, this"
                        + " connection has " + c.getQueryExecutor().getClass().getName());
            }
            return (PGStream) get(STREAM, qe);
        }

        static VisibleBufferedInputStream input(PGStream s) {
            return (VisibleBufferedInputStream) get(INPUT, s);
        }

        static int buffered(VisibleBufferedInputStream in) {
            return (Integer) get(END_INDEX, in) - in.getIndex();
        }

        private static void check() {
            if (MISSING != null) {
                throw MISSING;
            }
        }

        private static Object get(Field f, Object o) {
            try {
                return f.get(o);
            } catch (IllegalAccessException e) {
                throw new UserFacingException("cannot read pgjdbc's " + f + " for the snapshot copy: " + e, e);
            }
        }
    }
}
