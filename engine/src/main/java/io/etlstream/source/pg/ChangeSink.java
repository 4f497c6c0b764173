package io.etlstream.source.pg;

import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;

/**
 * Where a {@link PgSource} delivers changes: the pipeline's destination (Snowflake later), or a test sink.
 *
 * <p>Contract: {@link #accept} is called on one thread, in commit order (snapshot batches of a table come before the
 * stream's changes of it, except for a table added or resynced later, whose backfill runs while the stream
 * continues: its snapshot rows and its stream changes then interleave, and the stream changes committed after the
 * copy's snapshot carry later LSNs, so a destination applies rows by key and position). Every copy of a table (the
 * first one, a backfill, a resync) is announced by {@link #tableCopyStarting}, then {@link #snapshotStarting}, before
 * any of its rows. The
 * sink owns every
 * {@link io.etlstream.batch.ChangeBatch} it receives and closes it. {@code accept} may block: the source's bounded
 * queue then fills and reading slows down, while the source keeps the replication connection alive. The sink
 * reports durability through the {@link Durability} callback, from any thread, whenever it likes.
 */
public interface ChangeSink extends AutoCloseable {

    /** Called once, before the first event. */
    void open(Durability durability) throws Exception;

    /** One event in commit order. */
    void accept(ChangeEvent event) throws Exception;

    /**
     * A resync of {@code table} starts while the stream goes on: whatever the destination holds for the table is to
     * be discarded (its tables may be recreated from the source's current columns, which is how a table the sink
     * stopped runs again), and the table's stream changes committed before {@code snapshotLsn} are in the coming
     * copy, so they are not to be applied. Called on the {@link #accept} thread, in stream order: events before it
     * belong to the table's old state, events after it to the new one. {@link #snapshotStarting}, the copy's rows and
     * {@link #snapshotCompleted} follow. The default does nothing (sinks that only record).
     */
    default void tableCopyStarting(TableId table, long snapshotLsn) throws Exception {
    }

    /** Tables the sink stopped writing (a value or schema change it cannot take); a resync brings them back. */
    default java.util.List<TableId> stoppedTables() {
        return java.util.List.of();
    }

    /** Why the sink stopped {@code table} and what to do (null when it did not stop it). */
    default String stopReason(TableId table) {
        return null;
    }

    /**
     * {@code table} was stopped in an earlier run (for {@code reason}) and has not been resynced: the sink keeps it
     * stopped, writes none of its changes and does not wait for it before reporting durability, until
     * {@link #tableCopyStarting} announces its new copy. Called before {@link #open}. The default does nothing.
     */
    default void keepStopped(TableId table, String reason) {
    }

    /**
     * A copy of {@code schema}'s table starts, before its first snapshot row; its rows carry {@code consistentPoint} as
     * commit LSN. The copy holds exactly the transactions that committed before that point, so the stream's changes of
     * the table with a lower commit LSN are already in it. Always after {@link #tableCopyStarting} for the same copy,
     * which discards what an earlier, interrupted copy left behind. The default does nothing.
     */
    default void snapshotStarting(io.etlstream.batch.TableSchema schema, long consistentPoint) throws Exception {
    }

    /** Every snapshot row of {@code table} has been passed to {@link #accept}. */
    void snapshotCompleted(TableId table) throws Exception;

    /**
     * Called once during a clean stop, on the {@link #accept} thread after the last event: make what was accepted
     * durable within {@code timeout} and report it through {@link Durability}, so the source can confirm it to
     * PostgreSQL before it closes the stream. The default does nothing, for sinks that report as they go.
     */
    default void drain(java.time.Duration timeout) throws Exception {
    }

    @Override
    void close() throws Exception;

    /** How a sink tells the source what it made durable. Thread-safe. */
    interface Durability {
        /**
         * Every transaction whose {@link io.etlstream.batch.TransactionCommitted#endLsn()} is at most {@code endLsn} is
         * durable: PostgreSQL may be told so. Must only grow; smaller values are ignored.
         */
        void durable(long endLsn);

        /** All snapshot rows of {@code table} are durable: after a crash it is not copied again. */
        void snapshotDurable(TableId table);
    }
}
