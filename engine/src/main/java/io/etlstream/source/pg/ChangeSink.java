package io.etlstream.source.pg;

import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;

/**
 * Where a {@link PgSource} delivers changes: the pipeline's destination (Snowflake later), or a test sink.
 *
 * <p>Contract: {@link #accept} is called on one thread, in commit order (snapshot batches of a table come before the
 * stream's changes of it, except for a table added later, whose backfill runs while the stream continues; such
 * rows arrive again with later LSNs, so a destination applies rows by key). The sink owns every
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
     * A copy of {@code schema}'s table starts, before its first snapshot row; its rows carry {@code consistentPoint} as
     * commit LSN. The copy holds exactly the transactions that committed before that point, so the stream's changes of
     * the table with a lower commit LSN are already in it. An earlier copy of the table that never completed (the
     * process died during it) is superseded: its rows are to be discarded. The default does nothing.
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
