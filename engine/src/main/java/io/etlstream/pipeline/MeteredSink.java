package io.etlstream.pipeline;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.source.pg.ChangeSink;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a pipeline's sink to measure it for the status snapshot: rows and bytes handed to the sink, and the lag in
 * seconds (how long ago the oldest transaction not yet durable at the destination was committed; 0 when caught up).
 * Counters are read by the runner's supervisor thread while the reader and the sink's own threads update them.
 */
final class MeteredSink implements ChangeSink {

    /** Commits remembered for the lag; beyond this the oldest ones still decide it, newer ones are not tracked. */
    private static final int MAX_PENDING = 100_000;

    private record Pending(long endLsn, Instant commitTime) {}

    private final ChangeSink delegate;
    private final Clock clock;
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final ConcurrentLinkedDeque<Pending> pending = new ConcurrentLinkedDeque<>();
    private final AtomicInteger pendingCount = new AtomicInteger();

    MeteredSink(ChangeSink delegate, Clock clock) {
        this.delegate = delegate;
        this.clock = clock;
    }

    long rows() {
        return rows.get();
    }

    long bytes() {
        return bytes.get();
    }

    /** Seconds since the oldest commit the destination has not made durable yet; 0 when there is none. */
    double lagSeconds() {
        Pending oldest = pending.peekFirst();
        if (oldest == null) {
            return 0;
        }
        return Math.max(0, Duration.between(oldest.commitTime(), clock.instant()).toMillis() / 1000.0);
    }

    @Override
    public void open(Durability durability) throws Exception {
        delegate.open(new Durability() {
            @Override
            public void durable(long endLsn) {
                for (Pending p = pending.peekFirst(); p != null && p.endLsn() <= endLsn; p = pending.peekFirst()) {
                    if (pending.remove(p)) {
                        pendingCount.decrementAndGet();
                    }
                }
                durability.durable(endLsn);
            }

            @Override
            public void snapshotDurable(TableId table) {
                durability.snapshotDurable(table);
            }
        });
    }

    @Override
    public void accept(ChangeEvent event) throws Exception {
        if (event instanceof ChangeBatch b) {
            rows.addAndGet(b.rowCount());
            bytes.addAndGet(b.byteSize());
        } else if (event instanceof TransactionCommitted t && pendingCount.get() < MAX_PENDING) {
            pending.addLast(new Pending(t.endLsn(), t.commitTime()));
            pendingCount.incrementAndGet();
        }
        delegate.accept(event);
    }

    @Override
    public void snapshotCompleted(TableId table) throws Exception {
        delegate.snapshotCompleted(table);
    }

    @Override
    public void drain(Duration timeout) throws Exception {
        delegate.drain(timeout);
    }

    @Override
    public void close() throws Exception {
        delegate.close();
    }
}
