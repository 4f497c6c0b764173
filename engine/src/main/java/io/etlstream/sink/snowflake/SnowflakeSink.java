package io.etlstream.sink.snowflake;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.SchemaChange;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.catalog.DeleteMode;
import io.etlstream.catalog.OversizePolicy;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkEvents;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.SinkEvents.Level;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.snowflake.ingest.streaming.InsertValidationResponse;
import net.snowflake.ingest.streaming.OpenChannelRequest;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestChannel;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClient;
import net.snowflake.ingest.utils.ErrorCode;
import net.snowflake.ingest.utils.SFException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipeline's writer into Snowflake: a Snowpipe Streaming channel per source table into its {@code T_HISTORY}
 * table, and in mirror mode a periodic MERGE from history into the mirror {@code T} (history mode keeps only history).
 *
 * <p>Exactly once: each insert carries an offset token (commit LSN, {@code :seq} for part of a transaction). On
 * open, each channel's committed token is read and every change at or below it is skipped, so a replay from
 * PostgreSQL after a crash adds nothing twice. PostgreSQL is told a transaction is durable only when every channel
 * that received a row of it (or of an earlier one) has committed that row (ARCHITECTURE.md invariant 1).
 *
 * <p>Threads: {@link #accept} runs on the pipeline's thread. On the engine-wide scheduler shared by every sink, one
 * task polls committed tokens and reports durability, another runs the mirror MERGEs. They share only the per-table
 * token fields and the checkpoint queue, guarded by {@code lock}, which is never held across I/O. Hand-offs into the
 * SDK (insert, channel close) and SQL statements are bounded across all pipelines by the {@link FlushLimiter}.
 */
public final class SnowflakeSink implements ChangeSink {

    private static final Logger log = LoggerFactory.getLogger(SnowflakeSink.class);

    private final String pipeline;
    private final SnowflakeStreamingIngestClient client;
    private final SqlSession sql;
    private final SinkOptions options;
    private final SinkEvents events;
    private final FlushLimiter limiter;
    private final Clock clock;
    private final MergeWatermarks watermarks;
    private final TableKeys keys;

    private final Map<TableId, TableSink> tables = new ConcurrentHashMap<>();
    /**
     * Per table resynced in this run: the position just below the copy's snapshot. Stream changes at
     * or below it are in the copy and are skipped; the copy's rows carry it as their offset token, so after a restart
     * the channel itself still says so.
     */
    private final Map<TableId, OffsetToken> copyFloors = new ConcurrentHashMap<>();
    /** Tables stopped in an earlier run and not resynced since, with the reason: they stay stopped. */
    private final Map<TableId, String> stoppedBefore = new ConcurrentHashMap<>();
    /** Tables being copied, with the copy's consistent point; owned by the accept thread. */
    private final Map<TableId, Long> copying = new HashMap<>();
    private final Object lock = new Object();
    private final ArrayDeque<Checkpoint> checkpoints = new ArrayDeque<>();
    private long durableReported;
    private volatile Durability durability;
    private volatile RuntimeException backgroundFailure;
    /** Rows in flight this long without Snowflake committing more of them: a WARN event (then INFO when it does). */
    private volatile long stallWarnNanos = TimeUnit.SECONDS.toNanos(30);
    private final ScheduledExecutorService scheduler;
    /** This sink's periodic tasks on the shared scheduler; cancelled on close. */
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    /** Tests: sees every SQL statement the sink sends, before it is sent. */
    volatile java.util.function.Consumer<String> statementObserver = s -> { };

    /**
     * {@code watermarks}: where the pipeline's mirrors' merge positions outlive the process (see there); {@code keys}:
     * where the key each table is merged on outlives it;
     * {@code scheduler}: the engine-wide one shared by every sink ({@link io.etlstream.sink.SinkThreads}), not owned.
     */
    public SnowflakeSink(String pipeline, SnowflakeStreamingIngestClient client, SqlSession sql, SinkOptions options,
            SinkEvents events, FlushLimiter limiter, Clock clock, MergeWatermarks watermarks, TableKeys keys,
            ScheduledExecutorService scheduler) {
        this.watermarks = Objects.requireNonNull(watermarks, "watermarks");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
        this.client = Objects.requireNonNull(client, "client");
        this.sql = Objects.requireNonNull(sql, "sql");
        this.options = Objects.requireNonNull(options, "options");
        this.events = Objects.requireNonNull(events, "events");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A position durability waits for: after {@code endLsn} (or a table's snapshot) every listed channel must commit. */
    private record Checkpoint(long endLsn, Map<TableSink, OffsetToken> required) {}

    /** Per source table state. Token fields are guarded by {@code lock}; the rest belongs to the accept thread. */
    private final class TableSink {
        final DestinationTables names;
        volatile TableLayout layout;
        RowConverter converter;
        SnowflakeStreamingIngestChannel channel;
        /** Committed token when the channel was opened: changes at or below it are already in Snowflake. */
        OffsetToken committedAtOpen;
        // guarded by lock
        OffsetToken sent;
        OffsetToken committed;
        volatile boolean stopped;
        /** Why the table stopped, as the user reads it (set before {@code stopped}). */
        volatile String stopReason;
        volatile boolean dirty;
        /** The accept thread merges it one last time before it stops: the scheduled merges leave it alone. */
        volatile boolean lastMerge;
        /**
         * Claimed by whoever runs a merge sequence of this table: two sequences over one mirror could re-run an earlier
         * sub-window over a mirror already past it, which brings back hard-deleted rows until a later MERGE runs.
         */
        final AtomicBoolean merging = new AtomicBoolean();
        /** Run applyTruncate before the next MERGE: a TRUNCATE marker was sent, or may be unapplied after a crash. */
        volatile boolean truncatePending;
        /** The newest TRUNCATE marker sent; the mirror is emptied for it once history has committed it. */
        volatile OffsetToken truncateAt;
        volatile Long mergeFrom;
        /**
         * The highest commit LSN at which history may hold a half of a key change (null: none): a merge window from
         * at or below it needs the recursive walk; every other window takes the plain MERGE. After the channel opens
         * the rows an earlier run wrote are unknown, so everything it committed counts as possibly holding one.
         */
        volatile Long keyChangeLsn;
        /** The key last recorded in {@link #keys} for this table (null: none); owned by the accept thread. */
        List<String> savedKeys;
        // commit-stall watch, guarded by lock
        long waitingSince;
        OffsetToken waitingAt;
        boolean stallReported;

        TableSink(DestinationTables names, TableLayout layout) {
            this.names = names;
            this.layout = layout;
        }

        boolean outstanding() {
            return sent != null && (committed == null || committed.compareTo(sent) < 0);
        }
    }

    @Override
    public void open(Durability d) {
        this.durability = Objects.requireNonNull(d, "durability");
        long poll = options.commitPollInterval().toMillis();
        timers.add(scheduler.scheduleWithFixedDelay(this::pollCommittedSafely, poll, poll, TimeUnit.MILLISECONDS));
        if (options.mirrors()) {
            long merge = options.mergeInterval().toMillis();
            timers.add(scheduler.scheduleWithFixedDelay(this::mergeSafely, merge, merge, TimeUnit.MILLISECONDS));
        }
    }

    @Override
    public void accept(ChangeEvent event) {
        RuntimeException f = backgroundFailure;
        if (f != null) {
            if (event instanceof ChangeBatch b) {
                b.close();
            }
            throw f;
        }
        if (event instanceof SchemaChange sc) {
            onSchema(sc);
        } else if (event instanceof ChangeBatch b) {
            try (b) {
                onBatch(b);
            }
        } else if (event instanceof TransactionCommitted tc) {
            onCommitted(tc);
        }
        // Heartbeats need nothing: their transaction's TransactionCommitted follows.
    }

    /**
     * Before a table's copy, after {@link #tableCopyStarting} has dropped the table's history and mirror (the source
     * announces every copy that way first, so whatever an interrupted earlier copy left behind is already gone): the
     * tables are created from the copy's columns before its first row, and its batches are marked as the copy's.
     */
    @Override
    public void snapshotStarting(TableSchema schema, long consistentPoint) {
        TableSink t = tables.get(schema.table());
        if (t == null) {
            openTable(schema);
            t = tables.get(schema.table());
        } else if (!t.stopped && !sameColumns(t.layout, schema)) {
            evolve(t, schema);
        }
        if (t == null || t.stopped) {
            return;
        }
        t.mergeFrom = null;
        t.dirty = true;
        copying.put(schema.table(), consistentPoint);
        log.info("copy of {} starts at {}", schema.table(), OffsetToken.formatLsn(consistentPoint));
    }

    /**
     * Snapshot rows carry the token just below the copy's consistent point. The table's channel is closed (the SDK
     * flushes it and waits until Snowflake has committed every row) and reopened; then the snapshot is durable, and
     * the reopened channel's committed token makes the stream skip the changes the copy already holds. A copy with no
     * rows put no token on the channel: it is reopened with the copy's position as its committed token, or a restart
     * that streams from below that position (the slot's confirmed LSN lags the copy's snapshot) would apply again the
     * changes the copy covers.
     */
    @Override
    public void snapshotCompleted(TableId table) {
        copying.remove(table);
        TableSink t = tables.get(table);
        if (t != null && !t.stopped && t.channel != null) {
            closeChannelCommitted(t);
            OffsetToken floor = copyFloors.get(table);
            OffsetToken sent;
            synchronized (lock) {
                sent = t.sent;
            }
            openChannel(t, floor != null && (sent == null || sent.compareTo(floor) < 0) ? floor : null);
        }
        Durability d = durability;
        if (d != null && (t == null || !t.stopped)) {
            d.snapshotDurable(table);
            if (copyFloors.containsKey(table)) {
                events.event(Level.INFO, table, "Copy of " + table + " is committed in Snowflake"
                        + (t == null ? " (the table was empty)" : " (" + t.names.history().sql() + ")")
                        + "; it follows the stream.");
            }
        }
    }

    /**
     * Resets the table's destination for a new copy: its channel is closed, its history (and mirror) table dropped, so
     * the copy recreates them from the source's current columns (this is also how a table stopped for a schema
     * change or a value it could not take runs again). Stream changes committed before {@code snapshotLsn} are in
     * the copy and are skipped from now on; the copy's rows carry the offset token just below {@code snapshotLsn},
     * so the channel keeps saying so after a restart. The table's old channel no longer holds back durability: its
     * rows are replaced, and until the copy is durable the source's ledger brings the copy back after a crash.
     */
    @Override
    public void tableCopyStarting(TableId table, long snapshotLsn) {
        TableSink old = tables.remove(table);
        boolean wasStopped = (old != null && old.stopped) | stoppedBefore.remove(table) != null;
        if (old != null) {
            synchronized (lock) {
                old.stopped = true;
                old.sent = null;
            }
            closeChannel(old);
        }
        DestinationTables names = DestinationTables.of(table, sql.database(), sql.schema());
        watermarks.forget(table);
        keys.forget(table);
        runSql(SnowflakeSql.dropTable(names.qualifiedHistory()));
        if (options.mirrors()) {
            runSql(SnowflakeSql.dropTable(names.qualifiedMirror()));
        }
        if (snapshotLsn != 0) {
            copyFloors.put(table, OffsetToken.complete(snapshotLsn - 1));
        } else {
            copyFloors.remove(table);
        }
        String recreated = names.history().sql() + (options.mirrors() ? " and " + names.mirror().sql() : "");
        events.event(Level.INFO, table, (wasStopped ? "Resync of stopped table " + table + ": it runs again. " : "")
                + "Copying " + table + " as of " + OffsetToken.formatLsn(snapshotLsn) + " into new " + recreated
                + "; its changes from that position on follow the copy.");
        log.info("{}: destination reset for a copy as of {}", table, OffsetToken.formatLsn(snapshotLsn));
    }

    // ---- schema ------------------------------------------------------------------------------------------------

    private void onSchema(SchemaChange sc) {
        TableSink t = tables.get(sc.table());
        if (t == null) {
            openTable(sc.after());
        } else if (!t.stopped) {
            // Key flags are the row's real identity, under REPLICA IDENTITY FULL too (the source resolves the
            // primary key), so switching between DEFAULT and FULL changes no column here. A key that goes or comes
            // stops the table (TableLayout.evolve), so a table keeps the keyed-ness it was copied with.
            evolve(t, sc.after());
        }
    }

    private void openTable(TableSchema schema) {
        DestinationTables names = DestinationTables.of(schema.table(), sql.database(), sql.schema());
        List<DestinationTables> open = new ArrayList<>();
        tables.values().forEach(t -> open.add(t.names));
        open.add(names);
        DestinationTables.requireDistinct(open); // two source tables must never share (and drop) one Snowflake table
        String stoppedFor = stoppedBefore.get(schema.table());
        if (stoppedFor != null) {
            // Still stopped from an earlier run: no DDL, no channel; its changes are dropped until its resync.
            TableSink t = new TableSink(names, TableLayout.initial(schema));
            t.stopReason = stoppedFor;
            t.stopped = true;
            tables.put(schema.table(), t);
            return;
        }
        TableLayout wanted = TableLayout.initial(schema);
        List<TableLayout.Incompatible> reserved = TableLayout.reservedNames(schema);
        if (!reserved.isEmpty()) {
            // Before any DDL: CREATE TABLE would clash with the sink's own columns, or DESCRIBE would hide the column.
            TableSink t = new TableSink(names, wanted);
            tables.put(schema.table(), t);
            stopTable(t, stopMessage(schema.table(), reserved));
            return;
        }
        runSql(SnowflakeSql.createHistory(names, wanted));
        if (options.mirrors()) {
            runSql(SnowflakeSql.createMirror(names, wanted));
        }
        List<String> mergedOn = keys.load(schema.table());
        TableLayout existing = describe(names, schema, mergedOn);
        TableSink t = new TableSink(names, existing);
        t.savedKeys = mergedOn;
        tables.put(schema.table(), t);
        TableLayout.Evolution e = existing.evolve(schema);
        applyEvolution(t, e, false);
        if (t.stopped) {
            return;
        }
        if (wanted.keys().isEmpty()) {
            warnNoKey(names);
        }
        openChannel(t);
        if (options.mirrors()) {
            catchUpMirror(t);
        }
    }

    /**
     * Whether the mirror lacks history the previous run committed: the channel's committed token (read on open, from
     * Snowpipe Streaming, no warehouse) against the merge watermark. Only then does the first merge of this run fold
     * history in and re-apply the newest TRUNCATE marker (a crash between the marker's commit and the merge that
     * empties the mirror leaves it committed but unapplied); an idle pipeline that was merged up to date runs no SQL.
     */
    private void catchUpMirror(TableSink t) {
        OffsetToken committed;
        synchronized (lock) {
            committed = t.committed;
        }
        if (committed == null) {
            return; // nothing was ever committed into this history table: nothing to fold in
        }
        t.keyChangeLsn = maxLsn(t.keyChangeLsn, committed.lsn());
        OffsetToken merged = watermarks.load(t.names.source());
        if (merged != null && committed.compareTo(merged) <= 0) {
            return;
        }
        t.truncatePending = true;
        t.dirty = true;
        log.info("{}: history committed up to {}, mirror merged up to {}: merging at the next interval",
                t.names.source(), committed, merged == null ? "unknown" : merged);
    }

    private void warnNoKey(DestinationTables names) {
        if (options.mirrors()) {
            events.event(Level.WARN, names.source(), "Table " + names.source() + " has no primary key (replica"
                    + " identity): its changes land in " + names.history().sql() + " but the mirror "
                    + names.mirror().sql() + " is not maintained. Add a primary key to mirror it.");
        }
    }

    /**
     * The history table's columns as Snowflake has them, in order, matched to the source's column names. Key flags come
     * from {@code mergedOn}, the key the tables were last merged on, when it is known: then {@link TableLayout#evolve}
     * to the source's schema sees a key changed while the engine was stopped exactly as it sees one while it runs (a
     * former key column the source no longer has counts as present until then, so its loss is seen). Unknown (a
     * pipeline from a build that did not record keys), the source's key is taken as the tables' own.
     */
    private TableLayout describe(DestinationTables names, TableSchema schema, List<String> mergedOn) {
        Map<String, RelationColumn> byResolved = new HashMap<>();
        for (RelationColumn c : schema.columns()) {
            byResolved.put(SnowflakeName.fromPostgres(c.name()).resolved(), c);
        }
        Map<String, String> keyByResolved = new HashMap<>();
        if (mergedOn != null) {
            for (String k : mergedOn) {
                keyByResolved.put(SnowflakeName.fromPostgres(k).resolved(), k);
            }
        }
        List<DestColumn> cols = new ArrayList<>();
        for (List<String> row : runSql("DESCRIBE TABLE " + names.qualifiedHistory())) {
            String name = row.get(0);
            if (name.startsWith("_ETL_")) {
                continue;
            }
            RelationColumn src = byResolved.get(name);
            String formerKey = keyByResolved.get(name);
            boolean key = mergedOn != null ? formerKey != null : src != null && src.key();
            String sourceName = src != null ? src.name() : formerKey != null ? formerKey : name;
            cols.add(new DestColumn(cols.size() + 1, sourceName, SnowflakeName.of(name),
                    SnowflakeType.parse(row.get(1)), key, src == null && formerKey == null));
        }
        return new TableLayout(cols);
    }

    /** Records the key the table is merged on from now on, if it differs from the one recorded. */
    private void rememberKeys(TableSink t) {
        List<String> now = t.layout.keys().stream().filter(c -> !c.droppedAtSource()).map(DestColumn::sourceName)
                .toList();
        if (!now.equals(t.savedKeys)) {
            keys.save(t.names.source(), now);
            t.savedKeys = now;
        }
    }

    private void evolve(TableSink t, TableSchema after) {
        TableLayout.Evolution e = t.layout.evolve(after);
        if (e.hasDdl()) {
            // The channel caches the table's columns: drain it, change the tables, reopen.
            drain(t);
            closeChannelCommitted(t);
            applyEvolution(t, e, true);
            if (!t.stopped) {
                openChannel(t);
            }
        } else {
            applyEvolution(t, e, true);
        }
    }

    private void applyEvolution(TableSink t, TableLayout.Evolution e, boolean live) {
        TableId id = t.names.source();
        if (!e.incompatible().isEmpty()) {
            String merged = e.keyChanged() ? mergeUpToKeyChange(t, live) : keylessGainingKey(t, e);
            stopTable(t, stopMessage(id, e.incompatible(), merged));
            return;
        }
        for (DestColumn c : e.added()) {
            runSql(SnowflakeSql.addColumn(t.names.qualifiedHistory(), c));
            if (options.mirrors()) {
                runSql(SnowflakeSql.addColumn(t.names.qualifiedMirror(), c));
            }
            // PostgreSQL fills existing rows from a DEFAULT without writing a change for them, so nothing arrives.
            events.event(Level.INFO, id, "Column " + c.sourceName() + " added at the source: added to "
                    + t.names.history().sql() + (options.mirrors() ? " and " + t.names.mirror().sql() : "")
                    + " as " + c.type().ddl() + ". Rows that existed before hold NULL in it until they change, even"
                    + " if PostgreSQL filled them from a DEFAULT; resync the table if they must carry that value ("
                    + resyncCommand(id) + ").");
        }
        for (DestColumn c : e.widened()) {
            runSql(SnowflakeSql.widenColumn(t.names.qualifiedHistory(), c));
            if (options.mirrors()) {
                runSql(SnowflakeSql.widenColumn(t.names.qualifiedMirror(), c));
            }
            events.event(Level.INFO, id, "Column " + c.sourceName() + " widened at the source: now " + c.type().ddl());
        }
        for (DestColumn c : e.dropped()) {
            events.event(Level.WARN, id, "Column " + c.sourceName() + " was dropped at the source: it stays in"
                    + " Snowflake and receives nulls from now on.");
        }
        t.layout = e.next();
        rememberKeys(t);
        t.converter = new RowConverter(t.names, t.layout, options.oversize() == OversizePolicy.STOP
                ? ValuePolicy.STOP_TABLE : ValuePolicy.NULL_AND_EVENT);
    }

    /**
     * Stops writing the table: from now on its changes are dropped, including after a restart (the pipeline keeps the
     * table ERRORED with this message and hands it back through {@link #keepStopped}). A stopped table no longer
     * holds back durability: PostgreSQL is told the other tables' progress, so the slot does not retain WAL (and fill
     * the source's disk) for a table that may stay stopped for days. Skipping its changes is safe only because the
     * one way out, a resync, drops its Snowflake tables and copies it again from a new snapshot.
     */
    private static String stopMessage(TableId id, List<TableLayout.Incompatible> incompatible) {
        return stopMessage(id, incompatible, "");
    }

    /** {@code done}: what was still done before the stop (a sentence with a leading space), or empty. */
    private static String stopMessage(TableId id, List<TableLayout.Incompatible> incompatible, String done) {
        StringBuilder why = new StringBuilder();
        for (TableLayout.Incompatible i : incompatible) {
            why.append(why.length() == 0 ? "" : "; ").append(i.message());
        }
        return "Stopped table " + id + ": " + why + "." + done + " Resync the table (it is copied again into new"
                + " Snowflake tables); the other tables keep running.";
    }

    /**
     * Before a table whose key changed stops (moved, narrowed, renamed or dropped): history holds only changes written
     * under the old layout (the source describes the table anew before its first change under the new key), so they
     * are merged on the old key now, once the channel has committed them; the mirror then holds the table as of just
     * before the change, where a plain stop would leave it at the last interval's merge. {@code live} false: the
     * table is being opened after a restart, and what earlier runs committed may hold key changes (as
     * {@link #catchUpMirror} assumes). The scheduled merges leave the table alone from here on ({@code lastMerge}). A
     * failure is thrown: the pipeline retries from its durable position, which comes to this change again. Returns
     * the sentence for the stop message.
     */
    private String mergeUpToKeyChange(TableSink t, boolean live) {
        if (!options.mirrors()) {
            return "";
        }
        if (t.channel != null) {
            drain(t);
        }
        if (!live) {
            t.keyChangeLsn = -1L; // the highest LSN, unsigned: every window walks
        }
        TableLayout before = t.layout;
        t.lastMerge = true;
        try {
            claimMerging(t); // a scheduled or flush merge that began before lastMerge was set ends first
            try {
                runSql(SnowflakeSql.applyTruncate(t.names, toSqlMode(options.deleteMode())));
                merge(t, before);
            } finally {
                t.merging.set(false);
            }
        } catch (RuntimeException e) {
            t.lastMerge = false;
            throw e;
        }
        String key = String.join(", ", before.keys().stream().filter(c -> !c.droppedAtSource())
                .map(DestColumn::sourceName).toList());
        log.info("{}: history merged on its old key ({}) before the table stops", t.names.source(), key);
        return " Every change written before the key changed was merged into " + t.names.mirror().sql()
                + " on the old key (" + key + "): it holds the table as it was just before.";
    }

    /** A keyless table that gains a key: its mirror was never merged and there is no old key to merge it on. */
    private String keylessGainingKey(TableSink t, TableLayout.Evolution e) {
        boolean keyless = t.layout.keys().stream().allMatch(DestColumn::droppedAtSource);
        if (!options.mirrors() || !keyless || e.next().keys().isEmpty()) {
            return "";
        }
        return " Nothing was merged into " + t.names.mirror().sql() + " before the stop: the table had no key to"
                + " merge its history on (" + t.names.history().sql() + " holds every change).";
    }

    /** Waits (no lock held: the other merge runs SQL) until this thread holds the table's merge claim. */
    private static void claimMerging(TableSink t) {
        while (!t.merging.compareAndSet(false, true)) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for the running merge of " + t.names.source(), e);
            }
        }
    }

    private void stopTable(TableSink t, String message) {
        // The stored reason is what status and the console show; they add the resync command themselves.
        String reason = message + " Until then its changes are not written and do not hold back the replication slot"
                + " (the resync copies the table again, so nothing is missing afterwards).";
        String full = reason + " " + resyncCommand(t.names.source());
        t.stopReason = reason;
        t.stopped = true;
        events.event(Level.ERROR, t.names.source(), full);
        log.error("{}", full);
        synchronized (lock) {
            t.sent = null;
        }
    }

    private String resyncCommand(TableId table) {
        return "etl-stream pipeline resync " + pipeline + " --table " + table;
    }

    // ---- channels ----------------------------------------------------------------------------------------------

    private String channelName(TableId id) {
        return pipeline + "." + id.schema() + "." + id.name();
    }

    private void openChannel(TableSink t) {
        openChannel(t, null);
    }

    /** Opens the table's channel; {@code setCommitted}: a position to record as its committed token (null: keep). */
    private void openChannel(TableSink t, OffsetToken setCommitted) {
        String name = channelName(t.names.source());
        OffsetToken c;
        try {
            OpenChannelRequest.OpenChannelRequestBuilder request = OpenChannelRequest.builder(name)
                    .setDBName(SnowflakeName.fromUser(sql.database()).sdk())
                    .setSchemaName(SnowflakeName.fromUser(sql.schema()).sdk())
                    .setTableName(t.names.history().sdk())
                    .setOnErrorOption(OpenChannelRequest.OnErrorOption.ABORT)
                    .setDefaultTimezone(ZoneOffset.UTC);
            if (setCommitted != null) {
                request.setOffsetToken(setCommitted.toString());
            }
            t.channel = client.openChannel(request.build());
            c = OffsetToken.parse(t.channel.getLatestCommittedOffsetToken());
        } catch (SFException e) {
            throw SnowpipeErrors.toSinkError(e, "opening the channel into " + t.names.qualifiedHistory(), name);
        }
        t.committedAtOpen = max(c, copyFloors.get(t.names.source()));
        synchronized (lock) {
            t.committed = c;
            if (t.sent == null || (c != null && c.compareTo(t.sent) > 0)) {
                t.sent = c;
            }
        }
        log.info("channel {} open, committed offset token {}{}", name, c,
                setCommitted == null ? "" : " (set to the position of a copy that had no rows)");
    }

    /** Closes the channel of a table whose rows no longer matter (reset, stop): a failure is only logged. */
    private void closeChannel(TableSink t) {
        if (t.channel != null) {
            SnowflakeStreamingIngestChannel ch = t.channel;
            try {
                // Handing the close (the SDK's flush of the channel) over is under the flush limit; waiting for
                // Snowflake's commit is not, or one slow commit would hold a permit every pipeline needs.
                limiter.flush(ch::close).get(2, TimeUnit.MINUTES);
            } catch (Exception e) {
                log.warn("closing channel {}: {}", t.channel.getName(), e.toString());
            }
            t.channel = null;
        }
    }

    /**
     * Closes the channel as a commit barrier: the SDK flushes it and waits until Snowflake committed every row sent.
     * A failure means those rows may not be committed, so it is thrown (classified), never passed over.
     */
    private void closeChannelCommitted(TableSink t) {
        if (t.channel == null) {
            return;
        }
        SnowflakeStreamingIngestChannel ch = t.channel;
        t.channel = null;
        try {
            flush(ch::close).get(2, TimeUnit.MINUTES); // the hand-off under the flush limit, as in closeChannel
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SFException sf) {
                throw SnowpipeErrors.toSinkError(sf, "closing the channel of " + t.names.source(), ch.getName());
            }
            throw new IllegalStateException("closing the Snowflake channel " + ch.getName() + " failed: "
                    + e.getCause() + "; the pipeline retries from the last durable position.", e.getCause());
        } catch (SFException e) {
            throw SnowpipeErrors.toSinkError(e, "closing the channel of " + t.names.source(), ch.getName());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Snowflake did not commit the rows of " + t.names.source() + " within 2"
                    + " minutes; the pipeline retries from the last durable position. Check the destination with"
                    + " 'etl-stream destination test'.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while closing the channel of " + t.names.source(), e);
        }
    }

    /** Waits until everything sent on this table's channel is committed. */
    private void drain(TableSink t) {
        drain(t, System.nanoTime() + TimeUnit.MINUTES.toNanos(2));
    }

    private void drain(TableSink t, long deadline) {
        while (true) {
            synchronized (lock) {
                if (!t.outstanding()) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new io.etlstream.UserFacingException("Snowflake did not commit the rows of " + t.names.source()
                        + " in time; check the destination with 'etl-stream destination test'.");
            }
            pollCommitted();
            sleep(50);
        }
    }

    // ---- rows --------------------------------------------------------------------------------------------------

    private void onBatch(ChangeBatch b) {
        TableSink t = tables.get(b.table());
        if (t == null) {
            // Snapshot batches come without a SchemaChange: the batch carries the table's shape.
            openTable(b.schema());
            t = tables.get(b.table());
        } else if (!t.stopped && !sameColumns(t.layout, b.schema())) {
            // a batch whose table changed shape without a SchemaChange before it (a backfill's snapshot batches)
            evolve(t, b.schema());
        }
        if (t.stopped || b.rowCount() == 0) {
            return;
        }
        Long copyPoint = copying.get(b.table());
        boolean snapshot = b.fromCopy();
        // During a resync the table's stream changes (later LSNs) interleave with the copy's rows: only batches at
        // the copy's point are the copy's.
        boolean copyRows = snapshot && copyPoint != null && b.lastCommitLsn() == copyPoint;
        OffsetToken skip = t.committedAtOpen;
        if (!snapshot) {
            // After a reconnect the source replays from the durable position, below what this channel has already
            // taken: those changes are in the channel (it commits them or is invalidated, which restarts the whole
            // pipeline), so they are not sent a second time.
            synchronized (lock) {
                skip = max(skip, t.sent);
            }
        }
        RowConverter.Rows rows;
        try {
            rows = t.converter.convert(b, skip, clock.instant(), n -> events.event(Level.WARN, b.table(),
                    "Value of " + b.table() + "." + n.column() + " at " + OffsetToken.partial(n.lsn(), n.seq()) + " "
                            + n.reason() + "; written as null (table's oversize policy)."));
        } catch (UnrepresentableValueException e) {
            stopTable(t, e.getMessage());
            return;
        }
        if (rows.rows().isEmpty()) {
            return;
        }
        OffsetToken token;
        if (copyRows) {
            // The copy holds every transaction that committed below its consistent point: once its rows are
            // committed, the channel's token says so, and a stream replayed from an earlier position (after a crash
            // during the copy or before the first confirmation) skips those transactions for this table. Never
            // below what the channel already has (a resync's stream changes may have gone first).
            synchronized (lock) {
                token = max(t.sent, OffsetToken.complete(copyPoint - 1));
            }
        } else if (snapshot) {
            // Snapshot rows all carry the consistent point and a row number as seq, which is no position: they keep
            // the channel's token; snapshotCompleted() closes the channel as the commit barrier instead.
            synchronized (lock) {
                token = max(t.sent, copyFloors.get(b.table()));
            }
        } else {
            token = b.endsTransaction() ? OffsetToken.complete(b.lastCommitLsn())
                    : OffsetToken.partial(rows.lastLsn(), rows.lastSeq());
        }
        if (rows.keyChanged()) {
            // before the rows go out: a merge that sees them in history must already know to walk
            t.keyChangeLsn = maxLsn(t.keyChangeLsn, rows.lastLsn());
        }
        insert(t, rows.rows(), token);
        OffsetToken truncateAt = rows.lastTruncate();
        if (truncateAt != null && !t.stopped) {
            onTruncate(t, truncateAt);
        }
    }

    /**
     * A TRUNCATE row went into history with the batch: the merge empties the mirror up to it once history has
     * committed it (the merge already ignores older history rows: they sort before the marker).
     */
    private void onTruncate(TableSink t, OffsetToken at) {
        TableId id = t.names.source();
        t.truncateAt = at;
        t.truncatePending = options.mirrors();
        events.event(Level.INFO, id, "TRUNCATE of " + id + " at " + at + ": marked in " + t.names.history().sql()
                + (options.mirrors() ? "; the mirror is emptied at the next merge." : "."));
    }

    private static Long maxLsn(Long a, long b) {
        return a == null || Long.compareUnsigned(b, a) > 0 ? b : a;
    }

    private static OffsetToken max(OffsetToken a, OffsetToken b) {
        return a == null ? b : b == null || a.compareTo(b) >= 0 ? a : b;
    }

    private static boolean sameColumns(TableLayout layout, TableSchema schema) {
        for (RelationColumn c : schema.columns()) {
            if (layout.column(c.name()).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private void insert(TableSink t, List<Map<String, Object>> rows, OffsetToken token) {
        InsertValidationResponse r;
        SnowflakeStreamingIngestChannel ch = t.channel;
        String tokenText = token == null ? null : token.toString();
        try {
            // A hand-off into the SDK (it validates and buffers the rows): bounded across all pipelines.
            r = flush(() -> ch.insertRows(rows, tokenText));
        } catch (SFException e) {
            if (SnowpipeErrors.kind(e) != SnowpipeErrors.Kind.ROW_REFUSED) {
                throw SnowpipeErrors.toSinkError(e, "inserting rows of " + t.names.source(), t.channel.getName());
            }
            stopTable(t, "Stopped table " + t.names.source() + ": Snowflake refused a row (" + e.getMessage()
                    + "). Fix the value or the column type at the source, then resync the table.");
            return;
        }
        if (r != null && r.hasErrors()) {
            stopTable(t, "Stopped table " + t.names.source() + ": Snowflake refused " + r.getErrorRowCount()
                    + " row(s): " + r.getInsertErrors().get(0).getException().getMessage()
                    + ". Fix the value or the column type at the source, then resync the table.");
            return;
        }
        synchronized (lock) {
            if (token != null && (t.sent == null || token.compareTo(t.sent) > 0)) {
                t.sent = token;
            }
        }
    }

    private <T> T flush(java.util.concurrent.Callable<T> work) {
        return limited(work, true);
    }

    /** Runs {@code work} in the limiter's flush lane (SDK hand-offs) or its SQL lane, unchecking its exceptions. */
    private <T> T limited(java.util.concurrent.Callable<T> work, boolean flushLane) {
        try {
            return flushLane ? limiter.flush(work) : limiter.run(work);
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a Snowflake " + (flushLane ? "hand-off"
                    : "statement"), e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void onCommitted(TransactionCommitted tc) {
        synchronized (lock) {
            Map<TableSink, OffsetToken> req = new HashMap<>();
            for (TableSink t : tables.values()) {
                if (!t.stopped && t.outstanding()) {
                    req.put(t, t.sent);
                }
            }
            checkpoints.add(new Checkpoint(tc.endLsn(), req));
        }
        advance();
    }

    // ---- durability --------------------------------------------------------------------------------------------

    private void pollCommittedSafely() {
        try {
            pollCommitted();
        } catch (RuntimeException e) {
            if (e instanceof SFException sf && SnowpipeErrors.kind(sf) == SnowpipeErrors.Kind.CHANNEL_LOST) {
                backgroundFailure = SnowpipeErrors.toSinkError(sf, "reading committed offset tokens",
                        "of pipeline " + pipeline);
            } else {
                log.warn("polling committed offset tokens failed (retrying): {}", e.toString());
            }
        }
        checkStalls(System.nanoTime());
    }

    /**
     * How long rows may wait for Snowflake's commit before an event says so (default 30 s). The SDK retries HTTP 5xx
     * and "retry" answers on its own, silently: this is how a user learns that a destination is struggling.
     */
    public SnowflakeSink warnWhenCommitsStallFor(java.time.Duration d) {
        stallWarnNanos = d.toNanos();
        return this;
    }

    /** One WARN when a table's rows in flight stop being committed for the stall time, one INFO when they resume. */
    private void checkStalls(long now) {
        List<Map.Entry<TableId, String>> warnings = new ArrayList<>();
        List<Map.Entry<TableId, String>> resumed = new ArrayList<>();
        synchronized (lock) {
            for (TableSink t : tables.values()) {
                boolean waiting = !t.stopped && t.outstanding();
                boolean progressed = t.waitingSince != 0 && !Objects.equals(t.waitingAt, t.committed);
                if (t.stallReported && (!waiting || progressed)) {
                    t.stallReported = false;
                    resumed.add(Map.entry(t.names.source(), "Snowflake commits of " + t.names.source() + " resumed after "
                            + TimeUnit.NANOSECONDS.toSeconds(now - t.waitingSince) + " s; nothing was lost."));
                }
                if (!waiting) {
                    t.waitingSince = 0;
                    continue;
                }
                if (t.waitingSince == 0 || progressed) {
                    t.waitingSince = now;
                    t.waitingAt = t.committed;
                } else if (!t.stallReported && now - t.waitingSince >= stallWarnNanos) {
                    t.stallReported = true; // waitingSince stays put until commits resume
                    warnings.add(Map.entry(t.names.source(), "Snowflake has committed no new rows of " + t.names.source() + " for "
                            + TimeUnit.NANOSECONDS.toSeconds(now - t.waitingSince) + " s (sent up to offset token "
                            + t.sent + ", committed " + (t.committed == null ? "none" : t.committed) + "). The"
                            + " Snowpipe Streaming SDK keeps retrying; nothing is lost, and PostgreSQL keeps the WAL"
                            + " until the rows are committed. If this lasts, check the network and the Snowflake"
                            + " account; the engine log has the SDK's errors."));
                }
            }
        }
        warnings.forEach(w -> events.event(Level.WARN, w.getKey(), w.getValue()));
        resumed.forEach(r -> events.event(Level.INFO, r.getKey(), r.getValue()));
    }

    /** Reads the committed token of every channel with rows in flight, then reports what became durable. */
    void pollCommitted() {
        List<TableSink> waiting = new ArrayList<>();
        synchronized (lock) {
            for (TableSink t : tables.values()) {
                if (!t.stopped && t.outstanding() && t.channel != null) {
                    waiting.add(t);
                }
            }
        }
        for (TableSink t : waiting) {
            SnowflakeStreamingIngestChannel ch = t.channel;
            if (ch == null) {
                continue;
            }
            if (!ch.isValid()) {
                throw new SFException(ErrorCode.INVALID_CHANNEL, ch.getFullyQualifiedName(), "invalidated");
            }
            OffsetToken c = OffsetToken.parse(ch.getLatestCommittedOffsetToken());
            synchronized (lock) {
                if (c != null && (t.committed == null || c.compareTo(t.committed) > 0)) {
                    t.committed = c;
                    t.dirty = true;
                }
            }
        }
        advance();
    }

    private void advance() {
        long durable = -1;
        synchronized (lock) {
            while (!checkpoints.isEmpty()) {
                Checkpoint head = checkpoints.peek();
                boolean done = true;
                for (Map.Entry<TableSink, OffsetToken> e : head.required().entrySet()) {
                    TableSink t = e.getKey();
                    if (!t.stopped && t.sent != null && (t.committed == null || t.committed.compareTo(e.getValue()) < 0)) {
                        done = false;
                        break;
                    }
                }
                if (!done) {
                    break;
                }
                checkpoints.poll();
                if (Long.compareUnsigned(head.endLsn(), durableReported) > 0) {
                    durableReported = head.endLsn();
                    durable = head.endLsn();
                }
            }
        }
        Durability d = durability;
        if (d != null && durable != -1) {
            d.durable(durable);
        }
    }

    /** The highest transaction end LSN reported durable so far (0 before the first). */
    public long durableLsn() {
        synchronized (lock) {
            return durableReported;
        }
    }

    // ---- mirror ------------------------------------------------------------------------------------------------

    private void mergeSafely() {
        try {
            mergeTables(false, false);
        } catch (RuntimeException e) {
            log.warn("mirror merge failed (retrying at the next interval): {}", e.toString());
        }
    }

    /**
     * Folds committed history into the mirrors of the tables that changed since the last merge ({@code all}: every
     * table). Runs on the merge thread every interval; tests and the "flush" command call it directly. Does nothing
     * in history mode, where there is no mirror.
     */
    public void mergeNow(boolean all) {
        mergeTables(all, true);
    }

    /**
     * {@code waitForPermit} false (the shared scheduler): a table is skipped while every statement permit is taken, so
     * the scheduler's threads are not parked on the limiter where commit polling needs them; it stays dirty and is
     * merged at a later interval.
     */
    private void mergeTables(boolean all, boolean waitForPermit) {
        if (!options.mirrors()) {
            return;
        }
        for (TableSink t : tables.values()) {
            if (t.stopped || t.lastMerge || t.layout.keys().isEmpty() || (!all && !t.dirty && !t.truncatePending)) {
                continue;
            }
            if (!waitForPermit && limiter.available() == 0) {
                continue;
            }
            // Another sequence may be merging it (the scheduler, a flush, or its last merge before a stop): the
            // scheduler moves on and merges it at a later interval; a flush waits, as its caller expects it merged.
            if (waitForPermit) {
                claimMerging(t);
            } else if (!t.merging.compareAndSet(false, true)) {
                continue;
            }
            try {
                mergeClaimed(t);
            } finally {
                t.merging.set(false);
            }
        }
    }

    /** One table's scheduled or flush merge, its claim held. */
    private void mergeClaimed(TableSink t) {
        if (t.lastMerge) {
            return; // the last merge before a stop took over between the check and the claim
        }
        OffsetToken upTo;
        synchronized (lock) {
            upTo = t.committed;
            t.dirty = false;
        }
        TableLayout layout = t.layout;
        try {
            if (t.truncatePending) {
                OffsetToken truncateAt = t.truncateAt;
                runSql(SnowflakeSql.applyTruncate(t.names, toSqlMode(options.deleteMode())));
                // Only once the marker row is committed (and so visible to that DELETE) is the truncate done;
                // before, the DELETE saw no marker and emptied nothing, and must run again at the next merge.
                if (truncateAt == null || (upTo != null && upTo.compareTo(truncateAt) >= 0)) {
                    t.truncatePending = false;
                }
            }
            merge(t, layout);
            if (upTo != null) {
                t.mergeFrom = upTo.lsn();
                saveWatermark(t, upTo);
            }
        } catch (RuntimeException e) {
            t.dirty = true;
            if (Thread.currentThread().isInterrupted()) {
                // the sink is closing (a stop or a restart): the next run merges; nothing for the user to see
                throw e;
            }
            events.event(Level.WARN, t.names.source(), "Merging " + t.names.history().sql() + " into "
                    + t.names.mirror().sql() + " failed: " + e.getMessage() + " (retried at the next interval).");
            throw e;
        }
    }

    /**
     * Most flagged updates one MERGE may walk: Snowflake ends a recursive CTE after MAX_RECURSIONS (100 by default,
     * changed only by Snowflake Support) iterations, and a walk recurses once per move it passes.
     */
    static final int MAX_MOVES_PER_MERGE = 90;

    /**
     * One table's merge from {@code t.mergeFrom}: the plain MERGE when the window cannot hold a key change; else one
     * query for the flagged updates per transaction, and the walking MERGE over sub-windows of whole transactions in
     * LSN order, each holding at most {@link #MAX_MOVES_PER_MERGE} of them. Each sub-window leaves the mirror as of its
     * end (a move's delete and update share their transaction, so no held-back delete crosses a bound), which is where
     * the next one's walks end; the last is unbounded, as a single merge would be. After each bounded sub-window
     * {@code mergeFrom} moves above it, so a retry after a failure goes on from there: re-running an earlier
     * sub-window alone over a mirror that is already past it could briefly bring back a row a later sub-window
     * deleted (hard deletes leave no position behind). The watermark is saved only once the whole window is in.
     */
    private void merge(TableSink t, TableLayout layout) {
        SnowflakeSql.DeleteMode mode = toSqlMode(options.deleteMode());
        Long from = t.mergeFrom;
        Long keyChange = t.keyChangeLsn;
        if (keyChange == null || (from != null && Long.compareUnsigned(keyChange, from) < 0)) {
            runSql(SnowflakeSql.mergeWithoutKeyChanges(t.names, layout, mode, from));
            return;
        }
        List<long[]> perLsn = new ArrayList<>();
        for (List<String> row : runSql(SnowflakeSql.keyChangesPerLsn(t.names, from))) {
            perLsn.add(new long[] {Long.parseUnsignedLong(row.get(0)), Long.parseLong(row.get(1))});
        }
        for (long end : SnowflakeSql.subWindowEnds(perLsn, MAX_MOVES_PER_MERGE)) {
            // a single transaction with more moves of one row than Snowflake's MAX_RECURSIONS still fails here
            runSql(SnowflakeSql.merge(t.names, layout, mode, from, end));
            from = end + 1;
            t.mergeFrom = from;
        }
        runSql(SnowflakeSql.merge(t.names, layout, mode, from, null));
    }

    private void saveWatermark(TableSink t, OffsetToken upTo) {
        try {
            watermarks.save(t.names.source(), upTo);
        } catch (RuntimeException e) {
            // Only costs one catch-up merge after the next start.
            log.warn("{}: cannot record the merge position {}: {}", t.names.source(), upTo, e.toString());
        }
    }

    private static SnowflakeSql.DeleteMode toSqlMode(DeleteMode m) {
        return m == DeleteMode.SOFT ? SnowflakeSql.DeleteMode.SOFT : SnowflakeSql.DeleteMode.HARD;
    }

    private List<List<String>> runSql(String statement) {
        statementObserver.accept(statement);
        return limited(() -> sql.run(statement), false);
    }

    // ---- lifecycle ---------------------------------------------------------------------------------------------

    /** Tables stopped because of a value or schema change the destination cannot take (in this run or before). */
    @Override
    public List<TableId> stoppedTables() {
        java.util.Set<TableId> out = new java.util.TreeSet<>(java.util.Comparator.comparing(TableId::toString));
        tables.forEach((id, t) -> {
            if (t.stopped) {
                out.add(id);
            }
        });
        for (TableId id : stoppedBefore.keySet()) {
            if (!tables.containsKey(id)) {
                out.add(id);
            }
        }
        return List.copyOf(out);
    }

    @Override
    public String stopReason(TableId table) {
        TableSink t = tables.get(table);
        if (t != null && t.stopped) {
            return t.stopReason;
        }
        return stoppedBefore.get(table);
    }

    /**
     * Keeps a table stopped that an earlier run stopped (the pipeline remembers it as ERRORED): none of its changes
     * is written and it does not hold back durability (see {@link #stopTable}), until {@link #tableCopyStarting}
     * announces the copy of its resync.
     */
    @Override
    public void keepStopped(TableId table, String reason) {
        String why = reason == null ? "stopped in an earlier run" : reason;
        stoppedBefore.put(table, why);
        events.event(Level.WARN, table, "Table " + table + " stays stopped: " + why);
    }

    /**
     * Waits (at most {@code timeout}) until the rows sent on every channel are committed and reports what became
     * durable, leaving the channels open: the source then confirms it before closing its stream.
     */
    @Override
    public void drain(java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (TableSink t : tables.values()) {
            if (!t.stopped && t.channel != null && t.channel.isValid()) {
                try {
                    drain(t, deadline);
                } catch (RuntimeException e) {
                    log.warn("draining {} at stop: {}", t.names.source(), e.toString());
                }
            }
        }
        advance();
    }

    /** Drains every channel (waits for its rows to commit), reports durability, then closes the channels. */
    @Override
    public void close() {
        try {
            for (TableSink t : tables.values()) {
                if (!t.stopped && t.channel != null && t.channel.isValid()) {
                    try {
                        drain(t);
                    } catch (RuntimeException e) {
                        log.warn("draining {} on close: {}", t.names.source(), e.toString());
                    }
                }
            }
            advance();
        } finally {
            cancelTimers();
            for (TableSink t : tables.values()) {
                closeChannel(t);
            }
        }
    }

    /** For tests: abandon this sink like a crashed process would, without draining or closing channels. */
    void abandon() {
        cancelTimers();
    }

    /** Stops this sink's periodic tasks (interrupting one that is running); the shared scheduler goes on. */
    private void cancelTimers() {
        for (ScheduledFuture<?> f : timers) {
            f.cancel(true);
        }
        timers.clear();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

}
