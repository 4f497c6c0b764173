package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.PGStream;
import org.postgresql.core.QueryExecutorBase;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pgoutput stream from the pipeline's slot over its own replication connection.
 *
 * <p>Not thread-safe, like pgjdbc's {@link PGReplicationStream} under it: exactly one thread (the source's reader)
 * calls every method. That thread never blocks for long in here: {@link #next(long)} polls with
 * {@code readPending}, and a reader waiting for room downstream calls {@link #keepAlive()}, so status feedback keeps
 * reaching the walsender and {@code wal_sender_timeout} never fires while the destination is slow.
 */
public final class ReplicationStream implements AutoCloseable {

    /**
     * How the stream is opened: protocol and options chosen from the server version. {@code silenceLimit}: how long
     * the reader may wait on the stream without hearing from the server (data or a keepalive) before the connection
     * is taken for dead; {@link Duration#ZERO} = never.
     */
    public record Options(int protoVersion, boolean streaming, boolean messages, Duration statusInterval,
            boolean automaticFlush, Duration silenceLimit) {

        public Options(int protoVersion, boolean streaming, boolean messages, Duration statusInterval,
                boolean automaticFlush) {
            this(protoVersion, streaming, messages, statusInterval, automaticFlush, Duration.ZERO);
        }

        /** proto 2 with streaming and messages on 14+, proto 1 on 10-13. */
        public static Options forServer(int serverVersionNum, Duration statusInterval) {
            boolean v14 = serverVersionNum >= 140000;
            return new Options(v14 ? 2 : 1, v14, v14, statusInterval, true);
        }

        public Options withSilenceLimit(Duration limit) {
            return new Options(protoVersion, streaming, messages, statusInterval, automaticFlush, limit);
        }
    }

    private final Connection connection;
    private final PGReplicationStream stream;
    private final long keepAliveNanos;
    private long confirmed;
    private long lastKeepAlive = System.nanoTime();
    private long lastForcedConfirm;
    private static final long CONFIRM_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How often an idle stream checks its socket for end-of-stream: a dead server shows within about this. */
    static final long EOF_PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationStream.class);
    private static volatile boolean probeUnavailableLogged;
    /** How long a clean close waits for the server's answer to CopyDone. */
    static final int CLOSE_TIMEOUT_MS = 10_000;
    /** pgjdbc's wire stream under the replication connection; null if this pgjdbc does not expose it. */
    private final PGStream wire;
    private long nextEofProbe = System.nanoTime() + EOF_PROBE_NANOS;

    /**
     * pgjdbc's last server position from a keepalive: {@code processKeepAliveMessage} stores a new object for every
     * keepalive, so a changed reference means one arrived ({@code readPending} swallows keepalives). Null if this
     * pgjdbc has no such field: then the silence limit is off.
     */
    private static final Field KEEPALIVE_LSN = keepaliveField();
    private final long silenceLimitNanos;
    /** Ask for a reply once the server was silent this long (a third of the limit), at most this often. */
    private final long replyRequestNanos;
    /** Time the reader spent waiting in {@link #next} since it last heard from the server. */
    private long silentNanos;
    private long lastReplyRequest;
    private Object lastKeepaliveSeen;
    private long messages;
    private final int backendPid;
    private volatile boolean aborted;
    private final long openedAt = System.nanoTime();

    private ReplicationStream(Connection connection, PGReplicationStream stream, long startLsn, Options options) {
        this.connection = connection;
        this.stream = stream;
        this.wire = wireOf(connection);
        this.confirmed = startLsn;
        this.keepAliveNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(200), options.statusInterval().toNanos() / 2);
        long limit = options.silenceLimit() == null ? 0 : options.silenceLimit().toNanos();
        if (limit > 0 && KEEPALIVE_LSN == null) {
            LOG.warn("this pgjdbc does not show when a keepalive arrives: the replication connection's silence limit"
                    + " is off (a connection lost without a close shows only when the operating system gives up on it)");
            limit = 0;
        }
        this.silenceLimitNanos = limit;
        this.replyRequestNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(100), limit / 3);
        this.lastKeepaliveSeen = keepaliveMarker();
        this.backendPid = backendPidOf(connection);
    }

    /**
     * Starts streaming {@code slot} for {@code publication} from {@code startLsn} (0 = the slot's confirmed position).
     * Transactions that committed at or before the start position are not sent again.
     */
    public static ReplicationStream open(PgConnector connector, String slot, String publication, long startLsn,
            Options options) {
        Connection c = connector.connectReplication("stream");
        try {
            options = options.withSilenceLimit(effectiveSilenceLimit(options.silenceLimit(), walSenderTimeout(c)));
            var builder = c.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                    .withSlotName(slot)
                    .withStartPosition(LogSequenceNumber.valueOf(startLsn))
                    .withSlotOption("proto_version", String.valueOf(options.protoVersion()))
                    .withSlotOption("publication_names", publication)
                    .withStatusInterval((int) options.statusInterval().toMillis(), TimeUnit.MILLISECONDS)
                    .withAutomaticFlush(options.automaticFlush());
            if (options.streaming()) {
                builder = builder.withSlotOption("streaming", "on");
            }
            if (options.messages()) {
                builder = builder.withSlotOption("messages", "true");
            }
            PGReplicationStream s = builder.start();
            return new ReplicationStream(c, s, startLsn, options);
        } catch (SQLException e) {
            closeQuietly(c);
            throw explainStart(slot, e);
        }
    }

    /** The least margin above {@code wal_sender_timeout / 2} that the silence limit keeps (see below). */
    static final Duration WAL_SENDER_MARGIN = Duration.ofSeconds(2);
    private static volatile Duration lastRaiseLogged;
    /** Tests turn the floor off to see what the source does on a server whose walsender never answers in a replay. */
    static volatile boolean walSenderTimeoutFloor = true;

    /**
     * A walsender replaying a large transaction at its commit whose changes are all filtered out (a table outside the
     * publication, an empty transaction) sends nothing, and reads the reader's reply requests only once
     * {@code wal_sender_timeout / 2} has passed since it last heard from the reader. A silence limit below that would
     * give up on a healthy walsender, and the next one would decode the same transaction again: so the limit is at
     * least half the server's {@code wal_sender_timeout} plus the larger of half the limit and
     * {@link #WAL_SENDER_MARGIN}. With the default 60 s of both that changes nothing. {@code walSenderTimeout} null
     * (unknown) or zero (then the walsender looks for replies at every progress update): {@code limit} as it is.
     */
    static Duration effectiveSilenceLimit(Duration limit, Duration walSenderTimeout) {
        if (limit == null || limit.isZero() || walSenderTimeout == null || walSenderTimeout.isZero()
                || !walSenderTimeoutFloor) {
            return limit;
        }
        Duration margin = limit.dividedBy(2).compareTo(WAL_SENDER_MARGIN) > 0 ? limit.dividedBy(2) : WAL_SENDER_MARGIN;
        Duration floor = walSenderTimeout.dividedBy(2).plus(margin);
        if (floor.compareTo(limit) <= 0) {
            return limit;
        }
        if (!floor.equals(lastRaiseLogged)) {
            lastRaiseLogged = floor;
            LOG.warn("the replication timeout ({} s) is raised to {} s on this connection: the server's"
                    + " wal_sender_timeout is {} s, and a walsender replaying a large transaction whose changes are all"
                    + " filtered out answers only every wal_sender_timeout/2; lower wal_sender_timeout to keep the"
                    + " replication timeout as configured", limit.toMillis() / 1000.0, floor.toMillis() / 1000.0,
                    walSenderTimeout.toMillis() / 1000.0);
        }
        return floor;
    }

    /** The server's {@code wal_sender_timeout}, or null if it cannot be read (then the limit stays as configured). */
    private static Duration walSenderTimeout(Connection c) {
        try {
            // Just logged in, but a path that dies now must not hang the reader: the stream resets this to none.
            c.setNetworkTimeout(Runnable::run, SlotManager.QUERY_TIMEOUT_SECONDS * 1000);
            try (var st = c.createStatement(); var rs = st.executeQuery("SHOW wal_sender_timeout")) {
                return rs.next() ? parsePgDuration(rs.getString(1)) : null;
            } finally {
                c.setNetworkTimeout(Runnable::run, 0);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cannot read wal_sender_timeout: {}", e.toString());
            return null;
        }
    }

    /** A PostgreSQL time setting as SHOW prints it ("1min", "60s", "500ms", "0"); null if not understood. */
    static Duration parsePgDuration(String text) {
        var m = java.util.regex.Pattern.compile("\\s*(\\d+)\\s*(ms|s|min|h|d)?\\s*").matcher(String.valueOf(text));
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "s" -> Duration.ofSeconds(n);
            case "min" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofMillis(n);
        };
    }

    /**
     * The next pgoutput message, or null if none arrived within {@code waitNanos}. Status updates go out inside.
     * The returned buffer is only valid until the next call.
     */
    public ByteBuffer next(long waitNanos) throws SQLException {
        return next(waitNanos, () -> false);
    }

    /** As {@link #next(long)}, giving up early (null) as soon as {@code giveUp} is true: a stop need not wait out the poll. */
    public ByteBuffer next(long waitNanos, java.util.function.BooleanSupplier giveUp) throws SQLException {
        long deadline = System.nanoTime() + waitNanos;
        long waitingSince = System.nanoTime();
        while (true) {
            ByteBuffer b = stream.readPending();
            long now = System.nanoTime();
            if (b != null) {
                messages++;
                silentNanos = 0;
                return b;
            }
            Object marker = keepaliveMarker();
            if (marker != lastKeepaliveSeen) {
                lastKeepaliveSeen = marker;
                silentNanos = 0;
            } else {
                // Only time spent waiting here counts: while the reader waits for the sink it reads nothing, and
                // what the server sent meanwhile is still in the socket.
                silentNanos += now - waitingSince;
            }
            waitingSince = now;
            if (silenceLimitNanos > 0) {
                checkSilence(now);
            }
            if (now - nextEofProbe >= 0) {
                nextEofProbe = now + EOF_PROBE_NANOS;
                failIfEndOfStream();
            }
            long left = deadline - now;
            if (left <= 0 || giveUp.getAsBoolean()) {
                return null;
            }
            // Short parks: readPending costs a socket poll, and a message waiting 0.5 ms is of no consequence.
            LockSupport.parkNanos(Math.min(left, 500_000L));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /**
     * A connection whose peer vanished without a FIN or RST (host gone, NAT or load balancer lost its state) reads
     * nothing and writes into the kernel's buffer without error for many minutes. So once the server was silent for a
     * third of the limit the reader asks for a reply (pgjdbc's forced status update sets the reply-requested byte;
     * the walsender answers with a keepalive, also while it decodes a large transaction), and after the whole limit
     * without an answer the connection counts as lost.
     */
    private void checkSilence(long now) throws SQLException {
        if (silentNanos >= silenceLimitNanos) {
            throw new SilenceException(silenceLimitNanos);
        }
        if (silentNanos >= replyRequestNanos && now - lastReplyRequest >= replyRequestNanos) {
            lastReplyRequest = now;
            lastKeepAlive = now;
            stream.forceUpdateStatus();
        }
    }

    /** The server did not answer within the silence limit: the connection is taken for lost (retried). */
    public static final class SilenceException extends PSQLException {
        private static final long serialVersionUID = 1L;

        SilenceException(long limitNanos) {
            super("PostgreSQL did not answer on the replication connection for " + seconds(limitNanos) + " s (the"
                    + " server or the network path to it is gone, or a firewall, NAT or load balancer dropped the"
                    + " connection); reconnecting", PSQLState.CONNECTION_FAILURE);
        }

        private static String seconds(long nanos) {
            return String.valueOf(Math.round(nanos / 1e8) / 10.0).replaceAll("\\.0$", "");
        }
    }

    private Object keepaliveMarker() {
        if (KEEPALIVE_LSN == null) {
            return null;
        }
        try {
            return KEEPALIVE_LSN.get(stream);
        } catch (IllegalAccessException | IllegalArgumentException e) {
            return null;
        }
    }

    private static Field keepaliveField() {
        try {
            Field f = Class.forName("org.postgresql.core.v3.replication.V3PGReplicationStream")
                    .getDeclaredField("lastServerLSN");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static int backendPidOf(Connection c) {
        try {
            return c.unwrap(PGConnection.class).getBackendPID();
        } catch (SQLException | RuntimeException e) {
            return 0;
        }
    }

    /** The process id of this connection's walsender on the server (0 if unknown). */
    public int backendPid() {
        return backendPid;
    }

    /** {@link System#nanoTime()} when this stream started. */
    public long openedAtNanos() {
        return openedAt;
    }

    /** The silence limit in force on this connection, in nanoseconds (0 = none). */
    public long silenceLimitNanos() {
        return silenceLimitNanos;
    }

    /** Data messages received on this connection so far. */
    public long messagesReceived() {
        return messages;
    }

    /** True if this pgjdbc lets the stream see keepalives, which the silence limit needs. */
    static boolean seesKeepalives() {
        return KEEPALIVE_LSN != null;
    }

    /**
     * pgjdbc's {@code readPending} takes end-of-stream for "no message yet" (its non-blocking read cannot tell them
     * apart), so a closed connection would only show when the next status update fails to send: up to two status
     * intervals later. This peeks one byte with a 1 ms socket timeout instead: a timeout means the connection is
     * open and idle, end-of-stream or a reset means it is gone. A byte that did arrive stays in pgjdbc's buffer for
     * the next {@code readPending}.
     *
     * <p>On a TLS connection the read goes through the JDK's SSLSocket and may time out in the middle of a TLS record.
     * That is the same read pgjdbc's own {@code readPending} makes on every call on a replication connection (it sets
     * its available-check delay to 0 and peeks with a 1 ms timeout, because SSLSocket's {@code available()} only
     * counts decrypted bytes), so the probe adds no new kind of read; PgSourceTlsProbeTest streams large rows over
     * TLS through a proxy that splits records, with no loss or corruption, and checks that a dead TLS connection is
     * seen as quickly as a plain one.
     */
    private void failIfEndOfStream() throws SQLException {
        if (wire == null || stream.isClosed()) {
            return;
        }
        int saved;
        try {
            saved = wire.getNetworkTimeout();
        } catch (IOException e) {
            throw lost(e);
        }
        int head;
        try {
            wire.setNetworkTimeout(1);
            head = wire.peekChar();
        } catch (SocketTimeoutException idle) {
            return; // open, nothing to read yet (the finally block restores the timeout)
        } catch (EOFException e) {
            throw lost(e);
        } catch (IOException e) {
            throw lost(e);
        } finally {
            try {
                wire.setNetworkTimeout(saved);
            } catch (IOException ignored) {
                // the socket is gone: the failure above (or the next read) reports it
            }
        }
        if (head == 'C') {
            throw ended();
        }
    }

    /**
     * A walsender that ends the stream on its own (fast shutdown of the server, among others) sends CommandComplete
     * and closes. pgjdbc's non-blocking read leaves a CommandComplete unread "until CopyDone", so {@code readPending}
     * returns null for ever and the probe's peek sees that byte, not the end of the connection behind it. Nothing but
     * CopyData comes while the stream runs: a CommandComplete at the head of the buffer is the end of the stream.
     */
    private static PSQLException ended() {
        return new PSQLException("the server ended the replication stream (it is shutting down, or its walsender was"
                + " stopped); reconnecting", PSQLState.CONNECTION_FAILURE);
    }

    private static PSQLException lost(IOException e) {
        String why = e instanceof EOFException ? "the server closed the replication connection"
                : "the replication connection failed (" + e.getMessage() + ")";
        return new PSQLException(why, PSQLState.CONNECTION_FAILURE, e);
    }

    /**
     * pgjdbc has no public way to the wire stream of a connection; its query executor holds it in a protected field.
     * Without it (another pgjdbc) the stream still works, only a dead server shows later.
     */
    private static PGStream wireOf(Connection c) {
        try {
            var executor = c.unwrap(BaseConnection.class).getQueryExecutor();
            if (executor instanceof QueryExecutorBase) {
                var f = QueryExecutorBase.class.getDeclaredField("pgStream");
                f.setAccessible(true);
                return (PGStream) f.get(executor);
            }
        } catch (ReflectiveOperationException | SQLException | RuntimeException e) {
            if (!probeUnavailableLogged) {
                probeUnavailableLogged = true;
                LOG.warn("cannot reach pgjdbc's connection stream ({}): a closed replication connection will only be"
                        + " noticed at the next status update", e.toString());
            }
        }
        return null;
    }

    /** WAL position of the start of the last message received. */
    public long lastReceiveLsn() {
        return stream.getLastReceiveLSN().asLong();
    }

    /** The last position reported to the server as flushed (durable in the destination). */
    public long confirmedLsn() {
        return confirmed;
    }

    /**
     * Reports {@code lsn} as flushed: PostgreSQL may recycle WAL before it. Call it only with what the destination
     * made durable (a commit's end LSN).
     */
    public void confirm(long lsn) throws SQLException {
        if (lsn <= confirmed) {
            return;
        }
        confirmed = lsn;
        LogSequenceNumber l = LogSequenceNumber.valueOf(lsn);
        stream.setFlushedLSN(l);
        stream.setAppliedLSN(l);
        // Not one status message per transaction: at most every CONFIRM_NANOS, and pgjdbc's own status interval
        // carries the latest position in between.
        long now = System.nanoTime();
        if (now - lastForcedConfirm >= CONFIRM_NANOS) {
            stream.forceUpdateStatus();
            lastForcedConfirm = now;
            lastKeepAlive = now;
        }
    }

    /**
     * Reports {@code lsn} as flushed (if it is beyond what was reported) and sends the status update now, whatever
     * the rate limit of {@link #confirm}: the last word before a clean close, so the next run starts after it.
     */
    public void confirmNow(long lsn) throws SQLException {
        if (lsn > confirmed) {
            confirmed = lsn;
            LogSequenceNumber l = LogSequenceNumber.valueOf(lsn);
            stream.setFlushedLSN(l);
            stream.setAppliedLSN(l);
        }
        stream.forceUpdateStatus();
        long now = System.nanoTime();
        lastForcedConfirm = now;
        lastKeepAlive = now;
    }

    /** Sends a status update if none went out for half the status interval: call it while waiting downstream. */
    public void keepAlive() throws SQLException {
        long now = System.nanoTime();
        if (now - lastKeepAlive >= keepAliveNanos) {
            stream.forceUpdateStatus();
            lastKeepAlive = now;
        }
    }

    public boolean isClosed() {
        return stream.isClosed();
    }

    @Override
    public void close() {
        if (aborted) {
            closeQuietly(connection);
            return;
        }
        try {
            if (!stream.isClosed()) {
                // The CopyDone handshake waits for the server's answer: on a path that died without anyone noticing
                // yet (a stop within the replication timeout of an outage) it would wait until the operating system
                // gives up on the connection. A live walsender answers at once.
                connection.setNetworkTimeout(Runnable::run, CLOSE_TIMEOUT_MS);
                stream.close();
            }
        } catch (SQLException ignored) {
            // the connection is closed next; a broken stream cannot be closed cleanly
        } finally {
            closeQuietly(connection);
        }
    }

    /**
     * Closes the socket without the CopyDone handshake: what a crash looks like to the server. Also the only way out
     * of a connection that went silent: the handshake would wait for the server's answer without a time limit.
     */
    void abort() {
        aborted = true;
        try {
            connection.abort(Runnable::run);
        } catch (SQLException ignored) {
            // best effort: the point is to drop the connection
        }
    }

    static UserFacingException explainStart(String slot, SQLException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("does not exist") && m.contains("slot")) {
            return new SlotMissingException("replication slot " + slot + " does not exist on the source: it was dropped"
                    + " outside etl-stream; resync the pipeline (it creates the slot again and copies the tables)", e);
        }
        if (m.contains("can no longer get changes") || m.contains("invalidated") || m.contains("has been invalidated")
                || m.contains("removed") && m.contains("WAL")) {
            return new SlotInvalidatedException(slot, e);
        }
        if ("55006".equals(e.getSQLState()) || m.contains("is active for PID")) {
            return new UserFacingException("replication slot " + slot + " is in use by another process (" + m
                    + "): stop the other reader, or wait for the old connection to time out", e);
        }
        return new UserFacingException("cannot start streaming from slot " + slot + ": " + m
                + "; run `etl-stream doctor` to check the source", e);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing left to do with a failed connection
        }
    }

    /** The slot is gone: not retried, the pipeline needs a resync. */
    public static class SlotMissingException extends UserFacingException {
        private static final long serialVersionUID = 1L;

        public SlotMissingException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The slot's WAL was removed ({@code wal_status = lost}): only a resync recovers. Not retried. */
    public static final class SlotInvalidatedException extends SlotMissingException {
        private static final long serialVersionUID = 1L;

        public SlotInvalidatedException(String slot, Throwable cause) {
            super("replication slot " + slot + " was invalidated by PostgreSQL (wal_status = lost: the WAL it needed"
                    + " was removed, usually because max_slot_wal_keep_size was exceeded): changes since then are lost;"
                    + " resync the pipeline (it drops the slot, creates a new one and copies the tables again) and"
                    + " consider raising max_slot_wal_keep_size", cause);
        }
    }
}
