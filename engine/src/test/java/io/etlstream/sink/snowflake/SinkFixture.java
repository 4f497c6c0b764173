package io.etlstream.sink.snowflake;

import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeBatchBuilder;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.SchemaChange;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.pgoutput.TupleData;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A scripted source for sink tests: transactions built with pgdecode's ChangeBatchBuilder, replayed like a
 * replication slot does (everything after the confirmed LSN, whole transactions).
 */
final class SinkFixture {

    /** One scripted source transaction: its events (without the closing TransactionCommitted) and its end LSN. */
    record Txn(long commitLsn, long endLsn, List<Consumer<Emitter>> steps) {}

    /** Builds the events of one transaction. */
    static final class Emitter {
        final BufferAllocator alloc;
        final long lsn;
        final List<ChangeEvent> out;
        int seq;

        Emitter(BufferAllocator alloc, long lsn, List<ChangeEvent> out) {
            this.alloc = alloc;
            this.lsn = lsn;
            this.out = out;
        }

        /** A batch of changes of one table: each row is {op, values...}; a TRUNCATE is {'T', null}. */
        void rows(TableSchema schema, boolean endsTransaction, List<Object[]> rows) {
            try (ChangeBatchBuilder b = new ChangeBatchBuilder(schema, alloc, BatchLimits.DEFAULT)) {
                long micros = Instant.parse("2026-11-26T12:00:00Z").toEpochMilli() * 1000 + lsn;
                for (Object[] r : rows) {
                    char op = (Character) r[0];
                    TupleData t = (TupleData) r[1];
                    switch (op) {
                        case 'I' -> b.appendInsert(t, lsn, micros, seq++);
                        case 'U' -> b.appendUpdate(null, t, lsn, micros, seq++);
                        case 'D' -> b.appendDelete(t, lsn, micros, seq++);
                        case 'T' -> b.appendTruncate(lsn, micros, seq++);
                        default -> throw new IllegalArgumentException("op " + op);
                    }
                }
                ChangeBatch batch = b.seal(endsTransaction);
                out.add(batch);
            }
        }

        /** A TRUNCATE of the table as the transaction's last change of it: a batch holding one T row. */
        void truncate(TableSchema schema) {
            rows(schema, true, List.<Object[]>of(row('T', null)));
        }

        void schema(SchemaChange sc) {
            out.add(sc);
        }
    }

    static Object[] row(char op, TupleData t) {
        return new Object[] {op, t};
    }

    /** A tuple whose columns listed in {@code unchanged} are unchanged TOAST. */
    static TupleData withUnchangedToast(TupleData t, int... unchanged) {
        byte[] kinds = new byte[t.columnCount()];
        int[] offsets = new int[t.columnCount()];
        int[] lengths = new int[t.columnCount()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = t.kind(i);
            offsets[i] = t.offset(i);
            lengths[i] = t.length(i);
        }
        for (int u : unchanged) {
            kinds[u] = TupleData.UNCHANGED_TOAST;
            lengths[u] = 0;
        }
        return new TupleData(kinds, offsets, lengths, t.data());
    }

    /** Feeds every transaction whose end LSN is above {@code confirmed} (what a slot would send again). */
    static void replay(ChangeSink sink, BufferAllocator alloc, List<SchemaChange> schemas, List<Txn> txns,
            long confirmed) throws Exception {
        for (SchemaChange sc : schemas) {
            sink.accept(sc);
        }
        for (Txn t : txns) {
            if (Long.compareUnsigned(t.endLsn(), confirmed) <= 0) {
                continue;
            }
            List<ChangeEvent> events = new ArrayList<>();
            Emitter e = new Emitter(alloc, t.commitLsn(), events);
            for (Consumer<Emitter> s : t.steps()) {
                s.accept(e);
            }
            for (int i = 0; i < events.size(); i++) {
                try {
                    sink.accept(events.get(i));
                } catch (Exception | Error refused) {
                    // the sink owns (and closed) the event it refused; the rest of the transaction is still ours
                    for (ChangeEvent rest : events.subList(i + 1, events.size())) {
                        if (rest instanceof ChangeBatch b) {
                            b.close();
                        }
                    }
                    throw refused;
                }
            }
            sink.accept(new TransactionCommitted(t.commitLsn(), t.endLsn(), Instant.now()));
        }
    }

    /** Records what a sink reports durable. */
    static final class RecordingDurability implements ChangeSink.Durability {
        final AtomicLong durable = new AtomicLong();
        final ConcurrentLinkedQueue<TableId> snapshots = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> reports = new ConcurrentLinkedQueue<>();

        @Override
        public void durable(long endLsn) {
            reports.add(endLsn);
            durable.accumulateAndGet(endLsn, Math::max);
        }

        @Override
        public void snapshotDurable(TableId table) {
            snapshots.add(table);
        }
    }

    private SinkFixture() {}
}
