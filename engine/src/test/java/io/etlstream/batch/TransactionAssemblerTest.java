package io.etlstream.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.source.pg.pgoutput.PgOutputDecoder;
import io.etlstream.source.pg.pgoutput.PgOutputFixtures;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import io.etlstream.source.pg.types.PgType;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The assembler on fixtures captured from PostgreSQL 14 and 17, and on hand-built message sequences. */
class TransactionAssemblerTest {

    private BufferAllocator allocator;
    private final List<ChangeEvent> events = new ArrayList<>();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator(256L * 1024 * 1024);
    }

    @AfterEach
    void tearDown() {
        for (ChangeEvent e : events) {
            if (e instanceof ChangeBatch b) {
                b.close();
            }
        }
        assertThat(allocator.getAllocatedMemory()).as("all Arrow memory returned").isZero();
        allocator.close();
    }

    private void run(int major, String scenario, BatchLimits limits) {
        PgOutputDecoder d = new PgOutputDecoder();
        try (TransactionAssembler a = new TransactionAssembler(allocator, limits, events::add)) {
            for (byte[] m : PgOutputFixtures.read(major, scenario)) {
                PgOutputMessage msg = d.decode(ByteBuffer.wrap(m));
                a.accept(msg instanceof Relation r ? withRealKey(r) : msg);
            }
            assertThat(a.openStreamedTransactions()).isZero();
        }
    }

    /**
     * What PgSource's RowIdentity does with the catalog: under REPLICA IDENTITY FULL pgoutput flags every column,
     * and the source flags the primary key instead (every fixture table's primary key is {@code id}).
     */
    private static Relation withRealKey(Relation r) {
        if (r.replicaIdentity() != 'f') {
            return r;
        }
        assertThat(r.columns()).allMatch(RelationColumn::key); // what pgoutput says under FULL
        return new Relation(r.streamXid(), r.relationId(), r.namespace(), r.name(), 'f', r.columns().stream()
                .map(c -> new RelationColumn(c.name().equals("id"), c.name(), c.typeOid(), c.typeModifier()))
                .toList());
    }

    private List<ChangeBatch> batches() {
        return events.stream().filter(ChangeBatch.class::isInstance).map(ChangeBatch.class::cast).toList();
    }

    static String text(ChangeBatch b, String column, int row) {
        VarCharVector v = (VarCharVector) b.root().getVector(column);
        return v.isNull(row) ? null : new String(v.get(row), java.nio.charset.StandardCharsets.UTF_8);
    }

    static List<Integer> unchanged(ChangeBatch b, int row) {
        ListVector v = (ListVector) b.root().getVector(ChangeBatch.UNCHANGED_TOAST);
        if (v.isNull(row)) {
            return List.of();
        }
        List<Integer> out = new ArrayList<>();
        for (Object o : v.getObject(row)) {
            out.add((Integer) o);
        }
        return out;
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void plainTransactionsBecomeBatchesInCommitOrder(int major) {
        run(major, "basic", BatchLimits.DEFAULT);
        List<String> kinds = events.stream().map(e -> e.getClass().getSimpleName()).toList();
        assertThat(kinds).containsExactly("SchemaChange", "ChangeBatch", "TransactionCommitted",
                "ChangeBatch", "TransactionCommitted",
                "SchemaChange", "ChangeBatch", "ChangeBatch", "TransactionCommitted");
        SchemaChange first = (SchemaChange) events.get(0);
        assertThat(first.initial()).isTrue();
        assertThat(first.table()).isEqualTo(new TableId("public", "fx_basic"));

        ChangeBatch inserts = (ChangeBatch) events.get(1);
        TransactionCommitted c1 = (TransactionCommitted) events.get(2);
        assertThat(inserts.rowCount()).isEqualTo(2);
        assertThat(inserts.endsTransaction()).isTrue();
        assertThat(inserts.lastCommitLsn()).isEqualTo(c1.commitLsn());
        assertThat(((IntVector) inserts.root().getVector("id")).get(1)).isEqualTo(2);
        assertThat(text(inserts, "name", 0)).isEqualTo("one");
        assertThat(text(inserts, "name", 1)).isNull();
        assertThat(text(inserts, "mood", 1)).isEqualTo("sad");
        assertThat(text(inserts, ChangeBatch.OP, 0)).isEqualTo("I");
        assertThat(((BigIntVector) inserts.root().getVector(ChangeBatch.COMMIT_LSN)).get(0)).isEqualTo(c1.commitLsn());
        assertThat(inserts.root().getVector(ChangeBatch.COMMIT_TS).getObject(0)).isNotNull();

        ChangeBatch changes = (ChangeBatch) events.get(3);
        // UPDATE ... SET id = 10 WHERE id = 2 changed the key: a delete of id 2 precedes the new row.
        assertThat(changes.rowCount()).isEqualTo(4);
        List<String> ops = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        List<Integer> seqs = new ArrayList<>();
        IntVector seq = (IntVector) changes.root().getVector(ChangeBatch.SEQ);
        for (int i = 0; i < 4; i++) {
            ops.add(text(changes, ChangeBatch.OP, i));
            ids.add(((IntVector) changes.root().getVector("id")).get(i));
            seqs.add(seq.get(i));
        }
        assertThat(ops).containsExactly("U", "D", "U", "D");
        assertThat(ids).containsExactly(1, 2, 10, 10);
        assertThat(seqs).containsExactly(0, 1, 2, 3);
        assertThat(text(changes, "mood", 1)).isNull();
        assertThat(text(changes, "mood", 2)).isEqualTo("sad");

        // INSERT INTO fx_other; TRUNCATE fx_basic, fx_other RESTART IDENTITY CASCADE: a T row in each table's batch,
        // after fx_other's insert, each with its own seq, its source columns null.
        TransactionCommitted c3 = (TransactionCommitted) events.get(8);
        ChangeBatch other = (ChangeBatch) events.get(6);
        ChangeBatch basic = (ChangeBatch) events.get(7);
        if (other.table().name().equals("fx_basic")) {
            ChangeBatch x = other;
            other = basic;
            basic = x;
        }
        assertThat(other.table()).isEqualTo(new TableId("public", "fx_other"));
        assertThat(basic.table()).isEqualTo(new TableId("public", "fx_basic"));
        assertThat(other.rowCount()).isEqualTo(2);
        assertThat(List.of(other.op(0), other.op(1))).containsExactly(ChangeBatch.INSERT, ChangeBatch.TRUNCATE);
        assertThat(text(other, ChangeBatch.OP, 1)).isEqualTo("T");
        assertThat(other.truncateCount()).isEqualTo(1);
        assertThat(basic.rowCount()).isEqualTo(1);
        assertThat(basic.op(0)).isEqualTo(ChangeBatch.TRUNCATE);
        assertThat(basic.root().getVector("id").isNull(0)).isTrue();
        assertThat(basic.root().getVector("name").isNull(0)).isTrue();
        assertThat(other.root().getVector("v").isNull(1)).isTrue();
        assertThat(unchanged(basic, 0)).isEmpty();
        assertThat(basic.endsTransaction()).isTrue();
        assertThat(other.endsTransaction()).isTrue();
        IntVector otherSeq = (IntVector) other.root().getVector(ChangeBatch.SEQ);
        int basicSeq = ((IntVector) basic.root().getVector(ChangeBatch.SEQ)).get(0);
        assertThat(otherSeq.get(0)).isZero();
        assertThat(List.of(otherSeq.get(1), basicSeq)).containsExactlyInAnyOrder(1, 2);
        assertThat(((BigIntVector) basic.root().getVector(ChangeBatch.COMMIT_LSN)).get(0)).isEqualTo(c3.commitLsn());
        assertThat(basic.root().getVector(ChangeBatch.COMMIT_TS).getObject(0)).isNotNull();
    }

    /** INSERT; TRUNCATE; INSERT of one table in one transaction: one batch with ops I, T, I in seq order. */
    @ParameterizedTest(name = "streamed={0}")
    @ValueSource(booleans = {false, true})
    void insertTruncateInsertInOneTransactionKeepsItsOrder(boolean streamed) {
        Relation rel = new Relation(streamed ? 700 : 0, 42, "public", "t", 'd', List.of(
                new RelationColumn(true, "id", PgType.INT4, -1), new RelationColumn(false, "v", PgType.TEXT, -1)));
        Instant at = Instant.parse("2026-01-02T03:04:05Z");
        long commitLsn = 0x5_0000_0100L;
        try (TransactionAssembler a = new TransactionAssembler(allocator, BatchLimits.DEFAULT, events::add)) {
            int x = streamed ? 700 : 0;
            if (streamed) {
                a.accept(new PgOutputMessage.StreamStart(700, true));
            } else {
                a.accept(new PgOutputMessage.Begin(commitLsn, at, 700));
            }
            a.accept(rel);
            a.accept(new PgOutputMessage.Insert(x, 42, TupleData.ofText("1", "before")));
            a.accept(new PgOutputMessage.Truncate(x, List.of(42), false, false));
            a.accept(new PgOutputMessage.Insert(x, 42, TupleData.ofText("2", "after")));
            if (streamed) {
                a.accept(new PgOutputMessage.StreamStop());
                a.accept(new PgOutputMessage.StreamCommit(700, 0, commitLsn, commitLsn + 0x30, at));
            } else {
                a.accept(new PgOutputMessage.Commit(0, commitLsn, commitLsn + 0x30, at));
            }
        }
        List<ChangeBatch> bs = batches();
        assertThat(bs).hasSize(1);
        ChangeBatch b = bs.get(0);
        assertThat(b.rowCount()).isEqualTo(3);
        IntVector seq = (IntVector) b.root().getVector(ChangeBatch.SEQ);
        BigIntVector lsn = (BigIntVector) b.root().getVector(ChangeBatch.COMMIT_LSN);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rows.add(b.op(i) + " " + seq.get(i) + " " + b.root().getVector("id").getObject(i) + " "
                    + text(b, "v", i) + " " + Long.toHexString(lsn.get(i)));
        }
        assertThat(rows).containsExactly("I 0 1 before 500000100", "T 1 null null 500000100",
                "I 2 2 after 500000100");
        assertThat(b.truncateCount()).isEqualTo(1);
        assertThat(b.endsTransaction()).isTrue();
        assertThat(events.get(events.size() - 1)).isInstanceOf(TransactionCommitted.class);
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void unchangedToastIsMarkedUnderDefaultAndFilledUnderFull(int major) {
        run(major, "toast", BatchLimits.DEFAULT);
        List<ChangeBatch> b = batches();
        // txn 1: default + full inserts; txn 2: default + full updates; txn 3: full delete
        ChangeBatch dflt = b.get(2);
        ChangeBatch full = b.get(3);
        assertThat(dflt.table().name()).isEqualTo("fx_toast_default");
        assertThat(text(dflt, ChangeBatch.OP, 0)).isEqualTo("U");
        assertThat(unchanged(dflt, 0)).containsExactly(1);
        assertThat(dflt.isUnchangedToast(0, 1)).isTrue();
        assertThat(dflt.isUnchangedToast(0, 2)).isFalse();
        assertThat(dflt.root().getVector("big").isNull(0)).isTrue();
        assertThat(((IntVector) dflt.root().getVector("n")).get(0)).isEqualTo(1);

        assertThat(full.table().name()).isEqualTo("fx_toast_full");
        assertThat(unchanged(full, 0)).isEmpty();
        assertThat(full.isUnchangedToast(0, 1)).isFalse();
        assertThat(text(full, "big", 0)).hasSize(400 * 32).isEqualTo(text(b.get(1), "big", 0));
        assertThat(((IntVector) full.root().getVector("n")).get(0)).isEqualTo(1);

        ChangeBatch del = b.get(4);
        assertThat(text(del, ChangeBatch.OP, 0)).isEqualTo("D");
        assertThat(text(del, "big", 0)).hasSize(400 * 32);
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void streamedTransactionKeepsExactlyItsCommittedRows(int major) {
        run(major, "stream", new BatchLimits(300, 1L << 20));
        List<ChangeBatch> b = batches();
        List<TransactionCommitted> commits = events.stream().filter(TransactionCommitted.class::isInstance)
                .map(TransactionCommitted.class::cast).toList();
        assertThat(commits).hasSize(2); // the aborted transaction leaves no trace

        List<String> phases = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        int lastSeq = -1;
        long streamedCommit = commits.get(0).commitLsn();
        for (ChangeBatch batch : b) {
            assertThat(batch.rowCount()).isLessThanOrEqualTo(300);
            IntVector seq = (IntVector) batch.root().getVector(ChangeBatch.SEQ);
            BigIntVector lsn = (BigIntVector) batch.root().getVector(ChangeBatch.COMMIT_LSN);
            for (int i = 0; i < batch.rowCount(); i++) {
                phases.add(text(batch, "phase", i));
                ids.add(((IntVector) batch.root().getVector("id")).get(i));
                if (!"small".equals(text(batch, "phase", i))) {
                    assertThat(seq.get(i)).isGreaterThan(lastSeq);
                    lastSeq = seq.get(i);
                    assertThat(lsn.get(i)).isEqualTo(streamedCommit);
                }
            }
        }
        assertThat(phases).doesNotContain("rolled-back", "aborted");
        assertThat(phases.stream().filter("keep-1"::equals).count()).isEqualTo(1000);
        assertThat(phases.stream().filter("keep-2"::equals).count()).isEqualTo(500);
        assertThat(phases.get(phases.size() - 1)).isEqualTo("small");
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= 1000; i++) {
            expected.add(i);
        }
        for (int i = 2001; i <= 2500; i++) {
            expected.add(i);
        }
        expected.add(3000);
        assertThat(ids).containsExactlyElementsOf(expected);
        // Only the last batch of the streamed transaction ends it.
        assertThat(b.stream().filter(ChangeBatch::endsTransaction).count()).isEqualTo(2);
        assertThat(b.get(b.size() - 2).endsTransaction()).isTrue();
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void schemaChangesOnARealServerPrecedeTheNextRow(int major) {
        run(major, "schema", BatchLimits.DEFAULT);
        // PG 14 also sends the DDL-only transactions (empty Begin/Commit); PG 15+ skips them.
        List<ChangeEvent> ev = events.stream().filter(e -> !(e instanceof TransactionCommitted)).toList();
        List<String> kinds = ev.stream().map(e -> e.getClass().getSimpleName()).toList();
        assertThat(kinds).containsExactly("SchemaChange", "ChangeBatch", "SchemaChange", "ChangeBatch",
                "SchemaChange", "ChangeBatch", "SchemaChange", "ChangeBatch");
        assertThat(events.stream().filter(TransactionCommitted.class::isInstance).count())
                .isEqualTo(major == 14 ? 6 : 4);
        SchemaChange added = (SchemaChange) ev.get(2);
        assertThat(added.addedColumns()).containsExactly("c");
        assertThat(added.droppedColumns()).isEmpty();
        SchemaChange dropRetype = (SchemaChange) ev.get(4);
        assertThat(dropRetype.droppedColumns()).containsExactly("a");
        assertThat(dropRetype.retypedColumns()).containsExactly("b");
        assertThat(dropRetype.replicaIdentityChanged()).isFalse();
        SchemaChange identity = (SchemaChange) ev.get(6);
        assertThat(identity.replicaIdentityChanged()).isTrue();
        assertThat(identity.after().replicaIdentity()).isEqualTo('f');
        assertThat(identity.after().version()).isEqualTo(4);
        // DEFAULT -> FULL with the primary key resolved: the same key, no column added, dropped or retyped
        assertThat(identity.addedColumns()).isEmpty();
        assertThat(identity.droppedColumns()).isEmpty();
        assertThat(identity.retypedColumns()).isEmpty();
        assertThat(identity.after().columns()).isEqualTo(identity.before().columns());

        ChangeBatch third = (ChangeBatch) ev.get(5);
        assertThat(((BigIntVector) third.root().getVector("b")).get(0)).isEqualTo(3L);
        assertThat(third.root().getVector("c").getObject(0)).isEqualTo(new java.math.BigDecimal("3.25"));
        assertThat(third.root().getVector("a")).isNull();
        ChangeBatch update = (ChangeBatch) ev.get(7);
        assertThat(update.rowCount()).as("the key did not change: one U, no D").isEqualTo(1);
        assertThat(text(update, ChangeBatch.OP, 0)).isEqualTo("U");
        assertThat(((BigIntVector) update.root().getVector("b")).get(0)).isEqualTo(30L);
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void messagesBecomeHeartbeats(int major) {
        run(major, "messages", BatchLimits.DEFAULT);
        List<Heartbeat> beats = events.stream().filter(Heartbeat.class::isInstance).map(Heartbeat.class::cast)
                .toList();
        assertThat(beats).extracting(Heartbeat::contentAsText).containsExactly("beat-1", "beat-2");
        assertThat(beats).extracting(Heartbeat::transactional).containsExactly(false, true);
        assertThat(events.get(0)).isSameAs(beats.get(0));
    }

    // ---- hand-built sequences -------------------------------------------------------------------------------

    private static final Instant T = Instant.parse("2026-01-02T03:04:05.123456Z");

    private static Relation rel(int streamXid, char ident, RelationColumn... cols) {
        return new Relation(streamXid, 42, "public", "t", ident, List.of(cols));
    }

    private static RelationColumn col(boolean key, String name, int oid) {
        return new RelationColumn(key, name, oid, -1);
    }

    @Test
    void aChangedRelationIsAnnouncedBeforeTheTablesNextRow() {
        try (TransactionAssembler a = new TransactionAssembler(allocator, BatchLimits.DEFAULT, events::add)) {
            a.accept(new PgOutputMessage.Begin(100, T, 7));
            a.accept(rel(0, 'd', col(true, "id", PgType.INT4), col(false, "v", PgType.TEXT)));
            a.accept(new PgOutputMessage.Insert(0, 42, TupleData.ofText("1", "a")));
            // ALTER TABLE t ADD COLUMN w int, ALTER v TYPE varchar, REPLICA IDENTITY FULL — in the same transaction
            a.accept(rel(0, 'f', col(true, "id", PgType.INT4), col(true, "v", PgType.VARCHAR),
                    col(true, "w", PgType.INT4)));
            a.accept(new PgOutputMessage.Insert(0, 42, TupleData.ofText("2", "b", "3")));
            a.accept(new PgOutputMessage.Commit(0, 100, 150, T));
        }
        assertThat(events).extracting(e -> e.getClass().getSimpleName()).containsExactly("SchemaChange",
                "ChangeBatch", "SchemaChange", "ChangeBatch", "TransactionCommitted");
        SchemaChange ch = (SchemaChange) events.get(2);
        assertThat(ch.addedColumns()).containsExactly("w");
        assertThat(ch.retypedColumns()).containsExactly("v");
        assertThat(ch.droppedColumns()).isEmpty();
        assertThat(ch.replicaIdentityChanged()).isTrue();
        assertThat(ch.after().version()).isEqualTo(2);
        ChangeBatch before = (ChangeBatch) events.get(1);
        ChangeBatch after = (ChangeBatch) events.get(3);
        assertThat(before.root().getSchema().getFields()).hasSize(2 + ChangeBatch.METADATA_COLUMNS);
        assertThat(after.root().getSchema().getFields()).hasSize(3 + ChangeBatch.METADATA_COLUMNS);
        assertThat(((IntVector) after.root().getVector("w")).get(0)).isEqualTo(3);
        assertThat(before.endsTransaction()).isFalse();
        assertThat(after.endsTransaction()).isTrue();

        // The same Relation again changes nothing; a dropped column does.
        events.forEach(e -> {
            if (e instanceof ChangeBatch b) {
                b.close();
            }
        });
        events.clear();
        try (TransactionAssembler a = new TransactionAssembler(allocator, BatchLimits.DEFAULT, events::add)) {
            a.accept(rel(0, 'd', col(true, "id", PgType.INT4), col(false, "v", PgType.TEXT)));
            a.accept(rel(0, 'd', col(true, "id", PgType.INT4), col(false, "v", PgType.TEXT)));
            a.accept(rel(0, 'd', col(true, "id", PgType.INT4)));
        }
        assertThat(events).hasSize(2);
        assertThat(((SchemaChange) events.get(1)).droppedColumns()).containsExactly("v");
    }

    @Test
    void underReplicaIdentityFullAnUpdateOfThePrimaryKeyBecomesADeleteOfTheOldRowAndTheNewRow() {
        TupleData old1 = TupleData.ofText("1", "a", "x");
        TupleData old2 = TupleData.ofText("2", "b", "y");
        try (TransactionAssembler a = new TransactionAssembler(allocator, BatchLimits.DEFAULT, events::add)) {
            a.accept(new PgOutputMessage.Begin(100, T, 7));
            // FULL with the primary key (id, k) resolved by the source
            a.accept(rel(0, 'f', col(true, "id", PgType.INT4), col(true, "k", PgType.TEXT),
                    col(false, "v", PgType.TEXT)));
            // a non-key value changes: one U
            a.accept(new PgOutputMessage.Update(0, 42, 'O', old1, TupleData.ofText("1", "a", "z")));
            // one key column changes: D with the whole old row, then U
            a.accept(new PgOutputMessage.Update(0, 42, 'O', old2, TupleData.ofText("2", "c", "y")));
            // a delete carries the whole old row
            a.accept(new PgOutputMessage.Delete(0, 42, 'O', TupleData.ofText("1", "a", "z")));
            a.accept(new PgOutputMessage.Commit(0, 100, 150, T));
        }
        List<ChangeBatch> b = batches();
        assertThat(b).hasSize(1);
        ChangeBatch batch = b.get(0);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < batch.rowCount(); i++) {
            rows.add(text(batch, ChangeBatch.OP, i) + " " + ((IntVector) batch.root().getVector("id")).get(i) + ","
                    + text(batch, "k", i) + "," + text(batch, "v", i));
        }
        assertThat(rows).containsExactly("U 1,a,z", "D 2,b,y", "U 2,c,y", "D 1,a,z");
    }

    @Test
    void underReplicaIdentityFullWithoutAPrimaryKeyNoUpdateIsSplit() {
        try (TransactionAssembler a = new TransactionAssembler(allocator, BatchLimits.DEFAULT, events::add)) {
            a.accept(new PgOutputMessage.Begin(100, T, 7));
            a.accept(rel(0, 'f', col(false, "id", PgType.INT4), col(false, "v", PgType.TEXT)));
            a.accept(new PgOutputMessage.Update(0, 42, 'O', TupleData.ofText("1", "a"), TupleData.ofText("2", "b")));
            a.accept(new PgOutputMessage.Commit(0, 100, 150, T));
        }
        ChangeBatch batch = batches().get(0);
        assertThat(batch.rowCount()).isEqualTo(1);
        assertThat(text(batch, ChangeBatch.OP, 0)).isEqualTo("U");
    }

    @Test
    void bothHalvesOfAKeyChangeAreMarkedAndTheUpdateKeepsItsUnchangedColumns() {
        TupleData newRow = new TupleData(new byte[] {TupleData.TEXT, TupleData.UNCHANGED_TOAST}, new int[] {0, 1},
                new int[] {1, 0}, new byte[] {'2'});
        try (TransactionAssembler a = new TransactionAssembler(allocator, BatchLimits.DEFAULT, events::add)) {
            a.accept(new PgOutputMessage.Begin(100, T, 7));
            a.accept(rel(0, 'd', col(true, "id", PgType.INT4), col(false, "big", PgType.TEXT)));
            a.accept(new PgOutputMessage.Update(0, 42, 'K', TupleData.ofText("1", null), newRow));
            a.accept(new PgOutputMessage.Update(0, 42, (char) 0, null, newRow)); // no key change: not marked
            a.accept(new PgOutputMessage.Commit(0, 100, 150, T));
        }
        ChangeBatch batch = batches().get(0);
        assertThat(batch.rowCount()).isEqualTo(3);
        assertThat(text(batch, ChangeBatch.OP, 0)).isEqualTo("D");
        assertThat(unchanged(batch, 0)).containsExactly(ChangeBatch.KEY_CHANGED);
        assertThat(text(batch, ChangeBatch.OP, 1)).isEqualTo("U");
        assertThat(unchanged(batch, 1)).containsExactly(ChangeBatch.KEY_CHANGED, 1);
        assertThat(batch.isUnchangedToast(1, 1)).isTrue();
        assertThat(batch.isUnchangedToast(1, 0)).isFalse();
        assertThat(unchanged(batch, 2)).containsExactly(1);
    }

    @Test
    void anUnchangedToastKeyColumnIsNoKeyChange() {
        TableSchema s = new TableSchema(new TableId("public", "t"), 42, 'f', List.of(col(true, "id", PgType.TEXT),
                col(false, "v", PgType.TEXT)), 1);
        TupleData unchangedKey = new TupleData(new byte[] {TupleData.UNCHANGED_TOAST, TupleData.TEXT}, new int[2],
                new int[] {0, 1}, new byte[] {'b'});
        assertThat(TransactionAssembler.keyChanged(s, TupleData.ofText("k", "a"), unchangedKey)).isFalse();
        assertThat(TransactionAssembler.keyChanged(s, TupleData.ofText("k", "a"), TupleData.ofText("k", "b")))
                .isFalse();
        assertThat(TransactionAssembler.keyChanged(s, TupleData.ofText("k", "a"), TupleData.ofText("k2", "a")))
                .isTrue();
        assertThat(TransactionAssembler.keyChanged(s, TupleData.ofText("k", "a"), TupleData.ofText(null, "a")))
                .isTrue();
    }

    @Test
    void aStreamedSchemaChangeTakesEffectAtCommitAndAnAbortedSubtransactionTakesItsItemsAlong() {
        try (TransactionAssembler a = new TransactionAssembler(allocator, new BatchLimits(2, 1 << 20), events::add)) {
            a.accept(rel(0, 'd', col(true, "id", PgType.INT4)));
            events.clear();
            a.accept(new PgOutputMessage.StreamStart(500, true));
            a.accept(new PgOutputMessage.Insert(500, 42, TupleData.ofText("1")));
            a.accept(new PgOutputMessage.Insert(501, 42, TupleData.ofText("2")));
            a.accept(new PgOutputMessage.Insert(500, 42, TupleData.ofText("3")));
            a.accept(new PgOutputMessage.StreamStop());
            // A plain transaction commits in between, with the old shape.
            a.accept(new PgOutputMessage.Begin(90, T, 499));
            a.accept(new PgOutputMessage.Insert(0, 42, TupleData.ofText("100")));
            a.accept(new PgOutputMessage.Commit(0, 90, 95, T));
            a.accept(new PgOutputMessage.StreamStart(500, false));
            a.accept(new PgOutputMessage.Insert(501, 42, TupleData.ofText("4")));
            a.accept(rel(502, 'd', col(true, "id", PgType.INT4), col(false, "x", PgType.TEXT)));
            a.accept(new PgOutputMessage.Insert(502, 42, TupleData.ofText("5", "gone")));
            a.accept(rel(503, 'd', col(true, "id", PgType.INT4), col(false, "y", PgType.INT8)));
            a.accept(new PgOutputMessage.Insert(503, 42, TupleData.ofText("6", "66")));
            a.accept(new PgOutputMessage.StreamStop());
            a.accept(new PgOutputMessage.StreamAbort(500, 501));
            a.accept(new PgOutputMessage.StreamAbort(500, 502));
            assertThat(events).extracting(e -> e.getClass().getSimpleName()).containsExactly("ChangeBatch",
                    "TransactionCommitted");
            a.accept(new PgOutputMessage.StreamCommit(500, 0, 200, 250, T));
        }
        List<ChangeBatch> b = batches();
        List<Integer> ids = new ArrayList<>();
        for (ChangeBatch batch : b.subList(1, b.size())) {
            for (int i = 0; i < batch.rowCount(); i++) {
                ids.add(((IntVector) batch.root().getVector("id")).get(i));
                assertThat(((BigIntVector) batch.root().getVector(ChangeBatch.COMMIT_LSN)).get(i)).isEqualTo(200);
            }
        }
        assertThat(ids).containsExactly(1, 3, 6);
        List<SchemaChange> changes = events.stream().filter(SchemaChange.class::isInstance)
                .map(SchemaChange.class::cast).toList();
        assertThat(changes).hasSize(1);
        assertThat(changes.get(0).addedColumns()).containsExactly("y");
        assertThat(changes.get(0).droppedColumns()).isEmpty();
        int at = events.indexOf(changes.get(0));
        ChangeBatch next = (ChangeBatch) events.get(at + 1);
        assertThat(((BigIntVector) next.root().getVector("y")).get(0)).isEqualTo(66L);
        assertThat(events.get(events.size() - 1)).isEqualTo(new TransactionCommitted(200, 250, T));
    }

    @Test
    void aRelationAnnouncedOnlyByARolledBackSubtransactionIsForgotten() {
        try (TransactionAssembler a = new TransactionAssembler(allocator, BatchLimits.DEFAULT, events::add)) {
            a.accept(new PgOutputMessage.StreamStart(600, true));
            a.accept(rel(601, 'd', col(true, "id", PgType.INT4)));
            a.accept(new PgOutputMessage.Insert(601, 42, TupleData.ofText("1")));
            a.accept(new PgOutputMessage.StreamStop());
            a.accept(new PgOutputMessage.StreamAbort(600, 601));
            // pgoutput sends the Relation again for the next subtransaction
            a.accept(new PgOutputMessage.StreamStart(600, false));
            a.accept(rel(602, 'd', col(true, "id", PgType.INT4)));
            a.accept(new PgOutputMessage.Insert(602, 42, TupleData.ofText("2")));
            a.accept(new PgOutputMessage.StreamStop());
            a.accept(new PgOutputMessage.StreamCommit(600, 0, 400, 450, T));
        }
        assertThat(events).extracting(e -> e.getClass().getSimpleName()).containsExactly("SchemaChange",
                "ChangeBatch", "TransactionCommitted");
        assertThat(((SchemaChange) events.get(0)).initial()).isTrue();
        ChangeBatch b = (ChangeBatch) events.get(1);
        assertThat(b.rowCount()).isEqualTo(1);
        assertThat(((IntVector) b.column(0)).get(0)).isEqualTo(2);
    }

    @Test
    void aStreamResentFromItsFirstSegmentReplacesWhatWasBuffered() {
        try (TransactionAssembler a = new TransactionAssembler(allocator, BatchLimits.DEFAULT, events::add)) {
            a.accept(rel(0, 'd', col(true, "id", PgType.INT4)));
            a.accept(new PgOutputMessage.StreamStart(9, true));
            a.accept(new PgOutputMessage.Insert(9, 42, TupleData.ofText("1")));
            a.accept(new PgOutputMessage.StreamStop());
            // reconnect: the server starts the same transaction over
            a.accept(new PgOutputMessage.StreamStart(9, true));
            a.accept(new PgOutputMessage.Insert(9, 42, TupleData.ofText("1")));
            a.accept(new PgOutputMessage.Insert(9, 42, TupleData.ofText("2")));
            a.accept(new PgOutputMessage.StreamStop());
            a.accept(new PgOutputMessage.StreamCommit(9, 0, 300, 350, T));
        }
        List<ChangeBatch> b = batches();
        assertThat(b).hasSize(1);
        assertThat(b.get(0).rowCount()).isEqualTo(2);
        IntVector seq = (IntVector) b.get(0).root().getVector(ChangeBatch.SEQ);
        assertThat(List.of(seq.get(0), seq.get(1))).containsExactly(0, 1);
    }

    @Test
    void aStreamAbortOfTheWholeTransactionFreesItsMemory() {
        try (TransactionAssembler a = new TransactionAssembler(allocator, new BatchLimits(10, 1 << 20), events::add)) {
            a.accept(rel(0, 'd', col(true, "id", PgType.INT4), col(false, "v", PgType.TEXT)));
            a.accept(new PgOutputMessage.StreamStart(7, true));
            for (int i = 0; i < 1000; i++) {
                a.accept(new PgOutputMessage.Insert(7, 42, TupleData.ofText(Integer.toString(i), "x".repeat(100))));
            }
            a.accept(new PgOutputMessage.StreamStop());
            assertThat(allocator.getAllocatedMemory()).isGreaterThan(100_000);
            a.accept(new PgOutputMessage.StreamAbort(7, 7));
            assertThat(allocator.getAllocatedMemory()).isZero();
            assertThat(a.openStreamedTransactions()).isZero();
        }
        assertThat(events).hasSize(1); // the initial SchemaChange
    }
}
