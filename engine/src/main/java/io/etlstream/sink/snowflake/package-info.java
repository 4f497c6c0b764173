/**
 * The Snowflake destination: Snowpipe Streaming (classic SDK 4.x) for rows, the SQL API v2 for DDL and MERGE, both
 * signed in-process with the vault's {@link java.security.PrivateKey} (the key never becomes a String).
 *
 * <p>Tables: source {@code schema.t} → {@code T_HISTORY} (append-only, every change with {@code _ETL_OP},
 * {@code _ETL_LSN}, {@code _ETL_SEQ}, {@code _ETL_COMMIT_TS}, {@code _ETL_SYNCED_AT}, {@code _ETL_TOAST}) written by
 * one channel per table, and the mirror {@code T} (+ {@code _ETL_DELETED}) kept by an idempotent MERGE on an
 * interval. Names follow Snowflake's unquoted upper-case rule; names that need quotes keep their case.
 *
 * <p>Offset tokens: the commit LSN in PostgreSQL notation, {@code :seq} appended when a transaction is split across
 * batches ({@link io.etlstream.sink.snowflake.OffsetToken}). On open, changes at or below a channel's committed
 * token are skipped; PostgreSQL is told a transaction is durable once every channel committed its rows.
 *
 * <p>Client settings ({@link io.etlstream.sink.snowflake.SnowpipeTuning}): ZSTD instead of GZIP (about half the
 * client CPU per row, measured in REFERENCE.md) and {@code max_client_lag} 1 s (the SDK minimum) for latency.
 * Copy batches are told from streamed ones by {@link io.etlstream.batch.ChangeBatch#fromCopy()}. Not yet covered: the
 * SQL is verified on the emulator (DuckDB), not on a real Snowflake account.
 */
package io.etlstream.sink.snowflake;
