package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeBatchBuilder;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.types.ColumnMapping;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.postgresql.core.BaseConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies tables as of an exported snapshot: each table (each leaf partition of a partitioned one) is cut into ctid
 * page ranges, and N connections — each one transaction on the snapshot — run {@code COPY (SELECT ...) TO STDOUT}
 * over them. Rows become {@link ChangeBatch}es ({@code _op = I}, {@code _commit_lsn} = the slot's consistent point)
 * in the delivery queue; after a table's last batch comes a {@link DeliveryQueue.SnapshotDone} marker. The worker
 * connections are owned here and closed in {@code finally}.
 *
 * <p>{@link Format#BINARY} (the default) reads scalar columns in their binary send format, which costs the server
 * and the JVM far less than text (no float/timestamp formatting and parsing, no escapes); every other column is
 * selected as the text of its type's output function, exactly what text COPY and pgoutput carry. Both formats give
 * the same Arrow values ({@code SnapshotBinaryTextTest}).
 */
final class SnapshotCopier {

    /** How COPY sends rows. */
    enum Format { TEXT, BINARY }

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCopier.class);

    /** Target size of one ctid range: small enough that N workers finish close together. */
    private static final long CHUNK_BYTES = 16L * 1024 * 1024;

    /** How long an interrupted copy waits for its workers once their sockets are dropped. */
    private static final long STOP_WAIT_NANOS = 5_000_000_000L;

    private final PgConnector connector;
    private final BufferAllocator allocator;
    private final BatchLimits limits;
    private final int connections;
    private final Consumer<SnapshotProgress> progress;
    private final Format format;
    private final UserArrayTypes userArrays;

    SnapshotCopier(PgConnector connector, BufferAllocator allocator, BatchLimits limits, int connections,
            Consumer<SnapshotProgress> progress) {
        this(connector, allocator, limits, connections, progress, Format.BINARY);
    }

    SnapshotCopier(PgConnector connector, BufferAllocator allocator, BatchLimits limits, int connections,
            Consumer<SnapshotProgress> progress, Format format) {
        this(connector, allocator, limits, connections, progress, format, new UserArrayTypes());
    }

    /** {@code userArrays}: the source's own lookup, shared with its stream and kept across reconnects. */
    SnapshotCopier(PgConnector connector, BufferAllocator allocator, BatchLimits limits, int connections,
            Consumer<SnapshotProgress> progress, Format format, UserArrayTypes userArrays) {
        this.userArrays = userArrays;
        this.format = format;
        this.connector = connector;
        this.allocator = allocator;
        this.limits = limits;
        this.connections = Math.max(1, connections);
        this.progress = progress;
    }

    private record Chunk(TableId table, String relation, long fromPage, long toPage /* -1 = open end */) {}

    private static final class TableWork {
        final TableSchema schema;
        final String columnList;
        final boolean[] textColumns; // binary format: columns selected as output-function text
        final long estimatedBytes;
        final long estimatedRows; // -1: never analyzed
        final java.util.concurrent.atomic.AtomicBoolean announced = new java.util.concurrent.atomic.AtomicBoolean();
        final AtomicInteger chunksLeft = new AtomicInteger();
        int chunks; // all of the table's chunks, set while planning
        final AtomicLong rows = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        volatile long started = System.nanoTime();
        volatile long lastReport = System.nanoTime();

        TableWork(TableSchema schema, String columnList, boolean[] textColumns, long estimatedBytes,
                long estimatedRows) {
            this.estimatedRows = estimatedRows;
            this.schema = schema;
            this.columnList = columnList;
            this.textColumns = textColumns;
            this.estimatedBytes = estimatedBytes;
        }
    }

    /** Copies {@code tables}; returns when every row and marker is in {@code out}. */
    void copy(List<TableId> tables, ExportedSnapshot snapshot, DeliveryQueue out) {
        if (tables.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        warmUpArrow();
        Map<TableId, TableWork> work = new HashMap<>(); // filled before {@code planned} opens, read-only after
        ConcurrentLinkedQueue<Chunk> chunks = new ConcurrentLinkedQueue<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch plannedLatch = new CountDownLatch(1);
        long snapshotMicros = Instant.now().toEpochMilli() * 1000;
        // The workers connect and join the snapshot while the tables are planned: on a short copy, connection set-up
        // is a good part of the time. A worker that finds no chunk (a table of fewer pages than workers, PostgreSQL
        // before 14) just closes its connection.
        int n = connections;
        long[] attached = new long[n]; // per worker: when its transaction joined the snapshot, then when it ended
        long[] finished = new long[n];
        List<Thread> workers = new ArrayList<>();
        // per worker: its connection while open, so an interrupted copy can drop the sockets its workers block on
        AtomicReferenceArray<BaseConnection> sockets = new AtomicReferenceArray<>(n);
        for (int i = 0; i < n; i++) {
            int index = i;
            Thread t = new Thread(() -> {
                try {
                    worker(snapshot, chunks, work, out, snapshotMicros, failure, plannedLatch, attached, finished,
                            index, sockets);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    chunks.clear();
                }
            }, "etl-stream-snapshot-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
        long planned = 0;
        try {
            List<TableId> empty = planAndAnnounce(tables, snapshot, out, work, chunks);
            planned = System.nanoTime();
            plannedLatch.countDown();
            for (TableId t : empty) {
                report(work.get(t), true, true);
                out.put(new DeliveryQueue.SnapshotDone(t), null);
            }
        } catch (Exception e) {
            failure.compareAndSet(null, e instanceof UserFacingException ? e
                    : new UserFacingException("the snapshot copy was interrupted: " + e.getMessage(), e));
            chunks.clear();
        } finally {
            plannedLatch.countDown(); // also on failure: the workers see it and stop
        }
        try {
            for (Thread t : workers) {
                t.join();
            }
        } catch (InterruptedException e) {
            chunks.clear();
            workers.forEach(Thread::interrupt);
            failure.compareAndSet(null, e);
            // A worker blocked in a socket read does not see the interrupt: drop its socket, then wait (bounded) so
            // that no worker queues a batch after this copy has returned.
            for (int i = 0; i < n; i++) {
                BaseConnection c = sockets.get(i);
                if (c != null) {
                    try {
                        c.getQueryExecutor().abort();
                    } catch (RuntimeException ignored) {
                        // closing anyway: nothing more to do
                    }
                }
            }
            long deadline = System.nanoTime() + STOP_WAIT_NANOS;
            for (Thread t : workers) {
                long left = deadline - System.nanoTime();
                while (t.isAlive() && left > 0) {
                    try {
                        t.join(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException again) {
                        // keep waiting within the bound; the flag is set again below
                    }
                    left = deadline - System.nanoTime();
                }
            }
            Thread.currentThread().interrupt();
        }
        Throwable f = failure.get();
        if (f == null && LOG.isInfoEnabled()) {
            long rows = work.values().stream().mapToLong(w -> w.rows.get()).sum();
            LOG.info("snapshot copy of {} table(s), {} rows on {} connection(s) in {} ms: planned in {} ms; workers"
                    + " joined the snapshot after {} ms and finished after {} ms", tables.size(), rows, n,
                    millis(System.nanoTime() - t0), millis(planned - t0), millisSince(t0, attached),
                    millisSince(t0, finished));
        }
        if (f instanceof UserFacingException u) {
            throw u;
        }
        if (f != null) {
            throw new UserFacingException("the snapshot copy failed: " + f.getMessage()
                    + "; the pipeline retries the tables that did not complete", f);
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean ARROW_WARMED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Initializes Arrow's Schema class on a background thread, once per JVM: its static initializer builds Jackson
     * readers (about half a CPU second in a fresh JVM), and every worker's first batch waits for it. Started here it
     * overlaps with the workers connecting and the tables being planned, which mostly wait for PostgreSQL.
     */
    private static void warmUpArrow() {
        if (ARROW_WARMED.compareAndSet(false, true)) {
            Thread t = new Thread(() -> new org.apache.arrow.vector.types.pojo.Schema(List.of()),
                    "etl-stream-snapshot-warm-up");
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Plans every table into {@code work} and {@code chunks}, then queues each table's {@link DeliveryQueue.SnapshotStart}
     * (the sink hears of each copy before its rows, so it can drop what an interrupted earlier copy left behind).
     * Returns the tables without rows, complete at once.
     */
    private List<TableId> planAndAnnounce(List<TableId> tables, ExportedSnapshot snapshot, DeliveryQueue out,
            Map<TableId, TableWork> work, ConcurrentLinkedQueue<Chunk> chunks) throws Exception {
        try (Connection c = connector.connect("snapshot-plan")) {
            int version;
            long blockSize;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT current_setting('server_version_num')::int, current_setting('block_size')::int")) {
                rs.next();
                version = rs.getInt(1);
                blockSize = rs.getInt(2);
            }
            List<Chunk> planned = new ArrayList<>();
            for (TableId t : tables) {
                work.put(t, plan(c, t, version, blockSize, planned));
            }
            for (Chunk ch : planned) {
                TableWork w = work.get(ch.table());
                w.chunksLeft.incrementAndGet();
                w.chunks++;
            }
            for (TableId t : tables) {
                out.put(new DeliveryQueue.SnapshotStart(work.get(t).schema, snapshot.consistentPoint()), null);
            }
            chunks.addAll(planned);
        } catch (SQLException e) {
            throw new UserFacingException("cannot plan the snapshot copy: " + e.getMessage(), e);
        }
        return work.entrySet().stream().filter(e -> e.getValue().chunksLeft.get() == 0).map(Map.Entry::getKey)
                .collect(Collectors.toList());
    }

    private void worker(ExportedSnapshot snapshot, ConcurrentLinkedQueue<Chunk> chunks, Map<TableId, TableWork> work,
            DeliveryQueue out, long snapshotMicros, AtomicReference<Throwable> failure, CountDownLatch planned,
            long[] attached, long[] finished, int index, AtomicReferenceArray<BaseConnection> sockets)
            throws Exception {
        try (Connection c = connector.connect("snapshot")) {
            sockets.set(index, c.unwrap(BaseConnection.class));
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement st = c.createStatement()) {
                st.execute("SET TRANSACTION SNAPSHOT " + Sql.literal(snapshot.snapshotName()));
            }
            attached[index] = System.nanoTime();
            planned.await();
            CopyOutReader reader = CopyOutReader.open(c, CopyOutReader.DEFAULT_BUFFER, allocator.getLimit());
            // One builder per table for all of this worker's chunks: it keeps the batch size and value widths it saw,
            // so later batches are allocated at their final size instead of growing (each growth copies a buffer).
            Map<TableId, ChangeBatchBuilder> builders = new HashMap<>();
            boolean clean = false;
            try {
                copyChunks(reader, chunks, work, snapshot, snapshotMicros, out, failure, builders);
                clean = reader.clean();
            } finally {
                builders.values().forEach(ChangeBatchBuilder::close);
                if (!clean) {
                    // Mid-response (or past it) the protocol state is unknown to pgjdbc: drop the socket instead of
                    // handing the connection back for a rollback; the server ends the transaction with the session.
                    c.unwrap(BaseConnection.class).getQueryExecutor().abort();
                }
            }
            if (clean) {
                c.rollback(); // otherwise (bytes read past the last ReadyForQuery) the socket was dropped above
            }
            sockets.set(index, null);
            finished[index] = System.nanoTime();
        } catch (SQLException e) {
            if (String.valueOf(e.getMessage()).contains("snapshot")) {
                throw new UserFacingException("the exported snapshot is no longer valid (" + e.getMessage() + "): the"
                        + " replication connection that exported it was closed; the copy restarts on a new snapshot", e);
            }
            throw new UserFacingException("copying a table failed: " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw new UserFacingException("copying a table failed, the connection to PostgreSQL broke: " + e, e);
        }
    }

    private void copyChunks(CopyOutReader reader, ConcurrentLinkedQueue<Chunk> chunks,
            Map<TableId, TableWork> work, ExportedSnapshot snapshot, long snapshotMicros, DeliveryQueue out,
            AtomicReference<Throwable> failure, Map<TableId, ChangeBatchBuilder> builders) throws Exception {
        Chunk ch;
        while (failure.get() == null && (ch = chunks.poll()) != null) {
            TableWork w = work.get(ch.table());
            if (w.announced.compareAndSet(false, true)) {
                w.started = System.nanoTime();
                report(w, false, true);
            }
            String where = ch.fromPage() < 0 ? "" : " WHERE ctid >= '(" + ch.fromPage() + ",0)'::tid"
                    + (ch.toPage() < 0 ? "" : " AND ctid < '(" + ch.toPage() + ",0)'::tid");
            String sql = "COPY (SELECT " + w.columnList + " FROM ONLY " + ch.relation() + where + ") TO STDOUT"
                    + (format == Format.BINARY ? " (FORMAT binary)" : "");
            ChangeBatchBuilder builder = builders.get(ch.table());
            if (builder == null) {
                builder = new ChangeBatchBuilder(w.schema, allocator, limits);
                builder.initialCapacity(firstBatchRows(w));
                builders.put(ch.table(), builder);
            }
            copyChunk(reader, sql, w, builder, snapshot, snapshotMicros, out);
            if (w.chunksLeft.decrementAndGet() == 0) {
                report(w, true, true);
                out.put(new DeliveryQueue.SnapshotDone(ch.table()), null);
            }
        }
    }

    /**
     * Rows to allocate for a table's first batch: the planner's rows per chunk, within the batch limits (rows, and
     * bytes at the on-disk row width); 256 when the table was never analyzed.
     */
    private int firstBatchRows(TableWork w) {
        if (w.estimatedRows <= 0 || w.chunks == 0) {
            return 256;
        }
        long perChunk = w.estimatedRows / w.chunks;
        long rowBytes = w.estimatedBytes / w.estimatedRows + 48;
        return (int) Math.max(16, Math.min(Math.min(perChunk, limits.maxRows()), limits.maxBytes() / rowBytes));
    }

    private void copyChunk(CopyOutReader reader, String sql, TableWork w, ChangeBatchBuilder builder,
            ExportedSnapshot snapshot, long snapshotMicros, DeliveryQueue out) throws Exception {
        reader.start(sql, builder, format == Format.BINARY, w.textColumns, snapshot.consistentPoint(), snapshotMicros);
        while (reader.next()) {
            int batchRows = builder.rowCount();
            out.put(builder.sealCopy(), null);
            builder.initialCapacity(batchRows); // the next batch of this range is as big
            w.rows.addAndGet(reader.takeRows());
            w.bytes.addAndGet(reader.takeBytes());
            report(w, false, false);
        }
        ChangeBatch last = builder.sealCopy();
        if (last != null) {
            out.put(last, null);
        }
        w.rows.addAndGet(reader.takeRows());
        w.bytes.addAndGet(reader.takeBytes());
    }

    /** A table's identity and columns as pgoutput's Relation message has them, and each column's output function. */
    private record Columns(long oid, String kind, TableSchema schema, List<String> outputFunctions) {}

    private Columns columns(Connection c, TableId t, int version) throws SQLException {
        long oid;
        String kind;
        char ident;
        try (PreparedStatement ps = c.prepareStatement("SELECT c.oid, c.relkind, c.relreplident FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new UserFacingException("table " + TableNames.sql(t) + " does not exist on the source: check"
                            + " the table list (names are case-sensitive when quoted)");
                }
                oid = rs.getLong(1);
                kind = rs.getString(2);
                ident = rs.getString(3).charAt(0);
            }
        }
        List<RelationColumn> cols = new ArrayList<>();
        List<String> outputFunctions = new ArrayList<>();
        // Same columns as pgoutput's Relation message: no dropped or generated columns. Key: the replica identity
        // index, or the primary key (DEFAULT, and FULL, where the stream's RowIdentity flags the same columns).
        String sql = "SELECT a.attname, a.atttypid, a.atttypmod,"
                + " (SELECT t.typoutput::regproc::text FROM pg_type t WHERE t.oid = a.atttypid),"
                + " coalesce(a.attnum = ANY ((SELECT i.indkey::int2[] FROM pg_index i WHERE i.indrelid = a.attrelid"
                + "   AND " + (ident == 'i' ? "i.indisreplident" : "i.indisprimary") + " LIMIT 1)::int2[]), false)"
                + " FROM pg_attribute a WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped"
                + (version >= 120000 ? " AND a.attgenerated = ''" : "") + " ORDER BY a.attnum";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean key = rs.getBoolean(5);
                    cols.add(new RelationColumn(key, rs.getString(1), rs.getInt(2), rs.getInt(3)));
                    outputFunctions.add(rs.getString(4));
                }
            }
        }
        cols = userArrays.resolve(c, cols); // as the stream does with its Relation messages
        return new Columns(oid, kind, new TableSchema(t, (int) oid, ident, cols, 0), outputFunctions);
    }

    private TableWork plan(Connection c, TableId t, int version, long blockSize, List<Chunk> chunks) throws SQLException {
        Columns columns = columns(c, t, version);
        long oid = columns.oid();
        String kind = columns.kind();
        TableSchema schema = columns.schema();
        List<RelationColumn> cols = schema.columns();
        List<String> outputFunctions = columns.outputFunctions();
        boolean[] textColumns = new boolean[cols.size()];
        List<String> selected = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            RelationColumn col = cols.get(i);
            String quoted = Sql.ident(col.name());
            textColumns[i] = format == Format.BINARY
                    && !ColumnMapping.of(col.typeOid(), col.typeModifier()).readsBinary();
            // The type's own output function, as text COPY and pgoutput use it (a ::text cast is not always that:
            // inet::text adds the netmask, bpchar::text trims).
            selected.add(textColumns[i] ? "textin(" + outputFunctions.get(i) + "(" + quoted + "))" : quoted);
        }
        String columnList = String.join(", ", selected);
        List<String[]> relations = new ArrayList<>(); // {sql name, oid}
        if ("p".equals(kind)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT format('%I.%I', n.nspname, cl.relname), cl.oid"
                    + " FROM pg_partition_tree(?::regclass) pt JOIN pg_class cl ON cl.oid = pt.relid"
                    + " JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE pt.isleaf")) {
                ps.setLong(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        relations.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                }
            }
        } else {
            relations.add(new String[] {TableNames.sql(t), String.valueOf(oid)});
        }
        long total = 0;
        long estimatedRows = 0;
        for (String[] rel : relations) {
            long bytes;
            long reltuples;
            long relpages;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_relation_size(oid),"
                    + " reltuples::bigint, relpages FROM pg_class WHERE oid = " + Long.parseLong(rel[1]))) {
                rs.next();
                bytes = rs.getLong(1);
                reltuples = rs.getLong(2);
                relpages = rs.getLong(3);
            }
            total += bytes;
            // reltuples is -1 (PostgreSQL 14+) or 0 with pages (older) until the table was vacuumed or analyzed.
            if (estimatedRows >= 0) {
                estimatedRows = reltuples < 0 || reltuples == 0 && relpages == 0 && bytes > 0 ? -1
                        : estimatedRows + (relpages > 0 ? Math.round((double) reltuples / relpages * (bytes / blockSize))
                                : reltuples);
            }
            long pages = bytes / blockSize;
            if (version < 140000 || pages == 0) {
                // Before 14 a ctid range is a sequential scan each time: one COPY per relation.
                chunks.add(new Chunk(t, rel[0], -1, -1));
                continue;
            }
            // A multiple of the worker count, so that no worker copies a last range alone while the others idle.
            long parts = (bytes + CHUNK_BYTES - 1) / CHUNK_BYTES;
            parts = Math.max(1, (parts + connections - 1) / connections) * connections;
            parts = Math.min(parts, pages);
            long step = (pages + parts - 1) / parts;
            for (long from = 0; from < pages; from += step) {
                long to = from + step >= pages ? -1 : from + step; // open end catches pages added since the estimate
                chunks.add(new Chunk(t, rel[0], from, to));
            }
        }
        return new TableWork(schema, columnList, textColumns, total, total == 0 ? 0 : estimatedRows);
    }

    /** At most once a second per table, except {@code always} (a table's start and end). */
    private void report(TableWork w, boolean done, boolean always) {
        long now = System.nanoTime();
        if (!always && now - w.lastReport < 1_000_000_000L) {
            return;
        }
        w.lastReport = now;
        Duration elapsed = Duration.ofNanos(now - w.started);
        long rows = w.rows.get();
        // Rows against the planner's count; COPY bytes are not comparable with the table's size on disk.
        Duration eta = null;
        if (done) {
            eta = Duration.ZERO;
        } else if (rows > 0 && w.estimatedRows > rows) {
            eta = Duration.ofNanos((long) (elapsed.toNanos() * ((double) (w.estimatedRows - rows) / rows)));
        }
        if (progress != null) {
            progress.accept(new SnapshotProgress(w.schema.table(), rows, w.bytes.get(), done ? rows
                    : w.estimatedRows < 0 ? -1 : Math.max(rows, w.estimatedRows), w.estimatedBytes, elapsed, eta,
                    done));
        }
    }

    /**
     * Announces {@code tables} as copies of no rows (a pipeline that streams without copying existing rows): each
     * gets a {@link DeliveryQueue.SnapshotStart} with its current columns, so the destination creates its tables, and
     * a {@link DeliveryQueue.SnapshotDone} right after.
     */
    void announceWithoutRows(List<TableId> tables, long consistentPoint, DeliveryQueue out) throws Exception {
        List<TableSchema> schemas = new ArrayList<>();
        if (tables.isEmpty()) {
            return;
        }
        try (Connection c = connector.connect("snapshot-plan")) {
            int version;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT current_setting('server_version_num')::int")) {
                rs.next();
                version = rs.getInt(1);
            }
            for (TableId t : tables) {
                schemas.add(columns(c, t, version).schema()); // the columns only: nothing is copied, so no chunks
            }
        } catch (SQLException e) {
            throw new UserFacingException("cannot read the columns of " + tables + ": " + e.getMessage(), e);
        }
        for (TableSchema schema : schemas) {
            out.put(new DeliveryQueue.SnapshotStart(schema, consistentPoint), null);
            out.put(new DeliveryQueue.SnapshotDone(schema.table()), null);
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    private static String millisSince(long start, long[] times) {
        StringBuilder sb = new StringBuilder();
        for (long t : times) {
            sb.append(sb.length() == 0 ? "" : "/").append(t == 0 ? "-" : Long.toString(millis(t - start)));
        }
        return sb.toString();
    }
}
