package io.etlstream.batch;

import java.time.Instant;

/**
 * A source transaction is complete: every event of it has been delivered before this one. Once all of them are
 * durable in the destination the stream may be confirmed up to {@code endLsn}.
 */
public record TransactionCommitted(long commitLsn, long endLsn, Instant commitTime) implements ChangeEvent {
}
