package io.etlstream.source.pg;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionCommitted;
import java.util.concurrent.atomic.AtomicLong;

/** Counts and drops everything, declaring it durable at once: for benchmarks and for tests of the source itself. */
public final class NullSink implements ChangeSink {
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong truncates = new AtomicLong();
    private volatile long lastEndLsn;
    private Durability durability;

    @Override
    public void open(Durability durability) {
        this.durability = durability;
    }

    @Override
    public void accept(ChangeEvent event) {
        if (event instanceof ChangeBatch b) {
            try (b) {
                rows.addAndGet(b.rowCount());
                int t = b.truncateCount();
                if (t != 0) {
                    truncates.addAndGet(t);
                }
                bytes.addAndGet(b.byteSize());
            }
        } else if (event instanceof TransactionCommitted c) {
            transactions.incrementAndGet();
            lastEndLsn = c.endLsn();
            durability.durable(c.endLsn());
        }
    }

    @Override
    public void snapshotCompleted(TableId table) {
        durability.snapshotDurable(table);
    }

    /** TRUNCATE rows received (one per truncated table; also counted in {@link #rows()}). */
    public long truncates() {
        return truncates.get();
    }

    /** Rows received (snapshot and stream, TRUNCATE rows included). */
    public long rows() {
        return rows.get();
    }

    public long transactions() {
        return transactions.get();
    }

    public long bytes() {
        return bytes.get();
    }

    public long lastEndLsn() {
        return lastEndLsn;
    }

    @Override
    public void close() {
        // nothing held
    }
}
