package io.etlstream.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import io.etlstream.source.pg.types.PgType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

class ChangeBatchBuilderTest {

    static final TableSchema SCHEMA = new TableSchema(new TableId("public", "t"), 1, 'd',
            List.of(new RelationColumn(true, "id", PgType.INT4, -1), new RelationColumn(false, "v", PgType.TEXT, -1)),
            1);

    /** The builder's own count of TRUNCATE rows per batch agrees with a scan of the op column, batch after batch. */
    @Test
    void truncateCountOfASealedBatchIsTheBuildersAndMatchesItsOpColumn() {
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, BatchLimits.DEFAULT)) {
            b.appendInsert(TupleData.ofText("1", "x"), 10, 0, 0);
            b.appendTruncate(10, 0, 1);
            b.appendUpdate(null, TupleData.ofText("1", "y"), 10, 0, 2);
            b.appendTruncate(10, 0, 3);
            b.appendDelete(TupleData.ofText("1", null), 10, 0, 4);
            try (ChangeBatch batch = b.seal(true)) {
                assertThat(batch.truncateCount()).isEqualTo(2);
                assertThat(List.of(batch.op(0), batch.op(1), batch.op(2), batch.op(3), batch.op(4))).containsExactly(
                        ChangeBatch.INSERT, ChangeBatch.TRUNCATE, ChangeBatch.UPDATE, ChangeBatch.TRUNCATE,
                        ChangeBatch.DELETE);
                // the same rows as a batch the builder did not seal: counted from the op column
                ChangeBatch unknown = new ChangeBatch(SCHEMA, batch.root(), 10, 10, true);
                assertThat(unknown.truncateCount()).isEqualTo(2);
            }
            b.appendInsert(TupleData.ofText("2", "x"), 11, 0, 0);
            try (ChangeBatch batch = b.seal(true)) {
                assertThat(batch.truncateCount()).isZero(); // the count starts again with each batch
            }
        }
    }

    @Test
    void sealsAtTheRowBoundAndAtTheByteBound() {
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, new BatchLimits(3, 1 << 20))) {
            for (int i = 0; i < 3; i++) {
                assertThat(b.isFull()).isFalse();
                b.appendInsert(TupleData.ofText(Integer.toString(i), "x"), 10, 0, i);
            }
            assertThat(b.isFull()).isTrue();
            try (ChangeBatch batch = b.seal(true)) {
                assertThat(batch.rowCount()).isEqualTo(3);
                assertThat(batch.byteSize()).isPositive();
                assertThat(batch.endsTransaction()).isTrue();
            }
            assertThat(b.seal(false)).isNull();
        }
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, new BatchLimits(1000, 10_000))) {
            int rows = 0;
            while (!b.isFull()) {
                b.appendInsert(TupleData.ofText("1", "y".repeat(1000)), 10, 0, rows++);
            }
            assertThat(rows).isBetween(9, 10);
            try (ChangeBatch batch = b.seal(false)) {
                assertThat(batch.rowCount()).isEqualTo(rows);
            }
        }
    }

    @Test
    void snapshotRowsCarryTheirMetadataAcrossBatchesAndNextToOtherRows() {
        // Snapshot rows get op/LSN/time/seq when the batch is sealed (or before a non-snapshot row): each must still
        // read exactly as if written row by row, also in later batches that are allocated from the last one's sizes.
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, new BatchLimits(700, 1 << 20))) {
            b.initialCapacity(16);
            for (int batchNo = 0; batchNo < 3; batchNo++) {
                int n = batchNo == 2 ? 5 : 700;
                for (int i = 0; i < n; i++) {
                    String v = "value " + "x".repeat((i * 7) % 40) + i;
                    if (batchNo == 1 && i == 300) {
                        b.appendInsert(TupleData.ofText("-1", "stream row"), 99, 77, 42);
                    } else {
                        b.appendSnapshotRow(TupleData.ofText(Integer.toString(i), v), 10 + batchNo, 1000 + batchNo);
                    }
                }
                try (ChangeBatch batch = b.seal(false)) {
                    assertThat(batch.rowCount()).isEqualTo(n);
                    var root = batch.root();
                    for (int i = 0; i < n; i++) {
                        boolean stream = batchNo == 1 && i == 300;
                        assertThat(root.getVector(ChangeBatch.OP).getObject(i).toString()).as("op %d", i).isEqualTo("I");
                        assertThat(root.getVector(ChangeBatch.COMMIT_LSN).getObject(i)).as("lsn %d", i)
                                .isEqualTo(stream ? 99L : 10L + batchNo);
                        assertThat(((org.apache.arrow.vector.TimeStampMicroTZVector) root.getVector(ChangeBatch.COMMIT_TS))
                                .get(i)).as("ts %d", i).isEqualTo(stream ? 77L : 1000L + batchNo);
                        assertThat(root.getVector(ChangeBatch.SEQ).getObject(i)).as("seq %d", i).isEqualTo(stream ? 42 : i);
                        assertThat(batch.column(1).getObject(i).toString()).as("value %d", i)
                                .isEqualTo(stream ? "stream row" : "value " + "x".repeat((i * 7) % 40) + i);
                    }
                }
            }
        }
    }

    @Test
    void unchangedToastMarksSitOnTheirRowsOnly() {
        TupleData plain = TupleData.ofText("1", "v");
        TupleData toast = new TupleData(new byte[] {TupleData.TEXT, TupleData.UNCHANGED_TOAST}, new int[] {0, 1},
                new int[] {1, 0}, new byte[] {'2'});
        TupleData fullOld = TupleData.ofText("2", "old value");
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, BatchLimits.DEFAULT)) {
            boolean[] marked = new boolean[600];
            for (int i = 0; i < 600; i++) {
                marked[i] = i % 7 == 3 || i > 590;
                if (i % 11 == 5) {
                    b.appendUpdate(fullOld, toast, 1, 0, i); // REPLICA IDENTITY FULL: filled, not marked
                } else {
                    b.appendUpdate(null, marked[i] ? toast : plain, 1, 0, i);
                }
                marked[i] &= i % 11 != 5;
            }
            try (ChangeBatch batch = b.seal(true)) {
                for (int i = 0; i < 600; i++) {
                    assertThat(batch.isUnchangedToast(i, 1)).as("row %d", i).isEqualTo(marked[i]);
                    assertThat(batch.isUnchangedToast(i, 0)).isFalse();
                    assertThat(batch.column(1).isNull(i)).as("row %d", i).isEqualTo(marked[i]);
                    assertThat(batch.root().getVector(ChangeBatch.UNCHANGED_TOAST).isNull(i)).isEqualTo(!marked[i]);
                }
                assertThat(batch.column(1).getObject(5).toString()).isEqualTo("old value");
            }
        }
    }

    @Test
    void aRowThatDoesNotMatchTheRelationIsRefused() {
        try (RootAllocator alloc = new RootAllocator();
                ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, alloc, BatchLimits.DEFAULT)) {
            assertThatThrownBy(() -> b.appendInsert(TupleData.ofText("1"), 1, 0, 0))
                    .hasMessageContaining("Relation");
        }
    }

    @Test
    void aFullAllocatorMakesTheWriterWaitForTheConsumer() throws Exception {
        BlockingQueue<ChangeBatch> queue = new ArrayBlockingQueue<>(1000);
        try (RootAllocator root = new RootAllocator();
                BatchMemory mem = BatchMemory.create(root, "batches", 2L * 1024 * 1024, Duration.ofSeconds(30))) {
            Thread consumer = new Thread(() -> {
                try {
                    for (int got = 0; got < 200; got++) {
                        ChangeBatch b = queue.poll(30, TimeUnit.SECONDS);
                        Thread.sleep(2); // a slow destination
                        b.close();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            consumer.start();
            long peak = 0;
            try (ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, mem.allocator(), new BatchLimits(100, 1 << 20))) {
                for (int batch = 0; batch < 200; batch++) {
                    for (int i = 0; i < 100; i++) {
                        b.appendInsert(TupleData.ofText(Integer.toString(i), "z".repeat(200)), batch, 0, i);
                    }
                    queue.put(b.seal(true));
                    peak = Math.max(peak, mem.allocator().getAllocatedMemory());
                }
            }
            consumer.join(60_000);
            // 200 batches of ~30 KB would need ~6 MB unbounded; the writer waited instead.
            assertThat(peak).isLessThanOrEqualTo(2L * 1024 * 1024);
            assertThat(mem.waits()).isPositive();
            assertThat(mem.allocator().getAllocatedMemory()).isZero();
        }
    }

    @Test
    void withoutAConsumerTheWaitEndsWithAnExplanation() {
        try (RootAllocator root = new RootAllocator();
                BatchMemory mem = BatchMemory.create(root, "batches", 256 * 1024, Duration.ofMillis(200))) {
            java.util.List<ChangeBatch> held = new java.util.ArrayList<>();
            try (ChangeBatchBuilder b = new ChangeBatchBuilder(SCHEMA, mem.allocator(), new BatchLimits(100, 1 << 20))) {
                assertThatThrownBy(() -> {
                    for (int batch = 0; batch < 1000; batch++) {
                        for (int i = 0; i < 100; i++) {
                            b.appendInsert(TupleData.ofText("1", "q".repeat(100)), 1, 0, i);
                        }
                        held.add(b.seal(true));
                    }
                }).isInstanceOf(UserFacingException.class).hasMessageContaining("raise the batch memory limit");
            } finally {
                held.forEach(ChangeBatch::close);
            }
        }
    }
}
