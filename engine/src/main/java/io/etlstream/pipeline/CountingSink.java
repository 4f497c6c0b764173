package io.etlstream.pipeline;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.source.pg.ChangeSink;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wraps a pipeline's sink to count what the PostgreSQL source hands it (rows and Arrow bytes, in total and per table;
 * a TRUNCATE's marker row is no row of the table, it is counted on its own) and to time durability: the age of the oldest committed transaction the sink has
 * not yet made durable (lag in seconds) and how long the last durable one took from hand-over to durable (batch
 * latency).
 */
final class CountingSink implements ChangeSink {

    /** More pending commits than this are not recorded (the oldest ones, which set the lag, stay). */
    private static final int MAX_PENDING = 100_000;

    private record Pending(long endLsn, long commitMillis, long acceptedNanos) {}

    /** Rows and bytes of one table. */
    record Counts(long rows, long bytes) {}

    private final ChangeSink inner;
    private final LongAdder rows = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder truncates = new LongAdder();
    private final Map<TableId, LongAdder[]> perTable = new ConcurrentHashMap<>();
    // Touched by the accept thread and the sink's durability thread; held only for a deque operation, never for I/O.
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private volatile double latencyMillis;

    CountingSink(ChangeSink inner) {
        this.inner = inner;
    }

    @Override
    public void open(Durability durability) throws Exception {
        inner.open(new Durability() {
            @Override
            public void durable(long endLsn) {
                markDurable(endLsn);
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
            // Read before handing over: the sink owns the batch and may close it at once.
            int truncated = b.truncateCount(); // known from the builder: no scan of the rows
            int n = b.rowCount() - truncated;
            long size = b.byteSize();
            if (truncated != 0) {
                truncates.add(truncated);
            }
            rows.add(n);
            bytes.add(size);
            LongAdder[] t = perTable.computeIfAbsent(b.table(), k -> new LongAdder[] {new LongAdder(), new LongAdder()});
            t[0].add(n);
            t[1].add(size);
        } else if (event instanceof TransactionCommitted c) {
            synchronized (pending) {
                if (pending.size() < MAX_PENDING) {
                    pending.addLast(new Pending(c.endLsn(), c.commitTime() == null ? System.currentTimeMillis()
                            : c.commitTime().toEpochMilli(), System.nanoTime()));
                }
            }
        }
        inner.accept(event);
    }

    private void markDurable(long endLsn) {
        Pending last = null;
        synchronized (pending) {
            while (!pending.isEmpty() && pending.peekFirst().endLsn() <= endLsn) {
                last = pending.pollFirst();
            }
        }
        if (last != null) {
            latencyMillis = (System.nanoTime() - last.acceptedNanos()) / 1e6;
        }
    }

    /** Rows of the tables handed over (snapshot and stream); TRUNCATE marker rows are not among them. */
    long rows() {
        return rows.sum();
    }

    long bytes() {
        return bytes.sum();
    }

    /** TRUNCATE marker rows handed over (one per truncated table; not counted in {@link #rows()}). */
    long truncates() {
        return truncates.sum();
    }

    Map<TableId, Counts> perTable() {
        Map<TableId, Counts> out = new java.util.HashMap<>();
        perTable.forEach((t, c) -> out.put(t, new Counts(c[0].sum(), c[1].sum())));
        return out;
    }

    /** Seconds since the oldest transaction handed over and not yet durable was committed in PostgreSQL; 0 when none. */
    double lagSeconds(long nowMillis) {
        Pending oldest;
        synchronized (pending) {
            oldest = pending.peekFirst();
        }
        return oldest == null ? 0 : Math.max(0, nowMillis - oldest.commitMillis()) / 1000.0;
    }

    double latencyMillis() {
        return latencyMillis;
    }

    @Override
    public void tableCopyStarting(TableId table, long snapshotLsn) throws Exception {
        inner.tableCopyStarting(table, snapshotLsn);
    }

    @Override
    public void snapshotStarting(io.etlstream.batch.TableSchema schema, long consistentPoint) throws Exception {
        inner.snapshotStarting(schema, consistentPoint);
    }

    @Override
    public java.util.List<TableId> stoppedTables() {
        return inner.stoppedTables();
    }

    @Override
    public String stopReason(TableId table) {
        return inner.stopReason(table);
    }

    @Override
    public void keepStopped(TableId table, String reason) {
        inner.keepStopped(table, reason);
    }

    @Override
    public void snapshotCompleted(TableId table) throws Exception {
        inner.snapshotCompleted(table);
    }

    @Override
    public void drain(Duration timeout) throws Exception {
        inner.drain(timeout);
    }

    @Override
    public void close() throws Exception {
        inner.close();
    }
}
