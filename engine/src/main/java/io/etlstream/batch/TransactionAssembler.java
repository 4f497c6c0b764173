package io.etlstream.batch;

import io.etlstream.batch.ChangeBatchBuilder.Segment;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Begin;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Commit;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Delete;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Insert;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.LogicalMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamAbort;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamCommit;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamStart;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamStop;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Truncate;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.TypeMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Update;
import io.etlstream.source.pg.pgoutput.TupleData;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns decoded pgoutput messages (in stream order) into {@link ChangeEvent}s in commit order: per transaction and
 * table, bounded {@link ChangeBatch}es (a TRUNCATE is a {@link ChangeBatch#TRUNCATE} row in each truncated table's
 * batch), with {@link SchemaChange} and {@link Heartbeat} in their place, then {@link TransactionCommitted}.
 *
 * <p>Non-streamed transactions arrive whole and already committed (Begin carries the commit LSN), so their batches
 * are handed on as soon as they fill. Streamed transactions (proto 2, {@code streaming on}) arrive in chunks,
 * interleaved with others, before the server knows whether they commit: their rows are buffered per transaction
 * as sealed Arrow batches off-heap (never as Java objects per row), each row tagged with the (sub)transaction id
 * the server gave it. {@code StreamAbort(xid, xid)} drops the whole transaction; {@code StreamAbort(xid, subxid)}
 * drops exactly the rows (truncate rows included) and schema/message items of that subtransaction;
 * {@code StreamCommit} fills in the commit LSN and time and hands the batches on.
 *
 * <p>Buffered batches count against the allocator's limit ({@link BatchMemory}). When the batches buffered by open
 * streamed transactions exceed the {@link SpillDirectory}'s threshold, the largest transaction moves its sealed
 * batches to its own spill file (Arrow IPC, rows still tagged with their xids) and writes every later batch there too;
 * at commit they are read back one at a time, in order, and handed on, so memory stays bounded however large the
 * transaction and the consumer's backpressure paces the replay. A rolled-back subtransaction is dropped from
 * in-memory batches at once and from spilled ones as they are read back (each spilled batch knows which xids it
 * holds, so one that held only rolled-back rows is skipped whole). Non-streamed transactions (proto 1, or proto 2
 * below the server's logical_decoding_work_mem) arrive whole and committed and are handed on as their batches fill:
 * they never accumulate here, so they never spill.
 *
 * <p>An update that changed the row's key becomes two rows: "D" with the old key, then "U" with the new row. Under
 * REPLICA IDENTITY DEFAULT or USING INDEX pgoutput says so by sending the old key ('K'). Under FULL it sends the whole
 * old row ('O') with every update, so the key columns of the table's schema (its primary key: the source resolves
 * them, since pgoutput flags every column under FULL) are compared between old and new row; the "D" then carries the
 * whole old row. Under FULL the old row also fills the new row's unchanged TOAST values.
 *
 * <p>One thread (the replication reader) calls {@link #accept}; events go to the consumer on that thread.
 */
public final class TransactionAssembler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TransactionAssembler.class);

    private final BufferAllocator allocator;
    private final ChangeConsumer consumer;
    private final BatchLimits limits;
    private final SchemaRegistry registry;
    private final SpillDirectory spill;
    /** Bytes of sealed batches that open streamed transactions hold in memory (not spilled). */
    private long bufferedBytes;

    private Txn current;
    private Txn chunk;
    private final Map<Integer, Txn> streamed = new HashMap<>();
    /** Per relation, the row count of its last sealed batch: the next builder's initial capacity. */
    private final Map<Integer, Integer> capacityHint = new HashMap<>();

    public TransactionAssembler(BufferAllocator allocator, BatchLimits limits, ChangeConsumer consumer) {
        this(allocator, limits, consumer, new SchemaRegistry());
    }

    public TransactionAssembler(BufferAllocator allocator, BatchLimits limits, ChangeConsumer consumer,
            SchemaRegistry registry) {
        this(allocator, limits, consumer, registry, SpillDirectory.never());
    }

    /** An assembler that spills open streamed transactions into {@code spill} beyond its threshold. */
    public TransactionAssembler(BufferAllocator allocator, BatchLimits limits, ChangeConsumer consumer,
            SchemaRegistry registry, SpillDirectory spill) {
        this.allocator = allocator;
        this.consumer = consumer;
        this.limits = limits;
        this.registry = registry;
        this.spill = spill;
    }

    /** Bytes of sealed batches open streamed transactions hold in memory now (what is spilled is not counted). */
    public long bufferedBytes() {
        return bufferedBytes;
    }

    public SchemaRegistry schemas() {
        return registry;
    }

    /** Number of streamed transactions currently buffered (started, neither committed nor aborted). */
    public int openStreamedTransactions() {
        return streamed.size();
    }

    public void accept(PgOutputMessage m) {
        if (m instanceof Insert i) {
            Txn t = txnFor(i.streamXid());
            t.builder(i.relationId()).append('I', i.newTuple(), null, t.commitLsn, t.commitMicros, t.seq++,
                    i.streamXid());
        } else if (m instanceof Update u) {
            Txn t = txnFor(u.streamXid());
            boolean moved = u.oldKind() == 'K' || u.oldKind() == 'O' && keyChanged(t.schemaFor(u.relationId(), true),
                    u.oldTuple(), u.newTuple());
            if (moved) {
                // The key changed: the row under the old key is gone. A delete of the old key first lets a
                // destination keyed on it drop that row instead of keeping a stale copy.
                t.builder(u.relationId()).append('D', u.oldTuple(), null, t.commitLsn, t.commitMicros, t.seq++,
                        u.streamXid(), true);
            }
            // Both halves are marked, so a destination takes unchanged TOAST values from the old key's row.
            t.builder(u.relationId()).append('U', u.newTuple(), u.oldKind() == 'O' ? u.oldTuple() : null, t.commitLsn,
                    t.commitMicros, t.seq++, u.streamXid(), moved);
        } else if (m instanceof Delete d) {
            Txn t = txnFor(d.streamXid());
            t.builder(d.relationId()).append('D', d.oldTuple(), null, t.commitLsn, t.commitMicros, t.seq++,
                    d.streamXid());
        } else if (m instanceof Begin b) {
            if (current != null || chunk != null) {
                throw new IllegalStateException("Begin inside a transaction or stream chunk");
            }
            current = new Txn(false, b.xid());
            current.commitLsn = b.finalLsn();
            current.commitMicros = micros(b.commitTime());
        } else if (m instanceof Commit c) {
            if (current == null) {
                throw new IllegalStateException("Commit without Begin");
            }
            Txn t = current;
            current = null;
            try {
                t.finish();
            } finally {
                t.close();
            }
            consumer.accept(new TransactionCommitted(c.commitLsn(), c.endLsn(), c.commitTime()));
        } else if (m instanceof Relation r) {
            relation(r);
        } else if (m instanceof TypeMessage t) {
            registry.recordType(t);
        } else if (m instanceof Truncate tr) {
            // One T row per table, in its place among the table's rows. pgoutput lists every table the statement
            // emptied (CASCADE's dependants included; a partitioned table published via its root as the root only).
            // CASCADE and RESTART IDENTITY are not carried: the destination empties the table either way.
            Txn t = txnFor(tr.streamXid());
            for (int rel : tr.relationIds()) {
                t.builder(rel).appendTruncate(t.commitLsn, t.commitMicros, t.seq++, tr.streamXid());
            }
        } else if (m instanceof LogicalMessage lm) {
            if (!lm.transactional()) {
                consumer.accept(new Heartbeat(lm.lsn(), false, lm.prefix(), lm.content()));
            } else {
                txnFor(lm.streamXid()).route(new MessageItem(lm.streamXid(), lm));
            }
        } else if (m instanceof StreamStart s) {
            if (current != null || chunk != null) {
                throw new IllegalStateException("StreamStart inside a transaction or stream chunk");
            }
            if (s.firstSegment()) {
                // A first segment for an xid we hold means the server is sending it again from the start
                // (after a reconnect): what we buffered would be duplicated.
                Txn stale = streamed.remove(s.xid());
                if (stale != null) {
                    stale.close();
                }
            }
            chunk = streamed.computeIfAbsent(s.xid(), x -> new Txn(true, x));
        } else if (m instanceof StreamStop) {
            chunk = null;
        } else if (m instanceof StreamCommit sc) {
            Txn t = streamed.remove(sc.xid());
            if (t == null) {
                // Nothing was streamed for it under this assembler (e.g. after a restart the server resends it).
                consumer.accept(new TransactionCommitted(sc.commitLsn(), sc.endLsn(), sc.commitTime()));
                return;
            }
            t.commitLsn = sc.commitLsn();
            t.commitMicros = micros(sc.commitTime());
            try {
                t.finish();
            } finally {
                t.close(); // deletes its spill file, also when the consumer gave up half-way
            }
            consumer.accept(new TransactionCommitted(sc.commitLsn(), sc.endLsn(), sc.commitTime()));
        } else if (m instanceof StreamAbort a) {
            Txn t = streamed.get(a.xid());
            if (t == null) {
                return;
            }
            if (a.subXid() == a.xid()) {
                streamed.remove(a.xid());
                t.close();
            } else {
                t.abortSubtransaction(a.subXid());
            }
        }
        // Origin: the replication origin of the transaction is not needed downstream.
    }

    private void relation(Relation r) {
        if (r.streamXid() != 0) {
            Txn t = txnFor(r.streamXid());
            TableSchema cur = t.schemaFor(r.relationId(), false);
            TableSchema after = SchemaRegistry.describe(r, cur);
            if (after != cur) {
                t.sealTable(r.relationId());
                t.schemas.put(r.relationId(), after);
                t.items.add(new SchemaItem(r.streamXid(), after));
            }
            return;
        }
        TableSchema before = registry.get(r.relationId());
        TableSchema after = SchemaRegistry.describe(r, before);
        if (after == before) {
            return;
        }
        if (current != null) {
            current.sealTable(r.relationId());
        }
        SchemaChange ch = registry.apply(after);
        if (ch != null) {
            consumer.accept(ch);
        }
    }

    /**
     * True if a key column's value differs between the old and the new row. A column the new row leaves unchanged
     * (TOAST) is the same; values are compared as sent, so two spellings of one value count as a change, which
     * costs only a redundant delete before the update. A schema without key columns has no key to change.
     */
    static boolean keyChanged(TableSchema schema, TupleData oldRow, TupleData newRow) {
        List<PgOutputMessage.RelationColumn> cols = schema.columns();
        for (int i = 0; i < cols.size(); i++) {
            if (!cols.get(i).key() || newRow.isUnchangedToast(i)) {
                continue;
            }
            if (oldRow.kind(i) != newRow.kind(i) || !Arrays.equals(oldRow.data(), oldRow.offset(i),
                    oldRow.offset(i) + oldRow.length(i), newRow.data(), newRow.offset(i),
                    newRow.offset(i) + newRow.length(i))) {
                return true;
            }
        }
        return false;
    }

    private Txn txnFor(int streamXid) {
        if (streamXid != 0) {
            if (chunk == null) {
                throw new IllegalStateException("change for xid " + streamXid + " outside a stream chunk");
            }
            return chunk;
        }
        if (current == null) {
            throw new IllegalStateException("change outside a transaction");
        }
        return current;
    }

    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    /**
     * Forgets every transaction in progress (call it when the replication connection is re-established: the server
     * resends from the confirmed LSN). Table schemas are kept. Rows already handed on for an unfinished plain
     * transaction will come again with the same {@code _commit_lsn} and {@code _seq}, so the destination can skip
     * what it already has.
     */
    public void reset() {
        close();
    }

    /** Frees everything buffered: open builders and uncommitted streamed transactions. */
    @Override
    public void close() {
        if (current != null) {
            current.close();
            current = null;
        }
        for (Txn t : streamed.values()) {
            t.close();
        }
        streamed.clear();
        chunk = null;
    }

    /** Something a streamed transaction holds until it commits, in order. */
    private interface Item {
        int xid();
    }

    private record SegmentItem(Segment segment, long bytes) implements Item {
        @Override
        public int xid() {
            return 0; // rows carry their own xids
        }
    }

    /** A sealed batch in the transaction's spill file at {@code offset}; {@code xids}: the live xids among its rows. */
    private record SpilledItem(TableSchema schema, long offset, int[] xids) implements Item {
        @Override
        public int xid() {
            return 0;
        }
    }

    private record SchemaItem(int xid, TableSchema schema) implements Item {
    }

    private record MessageItem(int xid, LogicalMessage message) implements Item {
    }

    /** One source transaction in progress. */
    private final class Txn implements AutoCloseable {
        final boolean buffered;
        final int xid;
        long commitLsn;
        long commitMicros;
        int seq;
        final Map<Integer, ChangeBatchBuilder> builders = new LinkedHashMap<>();
        final Map<Integer, TableSchema> schemas = new HashMap<>();
        final List<Item> items = new ArrayList<>();
        /** Bytes of this transaction's sealed batches held in memory. */
        long memBytes;
        /** Where this transaction's batches go once it outgrew its share of memory; null until then. */
        TransactionSpill file;
        /** Rolled-back subtransactions whose rows may still be in the spill file: skipped when read back. */
        final Set<Integer> abortedInFile = new java.util.HashSet<>();

        Txn(boolean buffered, int xid) {
            this.buffered = buffered;
            this.xid = xid;
        }

        TableSchema schemaFor(int relId, boolean required) {
            TableSchema s = buffered ? schemas.get(relId) : null;
            if (s == null) {
                s = registry.get(relId);
            }
            if (s == null && required) {
                throw new IllegalStateException("change for relation " + relId + " before its Relation message");
            }
            return s;
        }

        private int lastRelId;
        private ChangeBatchBuilder lastBuilder;

        ChangeBatchBuilder builder(int relId) {
            ChangeBatchBuilder b = relId == lastRelId ? lastBuilder : null;
            if (b != null && !b.isFull()) {
                return b; // the common case: the same table again, nothing changed since
            }
            TableSchema schema = schemaFor(relId, true);
            b = builders.get(relId);
            if (b != null && b.schema() != schema) {
                sealTable(relId);
                b = null;
            }
            if (b == null) {
                b = new ChangeBatchBuilder(schema, allocator, limits, buffered);
                b.initialCapacity(capacityHint.getOrDefault(relId, 256));
                builders.put(relId, b);
            } else if (b.isFull()) {
                // Sealed lazily, so the batch that holds a table's last rows is the one sealed at commit.
                routeSegment(b.sealSegment(), false);
            }
            lastRelId = relId;
            lastBuilder = b;
            return b;
        }

        void sealTable(int relId) {
            if (relId == lastRelId) {
                lastBuilder = null;
            }
            ChangeBatchBuilder b = builders.remove(relId);
            if (b != null) {
                routeSegment(b.sealSegment(), false);
                b.close();
            }
        }

        void routeSegment(Segment s, boolean endsTransaction) {
            if (s == null) {
                return;
            }
            capacityHint.put(s.schema.relationId(), s.rows());
            if (buffered) {
                if (file != null) {
                    items.add(toFile(s));
                } else {
                    long b = sizeOf(s);
                    items.add(new SegmentItem(s, b));
                    memBytes += b;
                    bufferedBytes += b;
                    spillWhileOverThreshold();
                }
            } else {
                consumer.accept(toBatch(s, endsTransaction));
            }
        }

        void route(Item item) {
            if (buffered) {
                items.add(item);
            } else {
                emit(item);
            }
        }

        void emit(Item item) {
            if (item instanceof MessageItem mi) {
                LogicalMessage lm = mi.message();
                consumer.accept(new Heartbeat(lm.lsn(), true, lm.prefix(), lm.content()));
            } else if (item instanceof SchemaItem si) {
                SchemaChange ch = registry.apply(si.schema());
                if (ch != null) {
                    consumer.accept(ch);
                }
            } else {
                throw new IllegalStateException("unexpected item " + item);
            }
        }

        ChangeBatch toBatch(Segment s, boolean endsTransaction) {
            if (s.xids != null) {
                s.xids.close();
                s.xids = null;
            }
            if (buffered) {
                fillCommit(s.root, s.schema.columnCount());
                return new ChangeBatch(s.schema, s.root, commitLsn, commitLsn, endsTransaction, false, s.truncates);
            }
            return new ChangeBatch(s.schema, s.root, s.firstLsn, s.lastLsn, endsTransaction, false, s.truncates);
        }

        private void fillCommit(VectorSchemaRoot root, int n) {
            BigIntVector lsn = (BigIntVector) root.getVector(n + 1);
            TimeStampMicroTZVector ts = (TimeStampMicroTZVector) root.getVector(n + 2);
            int rows = root.getRowCount();
            for (int i = 0; i < rows; i++) {
                lsn.set(i, commitLsn);
                ts.set(i, commitMicros);
            }
        }

        /** Hands on everything in order; the last batch of each table is marked as ending the transaction. */
        void finish() {
            if (!buffered) {
                for (ChangeBatchBuilder b : builders.values()) {
                    Segment s = b.sealSegment();
                    if (s != null) {
                        capacityHint.put(s.schema.relationId(), s.rows());
                        consumer.accept(toBatch(s, true));
                    }
                    b.close();
                }
                builders.clear();
                return;
            }
            for (Integer rel : new ArrayList<>(builders.keySet())) {
                sealTable(rel);
            }
            Map<TableId, Integer> last = new HashMap<>();
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i) instanceof SegmentItem si) {
                    last.put(si.segment().schema.table(), i);
                } else if (items.get(i) instanceof SpilledItem sp) {
                    last.put(sp.schema().table(), i);
                }
            }
            if (file != null) {
                LOG.info("streamed transaction {} committed: replaying {} MiB from its spill file", xid,
                        file.size() / (1024 * 1024));
            }
            for (int i = 0; i < items.size(); i++) {
                Item item = items.get(i);
                items.set(i, null);
                if (item instanceof SegmentItem si) {
                    memBytes -= si.bytes();
                    bufferedBytes -= si.bytes();
                    consumer.accept(toBatch(si.segment(), last.get(si.segment().schema.table()) == i));
                } else if (item instanceof SpilledItem sp) {
                    Segment s = file.read(sp.offset(), sp.schema(), allocator);
                    if (!abortedInFile.isEmpty()) {
                        s = without(s, abortedInFile::contains);
                    }
                    if (s != null) {
                        consumer.accept(toBatch(s, last.get(sp.schema().table()) == i));
                    }
                } else {
                    emit(item);
                }
            }
            items.clear();
        }

        /** Moves every in-memory batch of this transaction to its spill file; later ones go there directly. */
        void spillToFile() {
            if (file == null) {
                file = spill.newFile(xid);
                LOG.info("streamed transaction {} holds {} MiB in memory, over the spill threshold of {} MiB for open"
                        + " transactions: moving its batches to disk in {}", xid, memBytes / (1024 * 1024),
                        spill.thresholdBytes() / (1024 * 1024), spill.path());
            }
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i) instanceof SegmentItem si) {
                    memBytes -= si.bytes();
                    bufferedBytes -= si.bytes();
                    items.set(i, toFile(si.segment()));
                }
            }
        }

        private SpilledItem toFile(Segment s) {
            int[] xids = distinctXids(s.xids, s.rows());
            return new SpilledItem(s.schema, file.append(s), xids);
        }

        /** Drops the rows and items of one rolled-back subtransaction. */
        void abortSubtransaction(int subXid) {
            for (Integer rel : new ArrayList<>(builders.keySet())) {
                sealTable(rel);
            }
            Iterator<Item> it = items.iterator();
            List<Item> kept = new ArrayList<>(items.size());
            long mem = 0;
            while (it.hasNext()) {
                Item item = it.next();
                if (item instanceof SegmentItem si) {
                    Segment s = without(si.segment(), x -> x == subXid);
                    if (s != null) {
                        SegmentItem k = s == si.segment() ? si : new SegmentItem(s, sizeOf(s));
                        kept.add(k);
                        mem += k.bytes();
                    }
                } else if (item instanceof SpilledItem sp) {
                    int[] live = java.util.Arrays.stream(sp.xids()).filter(x -> x != subXid).toArray();
                    if (live.length == sp.xids().length) {
                        kept.add(sp);
                    } else if (live.length > 0) {
                        // Part of the batch survives: the rolled-back rows are skipped when it is read back.
                        abortedInFile.add(subXid);
                        kept.add(new SpilledItem(sp.schema(), sp.offset(), live));
                    } // else: only rolled-back rows, never read back
                } else if (item.xid() != subXid) {
                    kept.add(item);
                }
            }
            items.clear();
            items.addAll(kept);
            bufferedBytes += mem - memBytes;
            memBytes = mem;
            // The transaction's view of table shapes must forget what only the rolled-back part announced.
            schemas.clear();
            for (Item item : kept) {
                if (item instanceof SchemaItem si) {
                    schemas.put(si.schema().relationId(), si.schema());
                }
            }
        }

        /** The segment without rows whose xid {@code drop}s: the same one, a compacted copy, or null if none is left. */
        private Segment without(Segment s, IntPredicate drop) {
            IntVector xids = s.xids;
            int rows = s.rows();
            int keep = 0;
            for (int i = 0; i < rows; i++) {
                if (!drop.test(xids.get(i))) {
                    keep++;
                }
            }
            if (keep == rows) {
                return s;
            }
            if (keep == 0) {
                s.close();
                return null;
            }
            VectorSchemaRoot src = s.root;
            VectorSchemaRoot dst = VectorSchemaRoot.create(src.getSchema(), allocator);
            IntVector dstXids = new IntVector("_xid", allocator);
            try {
                for (FieldVector v : dst.getFieldVectors()) {
                    v.setInitialCapacity(keep);
                    v.allocateNew();
                }
                dstXids.allocateNew(keep);
                int cols = src.getFieldVectors().size();
                int j = 0;
                for (int i = 0; i < rows; i++) {
                    int x = xids.get(i);
                    if (drop.test(x)) {
                        continue;
                    }
                    for (int c = 0; c < cols; c++) {
                        dst.getVector(c).copyFromSafe(i, j, src.getVector(c));
                    }
                    dstXids.setSafe(j, x);
                    j++;
                }
                dst.setRowCount(keep);
                dstXids.setValueCount(keep);
            } catch (RuntimeException e) {
                dst.close();
                dstXids.close();
                throw e;
            }
            Segment out = new Segment(s.schema, dst, dstXids, s.firstLsn, s.lastLsn);
            s.close();
            return out;
        }

        @Override
        public void close() {
            for (ChangeBatchBuilder b : builders.values()) {
                b.close();
            }
            builders.clear();
            for (Item item : items) {
                if (item instanceof SegmentItem si) {
                    si.segment().close();
                }
            }
            items.clear();
            bufferedBytes -= memBytes;
            memBytes = 0;
            if (file != null) {
                file.close();
                file = null;
            }
        }
    }

    /** Spills the transactions holding the most memory until open transactions fit under the threshold again. */
    private void spillWhileOverThreshold() {
        while (bufferedBytes > spill.thresholdBytes()) {
            Txn biggest = null;
            for (Txn t : streamed.values()) {
                if (biggest == null || t.memBytes > biggest.memBytes) {
                    biggest = t;
                }
            }
            if (biggest == null || biggest.memBytes == 0) {
                return;
            }
            biggest.spillToFile();
        }
    }

    /** Off-heap bytes a sealed segment holds (buffer capacities, as the allocator counts them). */
    private static long sizeOf(Segment s) {
        long n = 0;
        for (FieldVector v : s.root.getFieldVectors()) {
            for (ArrowBuf b : v.getBuffers(false)) {
                n += b.capacity();
            }
        }
        if (s.xids != null) {
            for (ArrowBuf b : s.xids.getBuffers(false)) {
                n += b.capacity();
            }
        }
        return n;
    }

    private static int[] distinctXids(IntVector xids, int rows) {
        int[] out = new int[4];
        int n = 0;
        int last = 0;
        boolean any = false;
        outer:
        for (int i = 0; i < rows; i++) {
            int x = xids.get(i);
            if (any && x == last) {
                continue; // rows of one (sub)transaction come in runs
            }
            any = true;
            last = x;
            for (int j = 0; j < n; j++) {
                if (out[j] == x) {
                    continue outer;
                }
            }
            if (n == out.length) {
                out = java.util.Arrays.copyOf(out, n * 2);
            }
            out[n++] = x;
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
