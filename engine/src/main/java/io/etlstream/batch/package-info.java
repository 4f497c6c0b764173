/**
 * Change batches: per-table Arrow record batches with change metadata, the builder that fills them under a bounded
 * allocator, the schema registry and the transaction assembler. Every row change, TRUNCATE included (op "T", one
 * row per truncated table at its place in the transaction), travels in a {@link io.etlstream.batch.ChangeBatch}.
 *
 * <p>Large transactions: the server streams them (proto 2, {@code streaming on}) so it does not spill; the
 * {@link io.etlstream.batch.TransactionAssembler} buffers each streamed transaction as sealed Arrow batches
 * (off-heap, bounded in rows/bytes each), tags every row with its subtransaction id so a rolled-back savepoint
 * removes exactly its rows, and hands the batches on only at StreamCommit. Nothing uncommitted reaches the sink,
 * which keeps the sink simple; the cost is off-heap memory for the largest open streamed transaction, which the
 * {@link io.etlstream.batch.BatchMemory} limit must allow (a 1M-row, 4-column transaction peaked at ~190 MB
 * off-heap, heap under 256 MB). Memory is capped by {@link io.etlstream.batch.BatchMemory}: when full, the reader
 * waits for the consumer to close batches.
 */
package io.etlstream.batch;
