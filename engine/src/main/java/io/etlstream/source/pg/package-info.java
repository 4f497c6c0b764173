/**
 * The PostgreSQL source: connecting ({@link io.etlstream.source.pg.PgConnector}, passwords as {@code char[]} through
 * a pgjdbc authentication plugin, {@link io.etlstream.source.pg.ConnectionErrors} for messages that say what to
 * check), checking ({@link io.etlstream.source.pg.Doctor}), the pipeline's publication and slot
 * ({@link io.etlstream.source.pg.SlotManager}), the snapshot ({@link io.etlstream.source.pg.SnapshotCopier}) and the
 * stream ({@link io.etlstream.source.pg.ReplicationStream}), orchestrated by {@link io.etlstream.source.pg.PgSource}
 * towards a {@link io.etlstream.source.pg.ChangeSink}.
 *
 * <p>Durability: PostgreSQL is told an LSN is flushed only when the sink reported the transaction ending there
 * durable ({@code ChangeSink.Durability#durable}); pgjdbc's automatic flush only advances past WAL that carried
 * nothing for the pipeline (it requires every received message to be confirmed first). After a reconnect the
 * stream restarts at the sink's durable position, so a sink can see a transaction again: it deduplicates by
 * {@code (_commit_lsn, _seq)}.
 *
 * <p>Threads: the reader owns the replication connection and is the only caller of pgjdbc's (not thread-safe)
 * stream; it polls with {@code readPending} and, while the bounded delivery queue is full, sends status updates, so
 * a sink that blocks longer than {@code wal_sender_timeout} does not get the walsender killed. Snapshot workers own
 * one connection each; the delivery thread is the only caller of the sink.
 *
 * <p>Liveness: a closed replication connection shows within a quarter second (an end-of-stream probe); one whose
 * peer vanished without closing it shows after {@code PgSource.Options#replicationTimeout} of silence while the
 * reader waits on the stream (it asks the walsender for a keepalive after a third of it), and the source reconnects,
 * ending the walsender it gave up on if that one still holds the slot.
 *
 * <p>Snapshots: the first run creates the slot with an exported snapshot and copies every table on it, so snapshot
 * and stream meet exactly. Later copies (a table added to a running pipeline, or tables whose snapshot the sink had
 * not confirmed before a crash) use a temporary slot's snapshot while the pipeline's slot keeps its position; the
 * changes between the two points are streamed again after the copy, so those tables are consistent once the stream
 * passes the copy's point and the destination applies rows by key.
 */
package io.etlstream.source.pg;
