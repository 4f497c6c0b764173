package io.etlstream.source.pg;

import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.BatchMemory;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.SchemaRegistry;
import io.etlstream.batch.SpillDirectory;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionAssembler;
import io.etlstream.source.pg.ConnectionErrors.ConnectionFailedException;
import io.etlstream.source.pg.ReplicationStream.SlotInvalidatedException;
import io.etlstream.source.pg.ReplicationStream.SlotMissingException;
import io.etlstream.source.pg.pgoutput.PgOutputDecoder;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipeline's PostgreSQL side: ensures the publication and slot, copies the tables on the slot's exported
 * snapshot (only those the sink has not confirmed), then streams changes to the {@link ChangeSink} and confirms to
 * PostgreSQL exactly what the sink reports durable. Reconnects with capped exponential backoff.
 *
 * <p>Threads: the reader owns the replication connection, the decoder, the assembler and the {@link RowIdentity}
 * catalog connection (primary keys of REPLICA IDENTITY FULL tables); snapshot workers own their
 * connections; a backfill thread copies a table added or resynced while the reader keeps streaming (the reader
 * creates that copy's snapshot and queues its {@link ChangeSink#tableCopyStarting} marker first, so the sink can tell
 * the table's old changes from its new ones); the delivery thread is the only caller of the sink. They meet in a bounded {@link DeliveryQueue}.
 * While the reader waits for room it keeps sending status updates, so a slow sink never gets the walsender killed.
 * Room means a queue slot or batch memory ({@link BatchMemory#whileWaiting}). Streamed transactions that outgrow
 * {@link Options#spillThreshold()} are moved to owner-only files in this instance's own {@link SpillDirectory} until
 * they commit, so a transaction of any size passes within the memory limit.
 * {@link #close()} stops and closes all of it; the sink itself belongs to the caller.
 */
public final class PgSource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PgSource.class);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The pipeline's default stop timeout, from which {@link Options#defaults()} takes its drain budget. */
    static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Tuning knobs; {@link #defaults()} suits most sources. {@code drainBudget}: how long a clean stop lets the sink
     * work through what was already read before the final confirmation ({@link #withStopTimeout}).
     * {@code spillDirectory}: where streamed transactions that outgrow memory are spilled (a folder per slot is made
     * inside, and in it one per source instance; null = an owner-only {@code etl-stream-spill-<user>} in
     * {@code java.io.tmpdir});
     * {@code spillThresholdBytes}: memory open streamed transactions may hold before the largest one spills (0 = a
     * quarter of {@code memoryLimitBytes}).
     */
    public record Options(int snapshotConnections, int queueCapacity, BatchLimits batchLimits, long memoryLimitBytes,
            Duration statusInterval, Duration heartbeatInterval, ReconnectBackoff backoff,
            Consumer<SnapshotProgress> progress, Duration drainBudget, Path spillDirectory, long spillThresholdBytes,
            Duration replicationTimeout) {

        /** PostgreSQL's own subscriber gives up on a silent walsender after {@code wal_receiver_timeout}, 60 s. */
        public static final Duration DEFAULT_REPLICATION_TIMEOUT = Duration.ofSeconds(60);

        public static Options defaults() {
            return new Options(4, 16, BatchLimits.DEFAULT, 512L * 1024 * 1024, Duration.ofSeconds(5),
                    Duration.ofSeconds(30), ReconnectBackoff.DEFAULT, p -> { },
                    drainBudgetWithin(DEFAULT_STOP_TIMEOUT), null, 0, DEFAULT_REPLICATION_TIMEOUT);
        }

        /**
         * How long the reader may wait on the replication stream without hearing from PostgreSQL before it takes the
         * connection for lost and reconnects (a peer that vanished without closing the connection); it asks the
         * walsender for a reply after a third of it. Time the reader spends waiting for the destination does not
         * count. {@link Duration#ZERO} = off (only the operating system notices such a connection, after minutes to
         * hours).
         */
        public Options withReplicationTimeout(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("replication timeout must not be negative: " + d);
            }
            return new Options(snapshotConnections, queueCapacity, batchLimits, memoryLimitBytes, statusInterval,
                    heartbeatInterval, backoff, progress, drainBudget, spillDirectory, spillThresholdBytes, d);
        }

        /** Spill files go under {@code dir} (the engine home's {@code tmp/spill}); null = {@code java.io.tmpdir}. */
        public Options withSpillDirectory(Path dir) {
            return new Options(snapshotConnections, queueCapacity, batchLimits, memoryLimitBytes, statusInterval,
                    heartbeatInterval, backoff, progress, drainBudget, dir, spillThresholdBytes, replicationTimeout);
        }

        /** Memory open streamed transactions may hold before spilling; 0 = a quarter of the memory limit. */
        public Options withSpillThreshold(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("spill threshold must not be negative: " + bytes);
            }
            return new Options(snapshotConnections, queueCapacity, batchLimits, memoryLimitBytes, statusInterval,
                    heartbeatInterval, backoff, progress, drainBudget, spillDirectory, bytes, replicationTimeout);
        }

        /** The spill threshold in effect. */
        public long spillThreshold() {
            return spillThresholdBytes > 0 ? spillThresholdBytes : Math.max(1, memoryLimitBytes / 4);
        }

        /**
         * Fits the stop into the caller's stop timeout (the run's {@code --stop-timeout}): half of it for the sink
         * to make durable what was read, the other half for the final confirmation, closing the stream with its
         * goodbye and then the sink (the Snowflake sink flushes its channels on close).
         */
        public Options withStopTimeout(Duration stopTimeout) {
            return withDrainBudget(drainBudgetWithin(stopTimeout));
        }

        public Options withDrainBudget(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("drain budget must not be negative: " + d);
            }
            return new Options(snapshotConnections, queueCapacity, batchLimits, memoryLimitBytes, statusInterval,
                    heartbeatInterval, backoff, progress, d, spillDirectory, spillThresholdBytes, replicationTimeout);
        }

        static Duration drainBudgetWithin(Duration stopTimeout) {
            return stopTimeout.dividedBy(2);
        }

        public Options withSnapshotConnections(int n) {
            return new Options(n, queueCapacity, batchLimits, memoryLimitBytes, statusInterval, heartbeatInterval,
                    backoff, progress, drainBudget, spillDirectory, spillThresholdBytes, replicationTimeout);
        }

        public Options withQueueCapacity(int n) {
            return new Options(snapshotConnections, n, batchLimits, memoryLimitBytes, statusInterval, heartbeatInterval,
                    backoff, progress, drainBudget, spillDirectory, spillThresholdBytes, replicationTimeout);
        }

        public Options withBatchLimits(BatchLimits l) {
            return new Options(snapshotConnections, queueCapacity, l, memoryLimitBytes, statusInterval, heartbeatInterval,
                    backoff, progress, drainBudget, spillDirectory, spillThresholdBytes, replicationTimeout);
        }

        public Options withMemoryLimit(long bytes) {
            return new Options(snapshotConnections, queueCapacity, batchLimits, bytes, statusInterval, heartbeatInterval,
                    backoff, progress, drainBudget, spillDirectory, spillThresholdBytes, replicationTimeout);
        }

        public Options withStatusInterval(Duration d) {
            return new Options(snapshotConnections, queueCapacity, batchLimits, memoryLimitBytes, d, heartbeatInterval,
                    backoff, progress, drainBudget, spillDirectory, spillThresholdBytes, replicationTimeout);
        }

        /** {@link Duration#ZERO} turns heartbeats off (automatic flush still keeps an idle slot current). */
        public Options withHeartbeatInterval(Duration d) {
            return new Options(snapshotConnections, queueCapacity, batchLimits, memoryLimitBytes, statusInterval, d,
                    backoff, progress, drainBudget, spillDirectory, spillThresholdBytes, replicationTimeout);
        }

        /** The reconnect backoff's first delay and cap; its jitter and reset period stay. */
        public Options withBackoff(Duration initial, Duration max) {
            return withBackoff(backoff.withDelays(initial, max));
        }

        public Options withBackoff(ReconnectBackoff b) {
            return new Options(snapshotConnections, queueCapacity, batchLimits, memoryLimitBytes, statusInterval,
                    heartbeatInterval, Objects.requireNonNull(b), progress, drainBudget, spillDirectory,
                    spillThresholdBytes, replicationTimeout);
        }

        public Options withProgress(Consumer<SnapshotProgress> p) {
            return new Options(snapshotConnections, queueCapacity, batchLimits, memoryLimitBytes, statusInterval,
                    heartbeatInterval, backoff, p, drainBudget, spillDirectory, spillThresholdBytes, replicationTimeout);
        }
    }

    /**
     * An immutable view of the source for monitors and the UI. {@code reconnects}: failed connections since the start;
     * {@code nextAttemptAt}: when the source tries PostgreSQL again while it is {@link SourceState#RECONNECTING}
     * (null otherwise), always the time set after the failure {@code reconnects} counts last;
     * {@code neverConnected}: the source has not copied or streamed since its start (its failures so far are a server
     * it cannot reach, not a connection it lost).
     */
    public record Status(SourceState state, long receivedLsn, long confirmedLsn, long durableLsn, int reconnects,
            int queued, String lastError, Instant nextAttemptAt, boolean neverConnected) {
    }

    /**
     * The failed connections so far, the last one's error, when the next attempt comes and whether the source had
     * connected before that failure: replaced as one value, so no look pairs one failure's count with another's time.
     */
    private record Outage(int reconnects, String error, Instant nextAttemptAt, boolean neverConnected) {
        static final Outage NONE = new Outage(0, null, null, true);
    }

    private final PgConnector connector;
    private final SnapshotCopier.Format snapshotFormat;
    private final ReplicationNames names;
    private final Set<TableId> tables;
    private final ChangeSink sink;
    private final SnapshotLedger ledger;
    private final Options options;
    private final DeliveryQueue queue;
    private final ConcurrentLinkedQueue<CopyRequest> copyRequests = new ConcurrentLinkedQueue<>();
    /** Tables whose copy runs on a backfill thread while the reader keeps streaming. */
    private final Set<TableId> backfilling = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Set<Thread> backfillThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong durable = new AtomicLong();
    private final SchemaRegistry schemas = new SchemaRegistry();
    private final UserArrayTypes userArrays = new UserArrayTypes();
    /** Tables whose copy this process completed (queued), so a reconnect does not copy them again. */
    private final Set<TableId> copiedThisRun = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private volatile boolean copyExistingRows = true;
    private volatile SourceState state = SourceState.NEW;
    private volatile boolean running;
    private final java.util.function.BooleanSupplier stopRequested = () -> !running;
    private volatile long receivedLsn;
    private volatile long confirmedLsn;
    private volatile Outage outage = Outage.NONE;
    /** The source has copied or streamed since its start. */
    private volatile boolean connectedOnce;
    /** {@link System#nanoTime()} when the current connection started streaming; 0 = it has not. Reader thread only. */
    private long streamingSince;
    /** The walsender of a connection given up for silence, ended before the next stream starts (0 = none). Reader. */
    private int abandonedWalsender;
    /**
     * The replication timeout's multiplier (1, 2, 4, 8). Reader thread only. A connection given up for silence that
     * received no change and fell silent soon after it opened ({@link #silentFromTheStart}), or whose walsender was
     * found busy when it was ended, doubles it for the next one: a walsender that is slow to answer but alive
     * (decoding the same transaction again) costs a few needless reconnects, not an endless loop of them. Any other
     * timeout (a path that worked, then died) brings it back to 1, so repeated outages of an idle source are each
     * noticed after the configured time; so does the first whole transaction received.
     */
    private int silenceFactor = 1;
    /**
     * The multiplier to double if the walsender of the connection just given up on turns out to have been busy
     * (decoding, not answering) when it is ended; 0 = none. Reader thread only.
     */
    private int factorIfWalsenderBusy;
    static final int MAX_SILENCE_FACTOR = 8;
    /** The longest a heartbeat statement may take: it runs on the reader thread, which must get back to the stream. */
    static final int HEARTBEAT_TIMEOUT_MS = 10_000;
    private volatile String lastError;
    private volatile Throwable failure;
    private volatile ReplicationStream currentStream;
    /** {@link System#nanoTime()} until which a stopping source still delivers queued events; set by close. */
    private volatile long drainDeadline;
    private Thread reader;
    private Thread delivery;
    private RootAllocator root;
    private BatchMemory memory;
    private volatile SpillDirectory spill;

    /** A source on the slot and publication {@link ReplicationNames#forPipeline derived} from {@code pipelineId}. */
    public PgSource(PgConnector connector, String pipelineId, List<TableId> tables, ChangeSink sink,
            SnapshotLedger ledger, Options options) {
        this(connector, ReplicationNames.forPipeline(pipelineId), tables, sink, ledger, options);
    }

    /** A source on the given slot and publication (a catalog pipeline's stored names). */
    public PgSource(PgConnector connector, ReplicationNames names, List<TableId> tables, ChangeSink sink,
            SnapshotLedger ledger, Options options) {
        this(connector, names, tables, sink, ledger, options, SnapshotCopier.Format.BINARY);
    }

    /** With the snapshot's COPY format chosen, for benchmarks that compare text and binary. */
    PgSource(PgConnector connector, String pipelineId, List<TableId> tables, ChangeSink sink, SnapshotLedger ledger,
            Options options, SnapshotCopier.Format snapshotFormat) {
        this(connector, ReplicationNames.forPipeline(pipelineId), tables, sink, ledger, options, snapshotFormat);
    }

    private PgSource(PgConnector connector, ReplicationNames names, List<TableId> tables, ChangeSink sink,
            SnapshotLedger ledger, Options options, SnapshotCopier.Format snapshotFormat) {
        this.snapshotFormat = Objects.requireNonNull(snapshotFormat);
        this.connector = Objects.requireNonNull(connector);
        this.names = Objects.requireNonNull(names);
        this.tables = new LinkedHashSet<>(tables);
        this.sink = Objects.requireNonNull(sink);
        this.ledger = Objects.requireNonNull(ledger);
        this.options = Objects.requireNonNull(options);
        this.queue = new DeliveryQueue(options.queueCapacity());
    }

    public ReplicationNames names() {
        return names;
    }

    /**
     * Call before {@link #start}. False: tables are not copied when the slot is created or when they join the
     * pipeline; the sink is told of each table (so it creates its destination) and its changes stream from then on.
     * A {@link #resyncTable resync} still copies. Default true.
     */
    public void copyExistingRows(boolean copy) {
        if (state != SourceState.NEW) {
            throw new IllegalStateException("choose whether to copy before the source starts");
        }
        this.copyExistingRows = copy;
    }

    /** Starts the reader and delivery threads and returns at once. */
    public synchronized void start() throws Exception {
        if (state != SourceState.NEW) {
            throw new IllegalStateException("a PgSource starts once");
        }
        // A folder per slot (the slot name carries the home id) and in it one per source instance: a source still
        // closing and its successor never delete each other's files. What a crashed instance left is deleted here.
        Path spillBase = options.spillDirectory() != null ? options.spillDirectory()
                : Path.of(System.getProperty("java.io.tmpdir"), "etl-stream-spill-" + System.getProperty("user.name"));
        spill = SpillDirectory.openInstance(spillBase.resolve(names.slot()), options.spillThreshold(),
                options.spillDirectory() != null);
        root = new RootAllocator();
        memory = BatchMemory.create(root, "source-" + names.slot(), options.memoryLimitBytes(), Duration.ofMinutes(10));
        sink.open(new ChangeSink.Durability() {
            @Override
            public void durable(long endLsn) {
                durable.accumulateAndGet(endLsn, Math::max);
            }

            @Override
            public void snapshotDurable(TableId table) {
                ledger.markCompleted(table);
            }
        });
        running = true;
        delivery = new Thread(this::deliver, "etl-stream-deliver-" + names.slot());
        reader = new Thread(this::read, "etl-stream-reader-" + names.slot());
        delivery.start();
        reader.start();
    }

    /** A table to copy while streaming: a new one ({@code resync} false) or one copied again from scratch. */
    private record CopyRequest(TableId table, boolean resync) {}

    /**
     * Adds a table to a running source: publication first, then a backfill of only that table on its own snapshot
     * while the other tables keep streaming.
     */
    public void addTable(TableId table) {
        copyRequests.add(new CopyRequest(table, false));
    }

    /**
     * Copies one table again from scratch while the other tables keep streaming: the ledger forgets it, the sink is
     * told to reset its destination ({@link ChangeSink#tableCopyStarting}), and the table is copied on a temporary
     * exported snapshot; its stream changes committed before that snapshot are left to the copy. A crash at any
     * point copies it again at the next start. Copies run one at a time, in the order asked; a table the source does
     * not follow is ignored (with a warning in the log).
     */
    public void resyncTable(TableId table) {
        copyRequests.add(new CopyRequest(table, true));
    }

    /** The tables being copied while the source streams (a resync or an added table). */
    public Set<TableId> copying() {
        return Set.copyOf(backfilling);
    }

    public Status status() {
        // The state before the outage: the outage a RECONNECTING state was entered with is written before it, so the
        // outage read after it is that one or a later one, never the one before (whose next attempt is already past).
        SourceState current = state;
        boolean connectedNow = connectedOnce;
        Outage o = outage;
        boolean reconnecting = current == SourceState.RECONNECTING;
        boolean never = current != SourceState.SNAPSHOT && current != SourceState.STREAMING
                && (o.reconnects() == 0 ? !connectedNow : o.neverConnected());
        return new Status(current, receivedLsn, confirmedLsn, durable.get(), o.reconnects(), queue.size(),
                reconnecting ? o.error() : lastError, reconnecting ? o.nextAttemptAt() : null, never);
    }

    /** Streamed transactions spilled to disk since the start, and spill files open now. */
    public SpillDirectory.Stats spillStats() {
        SpillDirectory d = spill;
        return d == null ? new SpillDirectory.Stats(0, 0, 0, 0) : d.stats();
    }

    /** The folder this source's spill files go to (null before {@link #start()}). */
    public Path spillDirectory() {
        SpillDirectory d = spill;
        return d == null ? null : d.path();
    }

    /** The most batch memory held at once since the start, in bytes (never above the memory limit). */
    public long peakMemoryBytes() {
        BatchMemory m = memory;
        return m == null ? 0 : m.allocator().getPeakMemoryAllocation();
    }

    /** The error that stopped the source, if it failed. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** Drops the connection of the running stream without a goodbye, as a crash or network cut would. */
    void abortStreamConnection() {
        ReplicationStream s = currentStream;
        if (s != null) {
            s.abort();
        }
    }

    /** Drops the slot and publication {@link ReplicationNames#forPipeline derived} from {@code pipelineId}. */
    public static String removePipeline(PgConnector connector, String pipelineId) {
        return removePipeline(connector, ReplicationNames.forPipeline(pipelineId));
    }

    /** Drops the pipeline's slot and publication; returns what was dropped, to tell the user. */
    public static String removePipeline(PgConnector connector, ReplicationNames names) {
        return new SlotManager(connector, names).dropAll();
    }

    // ---------------------------------------------------------------- reader thread

    private void read() {
        ReconnectBackoff.Schedule backoff = options.backoff().schedule(ThreadLocalRandom.current()::nextDouble);
        BufferAllocator alloc = memory.allocator();
        try {
            while (running) {
                try {
                    streamingSince = 0;
                    setUpAndStream(alloc);
                } catch (SlotMissingException e) {
                    throw e;
                } catch (Exception e) {
                    if (!running) {
                        break;
                    }
                    if (!isTransient(e)) {
                        throw e;
                    }
                    long since = streamingSince;
                    Duration delay = backoff.failed(since == 0 ? Duration.ZERO
                            : Duration.ofNanos(System.nanoTime() - since));
                    String error = message(e);
                    lastError = error;
                    boolean never = !connectedOnce;
                    outage = new Outage(outage.reconnects() + 1, error, Instant.now().plus(delay), never);
                    LOG.warn("source {}: {}{}; trying again in {} ms ({} failure(s) in a row)", names.slot(),
                            never ? "cannot connect to PostgreSQL: " : "", error, delay.toMillis(), backoff.failures());
                    moveTo(SourceState.RECONNECTING);
                    sleep(delay);
                }
            }
        } catch (Throwable e) {
            if (running) {
                fail(e);
            }
        }
    }

    /** One connection's worth of work: returns when the source stops, throws when the connection fails. */
    private void setUpAndStream(BufferAllocator alloc) throws Exception {
        long t0 = System.nanoTime();
        moveTo(SourceState.STARTING);
        SlotManager slots = new SlotManager(connector, names);
        slots.ensurePublication(new ArrayList<>(tables));
        for (TableId t : slots.publishedTables()) {
            if (!tables.contains(t)) { // removed from the pipeline (pipeline remove-table) since the last run
                slots.removeTable(t);
                LOG.info("source {}: removed {} from publication {}", names.slot(), t, names.publication());
            }
        }
        int version = slots.serverVersion();
        Optional<SlotInfo> slot = slots.slot();
        if (slot.isPresent() && slot.get().invalidated()) {
            throw new SlotInvalidatedException(names.slot(), null);
        }
        SnapshotCopier copier = new SnapshotCopier(connector, alloc, options.batchLimits(),
                options.snapshotConnections(), options.progress(), snapshotFormat, userArrays);
        if (slot.isEmpty()) {
            if (durable.get() > 0) {
                throw new SlotMissingException("replication slot " + names.slot() + " disappeared while the pipeline"
                        + " ran (dropped outside etl-stream?): resync the pipeline", null);
            }
            ledger.clear();
            moveTo(SourceState.SNAPSHOT);
            long t1 = System.nanoTime();
            try (ExportedSnapshot snap = slots.createSlotWithSnapshot()) {
                long t2 = System.nanoTime();
                if (!copyExistingRows) {
                    LOG.info("source {}: created slot at {} in {} ms ({} ms after the start); streaming {} table(s)"
                            + " from there without copying their rows", names.slot(), Lsn.format(snap.consistentPoint()),
                            (t2 - t1) / 1_000_000, (t2 - t0) / 1_000_000, tables.size());
                    List<TableId> announced = new ArrayList<>(tables);
                    announced.removeAll(queuedResyncs()); // their resync copies them (and creates their destination)
                    copier.announceWithoutRows(announced, snap.consistentPoint(), queue);
                } else {
                    LOG.info("source {}: created slot at {} in {} ms ({} ms after the start), copying {} table(s)",
                            names.slot(), Lsn.format(snap.consistentPoint()), (t2 - t1) / 1_000_000,
                            (t2 - t0) / 1_000_000, tables.size());
                    for (TableId t : tables) {
                        queue.put(new DeliveryQueue.CopyStarting(t, snap.consistentPoint()), null);
                    }
                    copier.copy(new ArrayList<>(tables), snap, queue);
                }
                copiedThisRun.addAll(tables);
            }
        } else {
            backfill(slots, copier, pendingTables());
        }
        stream(slots, copier, version, alloc);
    }

    /** Tables a queued resync will copy while the stream runs. */
    private Set<TableId> queuedResyncs() {
        Set<TableId> out = new HashSet<>();
        for (CopyRequest r : copyRequests) {
            if (r.resync()) {
                out.add(r.table());
            }
        }
        return out;
    }

    private List<TableId> pendingTables() {
        Set<TableId> done = ledger.completed();
        List<TableId> pending = new ArrayList<>();
        Set<TableId> resyncAsked = queuedResyncs();
        for (TableId t : tables) {
            // A table whose resync is queued is copied by it: announcing it first would create its destination
            // only for the resync to drop it again.
            if (!done.contains(t) && !copiedThisRun.contains(t) && !backfilling.contains(t)
                    && !resyncAsked.contains(t)) {
                pending.add(t);
            }
        }
        return pending;
    }

    /**
     * Copies tables on a temporary slot's snapshot while the pipeline's slot keeps its position. Rows changed between
     * the pipeline's position and that snapshot are streamed again afterwards; destinations apply by key.
     */
    private void backfill(SlotManager slots, SnapshotCopier copier, List<TableId> pending) throws Exception {
        if (pending.isEmpty()) {
            return;
        }
        if (!copyExistingRows) {
            LOG.info("source {}: streaming {} from now on without copying their rows", names.slot(), pending);
            copier.announceWithoutRows(pending, durable.get(), queue);
            copiedThisRun.addAll(pending);
            return;
        }
        moveTo(SourceState.SNAPSHOT);
        try (ExportedSnapshot snap = slots.createBackfillSnapshot()) {
            LOG.info("source {}: backfilling {} on snapshot at {}", names.slot(), pending, Lsn.format(snap.consistentPoint()));
            for (TableId t : pending) {
                queue.put(new DeliveryQueue.CopyStarting(t, snap.consistentPoint()), null);
            }
            copier.copy(pending, snap, queue);
            copiedThisRun.addAll(pending);
        }
    }

    private void stream(SlotManager slots, SnapshotCopier copier, int version, BufferAllocator alloc) throws Exception {
        long start = durable.get();
        if (abandonedWalsender != 0) {
            int pid = abandonedWalsender;
            boolean ended = false;
            try {
                SlotManager.AbandonedWalsender found = slots.endAbandonedWalsender(pid, Duration.ofSeconds(5),
                        stopRequested);
                ended = found.held();
                if (found.busy() && factorIfWalsenderBusy != 0) {
                    // It was working, not waiting for us: a walsender that does not answer while it decodes, which
                    // the next one will do again. A longer limit lets it finish.
                    silenceFactor = Math.min(factorIfWalsenderBusy * 2, MAX_SILENCE_FACTOR);
                    LOG.info("source {}: walsender {} was busy when given up on; the next connection waits {} s",
                            names.slot(), pid, options.replicationTimeout().multipliedBy(silenceFactor).toSeconds());
                }
            } catch (RuntimeException e) {
                if (isTransient(e)) {
                    throw e; // the server is still out of reach: try again with the next attempt
                }
                // best effort: the server's wal_sender_timeout ends it too, and a busy slot is retried
                LOG.warn("source {}: cannot end walsender {} of the connection given up on ({})", names.slot(), pid,
                        message(e));
            }
            abandonedWalsender = 0;
            factorIfWalsenderBusy = 0;
            if (ended) {
                LOG.info("source {}: ended walsender {} of the connection given up on (it still held the slot)",
                        names.slot(), pid);
            }
        }
        ReplicationStream.Options streamOptions = ReplicationStream.Options.forServer(version, options.statusInterval())
                .withSilenceLimit(options.replicationTimeout().multipliedBy(silenceFactor));
        try (ReplicationStream s = ReplicationStream.open(connector, names.slot(), names.publication(), start,
                streamOptions); RowIdentity identity = new RowIdentity(connector)) {
            currentStream = s;
            try {
                streamOn(s, slots, copier, version, alloc, identity);
            } catch (ReplicationStream.SilenceException e) {
                s.abort();
                abandonedWalsender = s.backendPid();
                int before = silenceFactor;
                boolean fromStart = silentFromTheStart(s.messagesReceived(), System.nanoTime() - s.openedAtNanos(),
                        s.silenceLimitNanos());
                silenceFactor = nextSilenceFactor(before, fromStart);
                factorIfWalsenderBusy = fromStart ? 0 : before;
                throw e;
            }
        } finally {
            currentStream = null;
        }
    }

    /**
     * Whether a connection given up for silence {@code aliveNanos} after it opened, having received {@code messages}
     * data messages under a limit of {@code limitNanos}, was silent from its start: it received nothing and its
     * silence began within three limits of the opening (a server that logs in and then does not answer).
     */
    static boolean silentFromTheStart(long messages, long aliveNanos, long limitNanos) {
        return messages == 0 && aliveNanos - limitNanos < 3 * limitNanos;
    }

    /**
     * The multiplier for the next connection: doubled (up to {@link #MAX_SILENCE_FACTOR}) for one silent from its
     * start, else back to 1 (a connection that streamed or idled with answers for longer died of its path, so the next
     * outage is noticed after the configured time). The reader doubles it later after all if the abandoned
     * walsender turns out to have been busy decoding ({@link SlotManager.AbandonedWalsender#busy()}).
     */
    static int nextSilenceFactor(int factor, boolean silentFromTheStart) {
        return silentFromTheStart ? Math.min(factor * 2, MAX_SILENCE_FACTOR) : 1;
    }

    /** Reads one connection's stream until the source stops or the connection fails. */
    private void streamOn(ReplicationStream s, SlotManager slots, SnapshotCopier copier, int version,
            BufferAllocator alloc, RowIdentity identity) throws Exception {
        Connection heartbeatConnection = null;
        try {
            PgOutputDecoder decoder = new PgOutputDecoder();
            DeliveryQueue.WhileWaiting keepAlive = () -> {
                applyDurable(s);
                s.keepAlive();
            };
            // The reader also waits for batch memory (the sink holds it, or a spilled transaction is replayed): the
            // walsender must keep hearing from it then too, and a stop must not wait out the allocator's patience.
            try (BatchMemory.Registration waiting = memory.whileWaiting(() -> {
                if (!running) {
                    throw new StoppingException(new InterruptedException("source is stopping"));
                }
                keepAlive.run();
            }); TransactionAssembler assembler = new TransactionAssembler(alloc, options.batchLimits(),
                    e -> put(e, keepAlive), schemas, spill)) {
                moveTo(SourceState.STREAMING);
                streamingSince = System.nanoTime();
                long lastActivity = System.nanoTime();
                boolean heartbeats = options.heartbeatInterval().toNanos() > 0 && version >= 140000;
                while (running) {
                    applyDurable(s);
                    // One copy at a time: each holds a temporary slot and its own snapshot connections.
                    CopyRequest request = backfilling.isEmpty() ? copyRequests.poll() : null;
                    if (request != null) {
                        startCopy(slots, copier, request, keepAlive);
                    }
                    ByteBuffer msg = s.next(POLL_NANOS, stopRequested);
                    if (msg == null) {
                        if (heartbeats && System.nanoTime() - lastActivity > options.heartbeatInterval().toNanos()) {
                            heartbeatConnection = heartbeat(heartbeatConnection);
                            lastActivity = System.nanoTime();
                        }
                        continue;
                    }
                    lastActivity = System.nanoTime();
                    receivedLsn = s.lastReceiveLsn();
                    PgOutputMessage m = userArrays.resolve(decoder.decode(msg), connector);
                    if (m instanceof PgOutputMessage.Relation r) {
                        // Under REPLICA IDENTITY FULL every column comes flagged as key: the primary key replaces it.
                        m = identity.resolve(r);
                    }
                    if (m instanceof PgOutputMessage.Commit || m instanceof PgOutputMessage.StreamCommit) {
                        // A whole transaction came through: the server answers; a later silence is news again.
                        silenceFactor = 1;
                    }
                    assembler.accept(m);
                }
            } catch (StoppingException e) {
                if (running) {
                    throw e;
                }
                // close() stopped the producers while the assembler waited for room: a clean stop, not an error
            }
            if (failure == null) {
                finishStop(s);
            }
        } finally {
            if (heartbeatConnection != null) {
                try {
                    heartbeatConnection.close();
                } catch (SQLException ignored) {
                    // closing a helper connection
                }
            }
        }
    }

    /**
     * The clean end of a stream, on the reader thread (the stream's only user): waits while the delivery thread
     * hands what was already read to the sink, keeping the walsender fed, then reports to PostgreSQL everything the
     * sink made durable before the stream is closed. Without this the last transactions the sink recorded would be
     * sent again after a restart.
     */
    private void finishStop(ReplicationStream s) {
        try {
            Thread d = delivery;
            while (d != null && d.isAlive() && System.nanoTime() - drainDeadline < 0) {
                d.join(50);
                applyDurable(s);
                s.keepAlive();
            }
            if (d != null && d.isAlive()) {
                LOG.warn("source {}: the destination did not finish within {} s of the stop; confirming what it"
                        + " made durable so far (later changes will be delivered again)", names.slot(),
                        options.drainBudget().toSeconds());
            }
            s.confirmNow(durable.get());
            confirmedLsn = s.confirmedLsn();
            LOG.info("source {}: stopped; confirmed {} to PostgreSQL", names.slot(), Lsn.format(confirmedLsn));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("source {}: cannot confirm the final position ({}); changes since the last confirmation will be"
                    + " delivered again", names.slot(), message(e));
        }
    }

    /**
     * On the reader thread, between two messages of the stream: creates the copy's snapshot and queues the
     * {@link DeliveryQueue.CopyStarting} marker, so everything the reader queued before belongs to the table's old
     * state and everything after to the new one (nothing read so far can be newer than the snapshot); then hands the
     * copy to a backfill thread and returns to the stream.
     */
    private void startCopy(SlotManager slots, SnapshotCopier copier, CopyRequest request,
            DeliveryQueue.WhileWaiting keepAlive) throws Exception {
        TableId table = request.table();
        if (backfilling.contains(table)) {
            LOG.info("source {}: {} is already being copied; that copy includes everything up to now", names.slot(),
                    table);
            return;
        }
        if (request.resync()) {
            if (!tables.contains(table)) {
                LOG.warn("source {}: cannot resync {}: the pipeline does not follow it", names.slot(), table);
                return;
            }
        } else {
            if (tables.contains(table)) {
                return;
            }
            slots.ensurePublication(List.of(table));
            tables.add(table);
        }
        ledger.forget(table);
        copiedThisRun.remove(table);
        backfilling.add(table);
        ExportedSnapshot snap = null;
        try {
            snap = slots.createBackfillSnapshot();
            queue.put(new DeliveryQueue.CopyStarting(table, snap.consistentPoint()), keepAlive);
        } catch (Exception | Error e) {
            backfilling.remove(table);
            if (snap != null) {
                snap.close();
            }
            throw e;
        }
        LOG.info("source {}: {} {} on snapshot at {} while streaming", names.slot(),
                request.resync() ? "resyncing" : "adding", table, Lsn.format(snap.consistentPoint()));
        ExportedSnapshot owned = snap;
        Thread t = new Thread(() -> copyInBackground(copier, owned, table), "etl-stream-backfill-" + names.slot());
        t.setDaemon(true);
        backfillThreads.add(t);
        t.start();
    }

    /** A backfill thread: copies one table on its snapshot (closed here), then retries or fails the source. */
    private void copyInBackground(SnapshotCopier copier, ExportedSnapshot snap, TableId table) {
        Throwable failed = null;
        try (snap) {
            copier.copy(List.of(table), snap, queue);
            copiedThisRun.add(table);
        } catch (Throwable e) {
            failed = e;
        } finally {
            backfilling.remove(table);
            backfillThreads.remove(Thread.currentThread());
        }
        if (failed == null || !running) {
            return;
        }
        if (isTransient(failed)) {
            LOG.warn("source {}: copying {} failed ({}); copying it again", names.slot(), table, message(failed));
            lastError = message(failed);
            sleep(options.backoff().initial());
            copyRequests.add(new CopyRequest(table, true));
        } else {
            fail(failed);
        }
    }

    /**
     * One heartbeat on {@code c} (or on a new connection if null); returns the connection to use next time, null
     * after a failure (the connection, old or new, is closed then).
     */
    Connection heartbeat(Connection c) {
        Connection conn = c;
        try {
            if (conn == null) {
                conn = connector.connect("heartbeat");
                // On a network path that silently drops everything the statement would hang the reader (and with
                // it the replication timeout) until the operating system gives up on the connection.
                conn.setNetworkTimeout(Runnable::run, HEARTBEAT_TIMEOUT_MS);
            }
            try (Statement st = conn.createStatement()) {
                st.execute("SELECT pg_logical_emit_message(true, 'etl-stream', 'heartbeat')");
            }
            return conn;
        } catch (RuntimeException | SQLException e) {
            LOG.debug("heartbeat failed: {}", e.getMessage());
            // A server error (a standby source, a missing privilege) leaves the connection open: close it too, or
            // every heartbeat interval would leak one until max_connections runs out.
            if (conn != null) {
                try {
                    conn.close();
                } catch (SQLException ignored) {
                    // dropping a broken helper connection
                }
            }
            return null;
        }
    }

    private void applyDurable(ReplicationStream s) throws SQLException {
        long d = durable.get();
        if (d > s.confirmedLsn()) {
            s.confirm(d);
            confirmedLsn = d;
        }
    }

    private void put(ChangeEvent e, DeliveryQueue.WhileWaiting keepAlive) {
        // Only the pipeline's tables: a table removed from the publication still has changes in the WAL written
        // before the ALTER PUBLICATION, and pgoutput sends those.
        if (e instanceof io.etlstream.batch.ChangeBatch b && !tables.contains(b.table())) {
            b.close();
            return;
        }
        if (e instanceof io.etlstream.batch.SchemaChange sc && !tables.contains(sc.table())) {
            return;
        }
        try {
            queue.put(e, keepAlive);
        } catch (Exception ex) {
            if (e instanceof io.etlstream.batch.ChangeBatch b) {
                b.close();
            }
            throw new StoppingException(ex);
        }
        try {
            // A committed transaction replayed from memory or a spill file is put without reading the stream in
            // between, however long it is: feedback must not depend on the queue ever being full.
            keepAlive.run();
        } catch (Exception ex) {
            throw new StoppingException(ex); // the event is queued: the delivery thread owns it now
        }
    }

    /** Unwinds the reader out of the assembler when the queue is closed or a keep-alive failed. */
    private static final class StoppingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoppingException(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    // ---------------------------------------------------------------- delivery thread

    private void deliver() {
        try {
            while (true) {
                boolean stopping = !running;
                if (stopping && (failure != null || System.nanoTime() - drainDeadline >= 0)) {
                    break;
                }
                Object item = queue.poll(stopping ? 0 : 100);
                if (item == null) {
                    if (stopping) {
                        // Everything read before the stop is with the sink: let it make that durable in time.
                        long left = drainDeadline - System.nanoTime();
                        if (left > 0) {
                            sink.drain(Duration.ofNanos(left));
                        }
                        break;
                    }
                    continue;
                }
                if (item == DeliveryQueue.WAKE_UP) {
                    continue;
                }
                if (item instanceof ChangeEvent e) {
                    sink.accept(e);
                } else if (item instanceof DeliveryQueue.SnapshotStart st) {
                    sink.snapshotStarting(st.schema(), st.consistentPoint());
                } else if (item instanceof DeliveryQueue.SnapshotDone d) {
                    sink.snapshotCompleted(d.table());
                } else if (item instanceof DeliveryQueue.CopyStarting c) {
                    sink.tableCopyStarting(c.table(), c.snapshotLsn());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            if (running) {
                // Not user-facing by itself: the cause decides whether the pipeline retries (a fenced channel, a
                // timeout) or stops for the user (a UserFacingException from the sink, e.g. a missing privilege).
                fail(new IllegalStateException("the destination failed: " + message(e), e));
            } else {
                LOG.warn("source {}: the destination failed while stopping: {}", names.slot(), message(e));
            }
        }
    }

    // ---------------------------------------------------------------- shared

    private synchronized void moveTo(SourceState next) {
        if (state == next || state == SourceState.STOPPED || state == SourceState.FAILED) {
            return;
        }
        state = state.moveTo(next);
        if (next == SourceState.SNAPSHOT || next == SourceState.STREAMING) {
            connectedOnce = true;
        }
    }

    private void fail(Throwable e) {
        lastError = message(e);
        LOG.error("source {} failed: {}", names.slot(), lastError);
        synchronized (this) {
            if (state != SourceState.STOPPED && state != SourceState.FAILED) {
                state = state.moveTo(SourceState.FAILED);
            }
        }
        failure = e; // published after the state, so whoever sees the failure sees FAILED
        running = false;
        queue.close();
        ReplicationStream s = currentStream;
        if (s != null) {
            s.abort();
        }
    }

    static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SlotMissingException) {
                return false;
            }
            if (t instanceof ConnectionFailedException c) {
                return switch (c.kind()) {
                    case REFUSED, TIMEOUT, STARTING_UP, TOO_MANY_CONNECTIONS, OTHER -> true;
                    default -> false;
                };
            }
            if (t instanceof SQLException s) {
                String state = s.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("55006")
                        || state.equals("53300"))) {
                    return true;
                }
            }
            if (t instanceof IOException || t instanceof StoppingException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private void sleep(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (running && System.nanoTime() < end) {
            try {
                Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Stops cleanly: stops reading, lets the sink take what was already read (for at most
     * {@link Options#drainBudget()}),
     * confirms to PostgreSQL what the sink made durable, then closes the replication and snapshot connections and
     * releases whatever is still queued.
     */
    @Override
    public void close() {
        drainDeadline = System.nanoTime() + options.drainBudget().toNanos();
        running = false;
        queue.stopProducers();
        join(reader, options.drainBudget().toMillis() + 20_000);
        if (reader != null && reader.isAlive()) {
            // Stuck on a connection nobody has heard from: drop it, so the reader ends and releases its memory.
            LOG.warn("source {}: the reader did not stop in time; dropping its replication connection", names.slot());
            abortStreamConnection();
            join(reader, 5_000);
        }
        for (Thread t : List.copyOf(backfillThreads)) {
            join(t, 20_000);
        }
        join(delivery, 60_000);
        queue.close();
        synchronized (this) {
            if (state != SourceState.NEW) {
                state = state == SourceState.STOPPED ? state : state.moveTo(SourceState.STOPPED);
            } else {
                state = SourceState.STOPPED;
            }
        }
        SpillDirectory d = spill;
        if (d != null) {
            d.close();
        }
        if (memory != null) {
            try {
                memory.close();
            } catch (IllegalStateException e) {
                LOG.warn("source {}: batches still open at close (the sink did not close them): {}", names.slot(),
                        e.getMessage());
            }
        }
        if (root != null) {
            try {
                root.close();
            } catch (IllegalStateException e) {
                LOG.warn("source {}: memory still allocated at close: {}", names.slot(), e.getMessage());
            }
        }
    }

    private static void join(Thread t, long millis) {
        if (t == null) {
            return;
        }
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
