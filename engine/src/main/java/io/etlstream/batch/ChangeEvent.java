package io.etlstream.batch;

/** What the transaction assembler hands to the source, in commit order. */
public sealed interface ChangeEvent permits ChangeBatch, SchemaChange, Heartbeat, TransactionCommitted {
}
