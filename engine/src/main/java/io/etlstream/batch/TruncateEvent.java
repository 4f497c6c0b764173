package io.etlstream.batch;

import java.util.List;

/**
 * One TRUNCATE over the listed tables, in its place in the transaction: rows of those tables delivered before it
 * are gone, rows after it remain.
 */
public record TruncateEvent(List<TableId> tables, boolean cascade, boolean restartIdentity, long commitLsn, int seq)
        implements ChangeEvent {
    public TruncateEvent {
        tables = List.copyOf(tables);
    }
}
