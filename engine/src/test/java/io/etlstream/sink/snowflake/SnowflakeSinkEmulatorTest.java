package io.etlstream.sink.snowflake;

import static io.etlstream.sink.snowflake.SinkFixture.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.SchemaChange;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.batch.TransactionAssembler;
import io.etlstream.emulator.Faults.Endpoint;
import io.etlstream.emulator.SqlResult;
import io.etlstream.sink.SinkEvents;
import io.etlstream.sink.snowflake.SinkFixture.RecordingDurability;
import io.etlstream.sink.snowflake.SinkFixture.Txn;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The sink with the real Snowpipe Streaming SDK and SQL API against the emulator. */
class SnowflakeSinkEmulatorTest {

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass("S");

    final BufferAllocator alloc = new RootAllocator();
    final List<AutoCloseable> closeMe = new ArrayList<>();
    final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    final SinkEvents recorder = (level, table, message) -> events.add(level + " " + table + " " + message);

    @AfterEach
    void cleanUp() throws Exception {
        SF.faults().clear();
        for (int i = closeMe.size() - 1; i >= 0; i--) {
            try {
                closeMe.get(i).close();
            } catch (Exception e) {
                // a fenced client may complain on close; the test already asserted what matters
            }
        }
        alloc.close();
    }

    SnowflakeDestination destination() {
        SnowflakeDestination dest = SF.open("S");
        closeMe.add(dest);
        return dest;
    }

    SnowflakeSink sink(SnowflakeDestination dest, String pipeline, RecordingDurability dur) throws Exception {
        SnowflakeSink s = dest.openSink(pipeline, EmulatedSnowflake.MANUAL_MERGES, recorder);
        s.open(dur);
        return s;
    }

    static TableSchema schema(String table, int version, RelationColumn... cols) {
        return new TableSchema(new TableId("public", table), table.hashCode(), 'd', List.of(cols), version);
    }

    static RelationColumn col(boolean key, String name, int oid, int typmod) {
        return new RelationColumn(key, name, oid, typmod);
    }

    static final int NUMERIC_10_2 = ((10 << 16) | 2) + 4;

    static SchemaChange initial(TableSchema s) {
        return new SchemaChange(s.table(), null, s, List.of(), List.of(), List.of(), false);
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    static SqlResult q(String sql) {
        return SF.sql(sql, "S");
    }

    static long count(String sql) {
        return Long.parseLong(q(sql).rows().get(0).get(0));
    }

    /** Transactions over two tables: inserts, updates and deletes, some split into several batches. */
    static List<Txn> script(TableSchema orders, TableSchema items, int from, int to, TreeMap<Long, String> model) {
        List<Txn> txns = new ArrayList<>();
        for (int i = from; i < to; i++) {
            long lsn = 0x1_0000_0000L + i * 1000L;
            List<Consumer<SinkFixture.Emitter>> steps = new ArrayList<>();
            int n = i;
            List<Object[]> o = new ArrayList<>();
            for (int k = 0; k < 5; k++) {
                long id = n * 10L + k;
                o.add(row('I', TupleData.ofText(Long.toString(id), "note " + id, (id % 1000) + ".25",
                        "{\"n\": " + id + "}")));
                model.put(id, "note " + id);
            }
            if (n > 0) {
                long upd = (n - 1) * 10L;
                o.add(row('U', TupleData.ofText(Long.toString(upd), "updated " + upd, "1.50", null)));
                model.put(upd, "updated " + upd);
                long del = (n - 1) * 10L + 1;
                o.add(row('D', TupleData.ofText(Long.toString(del), null, null, null)));
                model.remove(del);
            }
            boolean split = n % 3 == 0;
            steps.add(e -> e.rows(orders, !split, split ? o.subList(0, 3) : o));
            if (split) {
                steps.add(e -> e.rows(orders, true, o.subList(3, o.size())));
            }
            if (n % 2 == 0) {
                List<Object[]> it = new ArrayList<>();
                it.add(row('I', TupleData.ofText(Integer.toString(n), "item " + n)));
                steps.add(e -> e.rows(items, true, it));
            }
            txns.add(new Txn(lsn, lsn + 40, steps));
        }
        return txns;
    }

    static final TableSchema ORDERS = schema("orders", 1, col(true, "id", 20, -1), col(false, "note", 25, -1),
            col(false, "amount", 1700, NUMERIC_10_2), col(false, "doc", 3802, -1));

    @Test
    void rowsLandExactlyOnceAcrossAnUncleanRestartAndTheMirrorMatches() throws Exception {
        TableSchema orders = schema("e2e_orders", 1, ORDERS.columns().toArray(RelationColumn[]::new));
        TableSchema items = schema("e2e_items", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        List<SchemaChange> schemas = List.of(initial(orders), initial(items));
        TreeMap<Long, String> model = new TreeMap<>();
        List<Txn> all = script(orders, items, 0, 60, model);

        // first run: the first 40 transactions, closed cleanly
        SnowflakeDestination d1 = destination();
        RecordingDurability dur1 = new RecordingDurability();
        SnowflakeSink s1 = sink(d1, "p1", dur1);
        SinkFixture.replay(s1, alloc, schemas, all.subList(0, 40), 0);
        long end40 = all.get(39).endLsn();
        await("durable " + end40, () -> dur1.durable.get() == end40);
        s1.close();
        assertThat(new ArrayList<>(dur1.reports)).isSorted();

        // second run: the rest, then the process dies without draining (no close, client not closed)
        SnowflakeDestination d2 = destination();
        RecordingDurability dur2 = new RecordingDurability();
        SnowflakeSink s2 = sink(d2, "p1", dur2);
        SinkFixture.replay(s2, alloc, schemas, all, dur1.durable.get());
        long expectedOrders = 60 * 5 + 59 * 2;
        await("run 2 committed", () -> count("SELECT COUNT(*) FROM E2E_ORDERS_HISTORY") == expectedOrders);
        s2.abandon();
        // PostgreSQL never heard of run 2's progress (the feedback was lost with the process): the slot replays
        // transactions 40..59, which the channels already hold.
        long confirmed = dur1.durable.get();

        // third run, a new process: the slot replays everything after the confirmed LSN
        SnowflakeDestination d3 = destination();
        RecordingDurability dur3 = new RecordingDurability();
        SnowflakeSink s3 = sink(d3, "p1", dur3);
        SinkFixture.replay(s3, alloc, schemas, all, confirmed);
        long last = all.get(all.size() - 1).endLsn();
        await("durable " + last, () -> dur3.durable.get() == last);

        assertThat(count("SELECT COUNT(*) FROM E2E_ORDERS_HISTORY")).isEqualTo(expectedOrders);
        assertThat(count("SELECT COUNT(DISTINCT _ETL_LSN * 4294967296 + _ETL_SEQ) FROM E2E_ORDERS_HISTORY"))
                .isEqualTo(expectedOrders);
        assertThat(count("SELECT COUNT(*) FROM E2E_ITEMS_HISTORY")).isEqualTo(30);

        s3.mergeNow(true);
        SqlResult mirror = q("SELECT ID, NOTE, AMOUNT, DOC FROM E2E_ORDERS ORDER BY ID");
        Map<Long, String> got = new TreeMap<>();
        for (List<String> r : mirror.rows()) {
            got.put(Long.parseLong(r.get(0)), r.get(1));
        }
        assertThat(got).isEqualTo(model);
        assertThat(q("SELECT AMOUNT FROM E2E_ORDERS WHERE ID = 12").rows().get(0).get(0)).isEqualTo("12.25");
        assertThat(q("SELECT DOC FROM E2E_ORDERS WHERE ID = 12").rows().get(0).get(0)).contains("12");
        s3.close();
    }

    /** A copy of {@code rows} (id, note) on the snapshot at {@code point}, as the source's snapshot copier sends it. */
    static void copy(SnowflakeSink sink, BufferAllocator alloc, TableSchema schema, long point, Map<Long, String> rows)
            throws Exception {
        sink.tableCopyStarting(schema.table(), point); // as the source announces every copy
        sink.snapshotStarting(schema, point);
        try (io.etlstream.batch.ChangeBatchBuilder b = new io.etlstream.batch.ChangeBatchBuilder(schema, alloc,
                io.etlstream.batch.BatchLimits.DEFAULT)) {
            for (Map.Entry<Long, String> r : rows.entrySet()) {
                b.appendSnapshotRow(TupleData.ofText(Long.toString(r.getKey()), r.getValue()), point, 1_000_000L);
            }
            sink.accept(b.sealCopy());
        }
    }

    /**
     * Regression (issue 6): a copy of a table that was empty left no position in its channel (a copy's rows carry it,
     * and there were none). After a crash before the table's next change committed, the stream replayed from below
     * the copy's point, and the new sink, with nothing telling it what the copy covers, put those changes into history.
     */
    @Test
    void anEmptyCopyStillKeepsAReplayFromReapplyingWhatItCovers() throws Exception {
        TableSchema t = schema("empty_copy", 1, col(true, "id", 20, -1), col(false, "note", 25, -1));
        long a = 0x8_0000_0000L;
        long b = a + 10_000; // the copy's consistent point
        List<Txn> stream = List.of(
                txn(a + 100, e -> e.rows(t, true, rows(row('I', TupleData.ofText("5", "gone"))))),
                txn(a + 200, e -> e.rows(t, true, rows(row('D', TupleData.ofText("5", null))))),
                txn(b + 100, e -> e.rows(t, true, rows(row('I', TupleData.ofText("99", "kept"))))));

        // Run 1 copies the table at B (empty: row 5 came and went before B) while the stream, still below B,
        // follows; then the process dies before the table's next change.
        RecordingDurability dur1 = new RecordingDurability();
        SnowflakeSink s1 = sink(destination(), "pec", dur1);
        s1.tableCopyStarting(t.table(), b);
        s1.snapshotStarting(t, b);
        s1.snapshotCompleted(t.table());
        assertThat(dur1.snapshots).containsExactly(t.table());
        SinkFixture.replay(s1, alloc, List.of(), stream.subList(0, 2), 0);
        await("durable", () -> dur1.durable.get() == a + 240);
        assertThat(count("SELECT COUNT(*) FROM EMPTY_COPY_HISTORY")).as("changes the copy covers").isZero();
        s1.abandon();

        // PostgreSQL had not heard of it yet (the confirmation went down with the process): run 2 streams from
        // before A, and the table's copy is not repeated (it was reported durable).
        RecordingDurability dur2 = new RecordingDurability();
        SnowflakeSink s2 = sink(destination(), "pec", dur2);
        SinkFixture.replay(s2, alloc, List.of(initial(t)), stream, 0);
        await("durable", () -> dur2.durable.get() == b + 140);
        assertThat(q("SELECT _ETL_OP, ID FROM EMPTY_COPY_HISTORY").rows())
                .as("history: the copy (no rows) and the one change after it").containsExactly(List.of("I", "99"));
        s2.mergeNow(true);
        assertThat(q("SELECT ID, NOTE FROM EMPTY_COPY").rows()).containsExactly(List.of("99", "kept"));
        s2.close();
    }

    /**
     * Regression (issue 6): the sink told copy batches from streamed ones by their shape, and the first batch of a large
     * single-table transaction has that shape (inserts numbered from 0 at one LSN, not ending the transaction), so it
     * was sent without its position. A crash after Snowflake committed it made the replayed transaction put those
     * rows into history a second time. Batches now say whether they come from a copy.
     */
    @Test
    void theFirstBatchOfALargeTransactionKeepsItsPositionAcrossACrash() throws Exception {
        TableSchema t = schema("big_txn", 1, col(true, "id", 20, -1), col(false, "note", 25, -1));
        long lsn = 0x6_0000_0000L;
        List<Object[]> first = rows(row('I', TupleData.ofText("1", "a")), row('I', TupleData.ofText("2", "b")),
                row('I', TupleData.ofText("3", "c")));
        List<Object[]> second = rows(row('I', TupleData.ofText("4", "d")), row('I', TupleData.ofText("5", "e")));
        Txn txn = new Txn(lsn, lsn + 40, List.of(e -> e.rows(t, false, first), e -> e.rows(t, true, second)));

        // Run 1 receives only the transaction's first batch and dies once Snowflake has committed it.
        SnowflakeSink s1 = sink(destination(), "pbig", new RecordingDurability());
        s1.accept(initial(t));
        List<io.etlstream.batch.ChangeEvent> firstBatch = new ArrayList<>();
        new SinkFixture.Emitter(alloc, lsn, firstBatch).rows(t, false, first);
        assertThat(((io.etlstream.batch.ChangeBatch) firstBatch.get(0)).fromCopy()).isFalse();
        s1.accept(firstBatch.get(0));
        await("the first batch committed", () -> count("SELECT COUNT(*) FROM BIG_TXN_HISTORY") == 3);
        s1.abandon();

        // Run 2: the slot sends the whole transaction again.
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s2 = sink(destination(), "pbig", dur);
        SinkFixture.replay(s2, alloc, List.of(initial(t)), List.of(txn), 0);
        await("durable", () -> dur.durable.get() == lsn + 40);
        assertThat(q("SELECT ID, COUNT(*) FROM BIG_TXN_HISTORY GROUP BY ID ORDER BY ID").rows())
                .as("each change of the transaction exactly once").containsExactly(List.of("1", "1"),
                        List.of("2", "1"), List.of("3", "1"), List.of("4", "1"), List.of("5", "1"));
        s2.close();
    }

    /**
     * Regression (EngineCrashTest): the process dies during a table's copy; the restart copies the table again on a
     * later snapshot and then streams from the slot's older position. Before the fix, history kept the dead copy's
     * rows beside the new copy, took the changes the new copy already held a second time, and the mirror kept a row
     * deleted between the two copies (its delete arrived after the new copy was merged, below the merge window).
     */
    @Test
    void aCopyInterruptedByACrashIsReplacedAndTheStreamSkipsWhatTheNewCopyHolds() throws Exception {
        TableSchema t = schema("copy_crash", 1, col(true, "id", 20, -1), col(false, "note", 25, -1));
        long a = 0x5_0000_0000L;
        long b = a + 10_000;
        TreeMap<Long, String> atA = new TreeMap<>();
        for (long id = 1; id <= 50; id++) {
            atA.put(id, "v1 " + id);
        }
        // Run 1 copies everything at A, merges the mirror, then dies before the copy completes.
        SnowflakeDestination d1 = destination();
        SnowflakeSink s1 = sink(d1, "pc", new RecordingDurability());
        copy(s1, alloc, t, a, atA);
        await("the first copy's rows", () -> count("SELECT COUNT(*) FROM COPY_CRASH_HISTORY") == 50);
        s1.mergeNow(true);
        assertThat(count("SELECT COUNT(*) FROM COPY_CRASH")).isEqualTo(50);
        s1.abandon();

        // Meanwhile the source deletes row 5 and updates row 6 (below B), and inserts row 99 after B.
        List<Txn> stream = new ArrayList<>();
        stream.add(new Txn(a + 100, a + 140, List.of(e -> e.rows(t, true, List.<Object[]>of(
                row('D', TupleData.ofText("5", null)))))));
        stream.add(new Txn(a + 200, a + 240, List.of(e -> e.rows(t, true, List.<Object[]>of(
                row('U', TupleData.ofText("6", "v2 6")))))));
        stream.add(new Txn(b + 100, b + 140, List.of(e -> e.rows(t, true, List.<Object[]>of(
                row('I', TupleData.ofText("99", "v1 99")))))));
        TreeMap<Long, String> atB = new TreeMap<>(atA);
        atB.remove(5L);
        atB.put(6L, "v2 6");

        // Run 2 copies again at B, merges, then streams from the slot's position (before A's changes).
        SnowflakeDestination d2 = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s2 = sink(d2, "pc", dur);
        copy(s2, alloc, t, b, atB);
        s2.snapshotCompleted(t.table());
        assertThat(dur.snapshots).containsExactly(t.table());
        s2.mergeNow(true);
        SinkFixture.replay(s2, alloc, List.of(), stream, 0);
        await("durable", () -> dur.durable.get() == b + 140);

        assertThat(count("SELECT COUNT(*) FROM COPY_CRASH_HISTORY WHERE _ETL_LSN = " + a))
                .as("rows of the copy that never completed").isZero();
        assertThat(count("SELECT COUNT(*) FROM COPY_CRASH_HISTORY WHERE _ETL_LSN = " + b)).isEqualTo(49);
        assertThat(q("SELECT _ETL_OP, ID FROM COPY_CRASH_HISTORY WHERE _ETL_LSN <> " + b).rows())
                .as("streamed changes: only the one after the copy's point").containsExactly(List.of("I", "99"));
        s2.mergeNow(false);
        TreeMap<Long, String> mirror = new TreeMap<>();
        for (List<String> r : q("SELECT ID, NOTE FROM COPY_CRASH").rows()) {
            mirror.put(Long.parseLong(r.get(0)), r.get(1));
        }
        atB.put(99L, "v1 99");
        assertThat(mirror).isEqualTo(atB);
        s2.close();
    }

    /**
     * Regression (issue 6): a channel open answered with status 20 (fenced) came out of the sink as a user-facing
     * error, which stops the pipeline for good; it is a lost channel, retried by a restart from the durable position.
     */
    @Test
    void aChannelOpenAnsweredWithStatus20IsRetriedAndTheRestartLosesNothing() throws Exception {
        TableSchema t = schema("open_fenced", 1, col(true, "id", 20, -1), col(false, "note", 25, -1));
        SnowflakeSink s1 = sink(destination(), "pof", new RecordingDurability());
        SF.faults().statusCode(Endpoint.OPEN_CHANNEL, 1, 20);
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> s1.accept(initial(t)));
        assertThat(SF.faults().fired(Endpoint.OPEN_CHANNEL)).isEqualTo(1);
        assertThat(thrown).isInstanceOf(ChannelInvalidatedException.class).hasMessageContaining("nothing is lost");
        assertThat(io.etlstream.pipeline.FailureClassifier.classify(
                new IllegalStateException("the destination failed", thrown), java.time.Instant.now()).permanent())
                .as("a fenced open is retried, not a stop for good").isFalse();
        s1.abandon();

        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s2 = sink(destination(), "pof", dur);
        long lsn = 0x7_0000_0000L;
        SinkFixture.replay(s2, alloc, List.of(initial(t)), List.of(txn(lsn, e -> e.rows(t, true,
                rows(row('I', TupleData.ofText("1", "a")))))), 0);
        await("durable after the restart", () -> dur.durable.get() == lsn + 40);
        assertThat(count("SELECT COUNT(*) FROM OPEN_FENCED_HISTORY")).isEqualTo(1);
        s2.close();
    }

    /**
     * Regression (ResyncTableTest, issue 6): another client took the channel over between the sink's open and its read
     * of the committed offset token; the SDK's "invalid status 20" from that read escaped the sink unclassified.
     */
    @Test
    void aChannelTakenOverWhileTheSinkOpensItIsALostChannel() throws Exception {
        TableSchema t = schema("open_stolen", 1, col(true, "id", 20, -1), col(false, "note", 25, -1));
        SnowflakeSink s1 = sink(destination(), "pos", new RecordingDurability());
        SnowflakeSink other = sink(destination(), "pos", new RecordingDurability());
        long before = SF.faults().fired(Endpoint.CHANNEL_STATUS);
        SF.faults().delay(Endpoint.CHANNEL_STATUS, 1, Duration.ofSeconds(4));
        java.util.concurrent.CompletableFuture<Throwable> opening = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> org.assertj.core.api.Assertions.catchThrowable(() -> s1.accept(initial(t))));
        // s1 has opened its channel and waits for the committed token: now the other sink takes the channel over
        await("s1 reading its committed token", () -> SF.faults().fired(Endpoint.CHANNEL_STATUS) == before + 1);
        other.accept(initial(t));
        Throwable thrown = opening.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(thrown).isInstanceOf(ChannelInvalidatedException.class).hasMessageContaining("nothing is lost");
        s1.abandon();
        other.close();
    }

    @Test
    void injected5xxAndStatus10AreRetriedWithoutLossOrDuplicates() throws Exception {
        TableSchema orders = schema("f_orders", 1, ORDERS.columns().toArray(RelationColumn[]::new));
        TableSchema items = schema("f_items", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        TreeMap<Long, String> model = new TreeMap<>();
        List<Txn> all = script(orders, items, 0, 20, model);
        SF.faults().httpStatus(Endpoint.REGISTER_BLOBS, 2, 503).statusCode(Endpoint.REGISTER_BLOBS, 2, 10)
                .httpStatus(Endpoint.CHANNEL_STATUS, 1, 500);
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = sink(d, "pf", dur);
        SinkFixture.replay(s, alloc, List.of(initial(orders), initial(items)), all, 0);
        long last = all.get(all.size() - 1).endLsn();
        await("durable " + last, () -> dur.durable.get() == last);
        assertThat(SF.faults().fired(Endpoint.REGISTER_BLOBS)).isEqualTo(4);
        long expected = 20 * 5 + 19 * 2;
        assertThat(count("SELECT COUNT(*) FROM F_ORDERS_HISTORY")).isEqualTo(expected);
        assertThat(count("SELECT COUNT(DISTINCT _ETL_LSN * 4294967296 + _ETL_SEQ) FROM F_ORDERS_HISTORY"))
                .isEqualTo(expected);
        s.close();
    }

    @Test
    void fencingStopsTheSinkWithAClearErrorAndARestartLosesAndDuplicatesNothing() throws Exception {
        TableSchema orders = schema("x_orders", 1, ORDERS.columns().toArray(RelationColumn[]::new));
        TableSchema items = schema("x_items", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        List<SchemaChange> schemas = List.of(initial(orders), initial(items));
        TreeMap<Long, String> model = new TreeMap<>();
        List<Txn> all = script(orders, items, 0, 30, model);
        SnowflakeDestination d1 = destination();
        RecordingDurability dur1 = new RecordingDurability();
        SnowflakeSink s1 = sink(d1, "px", dur1);
        SinkFixture.replay(s1, alloc, schemas, all.subList(0, 10), 0);
        await("first durable", () -> dur1.durable.get() == all.get(9).endLsn());

        SF.faults().statusCode(Endpoint.REGISTER_BLOBS, 1, 20);
        assertThatThrownBy(() -> {
            SinkFixture.replay(s1, alloc, List.of(), all.subList(10, 30), dur1.durable.get());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                SinkFixture.replay(s1, alloc, List.of(), List.of(), 0); // poke: accept rethrows the poller's failure
                s1.accept(new io.etlstream.batch.Heartbeat(0, false, "etl-stream", new byte[0]));
                Thread.sleep(100);
            }
        }).isInstanceOf(ChannelInvalidatedException.class).hasMessageContaining("nothing is lost");
        s1.abandon();

        SnowflakeDestination d2 = destination();
        RecordingDurability dur2 = new RecordingDurability();
        SnowflakeSink s2 = sink(d2, "px", dur2);
        SinkFixture.replay(s2, alloc, schemas, all, dur1.durable.get());
        long last = all.get(all.size() - 1).endLsn();
        await("durable after restart", () -> dur2.durable.get() == last);
        long expected = 30 * 5 + 29 * 2;
        assertThat(count("SELECT COUNT(*) FROM X_ORDERS_HISTORY")).isEqualTo(expected);
        assertThat(count("SELECT COUNT(DISTINCT _ETL_LSN * 4294967296 + _ETL_SEQ) FROM X_ORDERS_HISTORY"))
                .isEqualTo(expected);
        s2.close();
    }

    static List<Object[]> rows(Object[]... r) {
        return java.util.Arrays.asList(r);
    }

    static SchemaChange change(TableSchema before, TableSchema after) {
        return new SchemaChange(after.table(), before, after, List.of(), List.of(), List.of(), false);
    }

    static Txn txn(long lsn, Consumer<SinkFixture.Emitter> step) {
        return new Txn(lsn, lsn + 40, List.of(step));
    }

    @Test
    void aTruncateWhoseMarkerCommitsAfterAMergeStillEmptiesTheMirror() throws Exception {
        // A merge that ran between sending the TRUNCATE marker and its commit saw no marker, emptied nothing, and
        // still counted the truncate as done: the old rows stayed in the mirror for good (found by the faults test).
        TableSchema tr = schema("trunc_race", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = sink(d, "ptr", dur);
        s.accept(initial(tr));
        List<Txn> t1 = List.of(txn(0x4_0000_0000L, e -> e.rows(tr, true, rows(row('I', TupleData.ofText("1", "a")),
                row('I', TupleData.ofText("2", "b"))))));
        SinkFixture.replay(s, alloc, List.of(), t1, 0);
        await("durable t1", () -> dur.durable.get() == t1.get(0).endLsn());
        s.mergeNow(true);
        assertThat(count("SELECT COUNT(*) FROM TRUNC_RACE")).isEqualTo(2);

        SF.faults().delay(Endpoint.REGISTER_BLOBS, 3, Duration.ofSeconds(2)); // holds the marker's commit back
        List<Txn> t2 = List.of(txn(0x4_0000_1000L, e -> e.truncate(tr)));
        SinkFixture.replay(s, alloc, List.of(), t2, 0);
        s.mergeNow(true); // the marker is not committed yet
        await("durable t2", () -> dur.durable.get() == t2.get(0).endLsn());
        s.mergeNow(false);
        assertThat(count("SELECT COUNT(*) FROM TRUNC_RACE")).isZero();
        assertThat(count("SELECT COUNT(*) FROM TRUNC_RACE_HISTORY WHERE _ETL_OP = 'T'")).isEqualTo(1);
        s.close();
    }

    /**
     * INSERT; TRUNCATE; INSERT in one transaction arrives as one batch with ops I, T, I: history keeps all three, the
     * mirror ends with only the last row. The same again with a crash after history committed and before any merge:
     * the next run (PostgreSQL does not resend the durable transaction) still leaves only that transaction's last row.
     */
    @Test
    void insertTruncateInsertInOneTransactionLeavesOnlyTheLastRowAlsoAfterACrashBeforeTheMerge(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        TableSchema t = schema("iti", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        MergeWatermarks marks = MergeWatermarks.inFile(dir.resolve("piti.merged"));
        io.etlstream.sink.SinkOptions hourly = io.etlstream.sink.SinkOptions.DEFAULT
                .withMergeInterval(Duration.ofHours(1));
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = destination().openSink("piti", hourly, recorder, marks);
        s.open(dur);
        List<Txn> seed = List.of(txn(0x7_0000_0000L, e -> e.rows(t, true, rows(row('I', TupleData.ofText("1", "a")),
                row('I', TupleData.ofText("2", "b"))))));
        List<Txn> iti = List.of(txn(0x7_0000_1000L, e -> e.rows(t, true, rows(row('I', TupleData.ofText("3", "c")),
                row('T', null), row('I', TupleData.ofText("4", "d"))))));
        SinkFixture.replay(s, alloc, List.of(initial(t)), seed, 0);
        await("seed durable", () -> dur.durable.get() == seed.get(0).endLsn());
        s.mergeNow(true);
        assertThat(count("SELECT COUNT(*) FROM ITI")).isEqualTo(2);
        SinkFixture.replay(s, alloc, List.of(), iti, 0);
        await("I,T,I durable", () -> dur.durable.get() == iti.get(0).endLsn());
        s.mergeNow(false);
        assertThat(q("SELECT ID, V FROM ITI ORDER BY ID").rows()).containsExactly(List.of("4", "d"));
        assertThat(q("SELECT _ETL_OP, _ETL_SEQ, ID FROM ITI_HISTORY WHERE _ETL_LSN = " + 0x7_0000_1000L
                + " ORDER BY _ETL_SEQ").rows()).containsExactly(List.of("I", "0", "3"), Arrays.asList("T", "1", null),
                List.of("I", "2", "4"));
        assertThat(events).anyMatch(e -> e.startsWith("INFO public.iti TRUNCATE of public.iti at "));

        // the same in the next transaction, and the process dies once history has it, before any merge
        List<Txn> again = List.of(txn(0x7_0000_2000L, e -> e.rows(t, true, rows(row('I', TupleData.ofText("5", "e")),
                row('T', null), row('I', TupleData.ofText("6", "f")), row('U', TupleData.ofText("6", "g"))))));
        SinkFixture.replay(s, alloc, List.of(), again, 0);
        await("second I,T,I durable", () -> dur.durable.get() == again.get(0).endLsn());
        s.abandon();
        assertThat(count("SELECT COUNT(*) FROM ITI")).as("not merged before the crash").isEqualTo(1);

        RecordingDurability dur2 = new RecordingDurability();
        SnowflakeSink s2 = destination().openSink("piti", hourly, recorder, marks);
        s2.open(dur2);
        SinkFixture.replay(s2, alloc, List.of(initial(t)), again, again.get(0).endLsn());
        s2.mergeNow(false); // the catch-up merge the channel's committed token (ahead of the watermark) asks for
        assertThat(q("SELECT ID, V FROM ITI ORDER BY ID").rows()).containsExactly(List.of("6", "g"));
        assertThat(count("SELECT COUNT(*) FROM ITI_HISTORY WHERE _ETL_OP = 'T'")).isEqualTo(2);
        assertThat(marks.load(t.table())).isEqualTo(OffsetToken.complete(0x7_0000_2000L));
        s2.close();
    }

    @Test
    void aReplicaIdentityFullTableWithAPrimaryKeyGetsItsMirror() throws Exception {
        // What PgSource hands the assembler for REPLICA IDENTITY FULL tables: the Relation with only the primary key
        // flagged (RowIdentity read it from the catalog), updates and deletes with the whole old row ('O'), unchanged
        // TOAST as 'u' in the new row. Before, every column counted as key: the mirror was not maintained at all.
        Relation full = new Relation(0, 77, "public", "fullid", 'f', List.of(col(true, "id", 23, -1),
                col(false, "v", 25, -1), col(false, "big", 25, -1)));
        Relation keyless = new Relation(0, 78, "public", "fullnokey", 'f', List.of(col(false, "id", 23, -1),
                col(false, "v", 25, -1)));
        String big1 = "one ".repeat(3000);
        String big2 = "two ".repeat(3000);
        String big3 = "three ".repeat(3000);
        Instant at = Instant.parse("2026-11-26T12:00:00Z");
        long lsn1 = 0x3_0000_0000L;
        long lsn2 = 0x3_0000_1000L;
        List<ChangeEvent> first = new ArrayList<>();
        List<ChangeEvent> second = new ArrayList<>();
        try (TransactionAssembler a = new TransactionAssembler(alloc, BatchLimits.DEFAULT, first::add)) {
            a.accept(new PgOutputMessage.Begin(lsn1, at, 700));
            a.accept(full);
            a.accept(keyless);
            a.accept(new PgOutputMessage.Insert(0, 77, TupleData.ofText("1", "a", big1)));
            a.accept(new PgOutputMessage.Insert(0, 77, TupleData.ofText("2", "b", big2)));
            a.accept(new PgOutputMessage.Insert(0, 77, TupleData.ofText("3", "c", big3)));
            a.accept(new PgOutputMessage.Insert(0, 78, TupleData.ofText("1", "x")));
            a.accept(new PgOutputMessage.Commit(0, lsn1, lsn1 + 40, at));
        }
        try (TransactionAssembler a = new TransactionAssembler(alloc, BatchLimits.DEFAULT, second::add)) {
            a.accept(full); // a new session sends the Relation again
            a.accept(new PgOutputMessage.Begin(lsn2, at, 701));
            // a non-key value changes, the TOASTed one is left alone
            a.accept(new PgOutputMessage.Update(0, 77, 'O', TupleData.ofText("1", "a", big1),
                    SinkFixture.withUnchangedToast(TupleData.ofText("1", "a2", null), 2)));
            // the primary key changes, the TOASTed value is left alone
            a.accept(new PgOutputMessage.Update(0, 77, 'O', TupleData.ofText("2", "b", big2),
                    SinkFixture.withUnchangedToast(TupleData.ofText("20", "b", null), 2)));
            a.accept(new PgOutputMessage.Delete(0, 77, 'O', TupleData.ofText("3", "c", big3)));
            a.accept(new PgOutputMessage.Commit(0, lsn2, lsn2 + 40, at));
        }
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = sink(d, "pfull", dur);
        for (ChangeEvent e : first) {
            s.accept(e);
        }
        await("durable 1", () -> dur.durable.get() == lsn1 + 40);
        s.mergeNow(true);
        assertThat(q("SELECT ID, V, LENGTH(BIG) FROM FULLID ORDER BY ID").rows()).containsExactly(
                List.of("1", "a", "12000"), List.of("2", "b", "12000"), List.of("3", "c", "18000"));
        for (ChangeEvent e : second) {
            s.accept(e);
        }
        await("durable 2", () -> dur.durable.get() == lsn2 + 40);
        s.mergeNow(true);
        assertThat(q("SELECT _ETL_OP, ID, V FROM FULLID_HISTORY WHERE _ETL_LSN = " + lsn2 + " ORDER BY _ETL_SEQ")
                .rows()).containsExactly(List.of("U", "1", "a2"), List.of("D", "2", "b"), List.of("U", "20", "b"),
                        List.of("D", "3", "c"));
        assertThat(q("SELECT ID, V, BIG FROM FULLID ORDER BY ID").rows()).containsExactly(
                List.of("1", "a2", big1), List.of("20", "b", big2));
        // a FULL table without a primary key keeps its history only, and the user is told why
        assertThat(count("SELECT COUNT(*) FROM FULLNOKEY_HISTORY")).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM FULLNOKEY")).isZero();
        assertThat(events).anyMatch(e -> e.startsWith("WARN") && e.contains("public.fullnokey")
                && e.contains("has no primary key"));
        assertThat(events).noneMatch(e -> e.startsWith("WARN") && e.contains("public.fullid"));
        s.close();
    }

    @Test
    void schemaEvolutionAddsWidensKeepsDroppedColumnsAndStopsOnAnIncompatibleChange() throws Exception {
        TableSchema v1 = schema("evo", 1, col(true, "id", 23, -1), col(false, "v", 1043, 14),
                col(false, "n", 1700, NUMERIC_10_2), col(false, "d", 25, -1));
        TableSchema v2 = schema("evo", 2, col(true, "id", 23, -1), col(false, "v", 1043, 54),
                col(false, "n", 1700, ((14 << 16) | 2) + 4), col(false, "extra", 23, -1));
        TableSchema v3 = schema("evo", 3, col(true, "id", 23, -1), col(false, "v", 1043, 54),
                col(false, "n", 25, -1), col(false, "extra", 23, -1));
        TableSchema other = schema("evo_other", 1, col(true, "id", 23, -1));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = sink(d, "pe", dur);
        s.accept(initial(v1));
        s.accept(initial(other));
        List<Txn> t1 = List.of(txn(0x2_0000_0000L, e -> e.rows(v1, true, rows(row('I', TupleData.ofText("1",
                "short", "12345678.90", "gone soon"))))));
        SinkFixture.replay(s, alloc, List.of(), t1, 0);
        s.accept(change(v1, v2));
        List<Txn> t2 = List.of(txn(0x2_0000_1000L, e -> e.rows(v2, true, rows(row('I', TupleData.ofText("2",
                "a longer value than ten", "123456789012.34", "7"))))));
        SinkFixture.replay(s, alloc, List.of(), t2, 0);
        await("durable t2", () -> dur.durable.get() == t2.get(0).endLsn());

        List<String> columns = new ArrayList<>();
        for (List<String> r : q("DESCRIBE TABLE EVO_HISTORY").rows()) {
            columns.add(r.get(0) + " " + r.get(1));
        }
        assertThat(columns).contains("V VARCHAR(50)", "N NUMBER(14,2)", "D VARCHAR(16777216)", "EXTRA NUMBER(10,0)");
        assertThat(q("SELECT ID, D, EXTRA, N FROM EVO_HISTORY ORDER BY ID").rows()).containsExactly(
                List.of("1", "gone soon", "null", "12345678.90").stream().map(v -> v.equals("null") ? null : v).toList(),
                java.util.Arrays.asList("2", null, "7", "123456789012.34"));
        assertThat(events).anyMatch(e -> e.contains("Column extra added") && e.contains("DEFAULT")
                && e.contains("etl-stream pipeline resync pe --table public.evo"))
                .anyMatch(e -> e.contains("Column n widened"))
                .anyMatch(e -> e.startsWith("WARN") && e.contains("Column d was dropped"));

        // numeric -> text cannot be applied in place: that table stops, the other goes on and durability advances
        s.accept(change(v2, v3));
        assertThat(s.stoppedTables()).containsExactly(v3.table());
        assertThat(events).anyMatch(e -> e.startsWith("ERROR") && e.contains("Stopped table public.evo")
                && e.contains("Resync the table"));
        List<Txn> t3 = List.of(txn(0x2_0000_2000L, e -> {
            e.rows(v3, true, rows(row('I', TupleData.ofText("3", "x", "not a number", "1"))));
            e.rows(other, true, rows(row('I', TupleData.ofText("1"))));
        }));
        SinkFixture.replay(s, alloc, List.of(), t3, 0);
        await("durable t3", () -> dur.durable.get() == t3.get(0).endLsn());
        assertThat(count("SELECT COUNT(*) FROM EVO_HISTORY")).isEqualTo(2);
        assertThat(count("SELECT COUNT(*) FROM EVO_OTHER_HISTORY")).isEqualTo(1);
        s.close();
    }

    @Test
    void oversizeValuesBecomeNullWithAnEventUnderTheNullPolicy() throws Exception {
        TableSchema t = schema("big", 1, col(true, "id", 23, -1), col(false, "v", 1043, 14));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = d.openSink("po", io.etlstream.sink.SinkOptions.DEFAULT.withMergeInterval(Duration.ofHours(1))
                .withOversize(io.etlstream.catalog.OversizePolicy.NULL_WITH_EVENT), recorder);
        s.open(dur);
        List<Txn> txns = List.of(txn(0x3_0000_0000L, e -> e.rows(t, true, rows(
                row('I', TupleData.ofText("1", "fits")), row('I', TupleData.ofText("2", "eleven char"))))));
        SinkFixture.replay(s, alloc, List.of(initial(t)), txns, 0);
        await("durable", () -> dur.durable.get() == txns.get(0).endLsn());
        assertThat(q("SELECT ID, V FROM BIG_HISTORY ORDER BY ID").rows())
                .containsExactly(List.of("1", "fits"), java.util.Arrays.asList("2", null));
        assertThat(events).anyMatch(e -> e.startsWith("WARN") && e.contains("public.big.v")
                && e.contains("more than 10 characters") && e.contains("written as null"));
        s.close();
    }

    @Test
    void commitsHeldBackLongerThanTheStallTimeGiveAWarningAndThenAResumedEvent() throws Exception {
        TableSchema a = schema("stall_a", 1, col(true, "id", 23, -1));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = sink(d, "pstall", dur).warnWhenCommitsStallFor(Duration.ofSeconds(3));
        List<Txn> first = List.of(txn(0x5_0000_0000L, e -> e.rows(a, true, rows(row('I', TupleData.ofText("1"))))));
        SinkFixture.replay(s, alloc, List.of(initial(a)), first, 0);
        await("first durable", () -> dur.durable.get() == first.get(0).endLsn());
        assertThat(events).as("a normal commit is no stall").noneMatch(e -> e.contains("has committed no new rows"));

        // Snowflake holds the next blob registration back for 8 s (as a struggling service would, or the SDK's own
        // retries of 5xx answers): the sink cannot see why, only that nothing gets committed.
        SF.faults().delay(Endpoint.REGISTER_BLOBS, 1, Duration.ofSeconds(8));
        List<Txn> second = List.of(txn(0x5_0000_1000L, e -> e.rows(a, true, rows(row('I', TupleData.ofText("2"))))));
        SinkFixture.replay(s, alloc, List.of(), second, 0);
        await("stall warning", () -> events.stream().anyMatch(e -> e.startsWith("WARN")
                && e.contains("Snowflake has committed no new rows of public.stall_a for")));
        assertThat(dur.durable.get()).isEqualTo(first.get(0).endLsn());
        await("second durable", () -> dur.durable.get() == second.get(0).endLsn());
        await("resumed", () -> events.stream().anyMatch(e -> e.startsWith("INFO")
                && e.contains("Snowflake commits of public.stall_a resumed after")));
        assertThat(events.stream().filter(e -> e.contains("has committed no new rows")).count()).as("one warning per stall")
                .isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM STALL_A_HISTORY")).isEqualTo(2);
        s.close();
    }

    @Test
    void postgresHearsOfATransactionOnlyAfterEveryChannelCommittedIt() throws Exception {
        TableSchema a = schema("dur_a", 1, col(true, "id", 23, -1));
        TableSchema b = schema("dur_b", 1, col(true, "id", 23, -1));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = sink(d, "pd", dur);
        List<Txn> first = List.of(txn(0x4_0000_0000L, e -> {
            e.rows(a, true, rows(row('I', TupleData.ofText("1"))));
            e.rows(b, true, rows(row('I', TupleData.ofText("1"))));
        }));
        SinkFixture.replay(s, alloc, List.of(initial(a), initial(b)), first, 0);
        await("first durable", () -> dur.durable.get() == first.get(0).endLsn());

        // the next blob registrations are held for 3 s: nothing may be reported durable meanwhile
        SF.faults().delay(Endpoint.REGISTER_BLOBS, 5, Duration.ofSeconds(3));
        List<Txn> second = List.of(txn(0x4_0000_1000L, e -> e.rows(b, true, rows(row('I', TupleData.ofText("2"))))));
        SinkFixture.replay(s, alloc, List.of(), second, 0);
        Thread.sleep(1500);
        assertThat(dur.durable.get()).isEqualTo(first.get(0).endLsn());
        assertThat(count("SELECT COUNT(*) FROM DUR_B_HISTORY")).isEqualTo(1);
        await("second durable", () -> dur.durable.get() == second.get(0).endLsn());
        assertThat(count("SELECT COUNT(*) FROM DUR_B_HISTORY")).isEqualTo(2);
        assertThat(new ArrayList<>(dur.reports)).isSorted().doesNotHaveDuplicates();
        s.close();
    }

    @Test
    void theMirrorIsMergedOnItsIntervalAndNotWhenNothingChanged() throws Exception {
        TableSchema t = schema("interval_t", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = d.openSink("pm", io.etlstream.sink.SinkOptions.DEFAULT.withMergeInterval(Duration.ofSeconds(1)),
                recorder);
        s.open(dur);
        List<Txn> txns = List.of(txn(0x5_0000_0000L, e -> e.rows(t, true, rows(row('I', TupleData.ofText("1", "a")),
                row('I', TupleData.ofText("2", "b"))))));
        SinkFixture.replay(s, alloc, List.of(initial(t)), txns, 0);
        await("mirror merged", () -> count("SELECT COUNT(*) FROM INTERVAL_T") == 2);
        Thread.sleep(1500); // let a merge that was already running finish
        long statements = SF.faults().requests(Endpoint.SQL_STATEMENTS);
        Thread.sleep(3500);
        assertThat(SF.faults().requests(Endpoint.SQL_STATEMENTS)).as("no MERGE while idle").isEqualTo(statements);
        List<Txn> more = List.of(txn(0x5_0000_1000L, e -> e.rows(t, true, rows(row('D', TupleData.ofText("1", null))))));
        SinkFixture.replay(s, alloc, List.of(), more, 0);
        await("delete merged", () -> count("SELECT COUNT(*) FROM INTERVAL_T") == 1);
        s.close();
    }

    /**
     * An idle pipeline spends no warehouse time, also right after a start: with the merge watermark persisted, a
     * restart with nothing new runs no SQL statement after opening its tables (before, every table ran the TRUNCATE
     * apply and a MERGE once per start). A TRUNCATE committed to history by a run that died before its merge is still
     * applied by the next run, which sees the channel's committed token ahead of the watermark.
     */
    @Test
    void anIdleRestartRunsNoStatementButATruncateCommittedBeforeACrashIsStillApplied(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        TableSchema t = schema("idle_restart", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        MergeWatermarks marks = MergeWatermarks.inFile(dir.resolve("pi.merged")); // outlives each "process"
        io.etlstream.sink.SinkOptions fast = io.etlstream.sink.SinkOptions.DEFAULT
                .withMergeInterval(Duration.ofMillis(300));
        List<Txn> rowsTxn = List.of(txn(0x6_0000_0000L, e -> e.rows(t, true, rows(row('I', TupleData.ofText("1", "a")),
                row('I', TupleData.ofText("2", "b"))))));

        // run 1: rows, merged on the interval, then a clean stop
        RecordingDurability dur1 = new RecordingDurability();
        SnowflakeSink s1 = destination().openSink("pi", fast, recorder, marks);
        s1.open(dur1);
        SinkFixture.replay(s1, alloc, List.of(initial(t)), rowsTxn, 0);
        await("mirror merged", () -> count("SELECT COUNT(*) FROM IDLE_RESTART") == 2);
        await("merge watermark at the commit", () -> OffsetToken.complete(0x6_0000_0000L).equals(marks.load(t.table())));
        s1.close();

        // run 2, a new process, nothing new at the source: opening the table runs its DDL, then no statement at all
        RecordingDurability dur2 = new RecordingDurability();
        SnowflakeSink s2 = destination().openSink("pi", fast, recorder, marks);
        s2.open(dur2);
        SinkFixture.replay(s2, alloc, List.of(initial(t)), rowsTxn, rowsTxn.get(0).endLsn());
        long opened = SF.faults().requests(Endpoint.SQL_STATEMENTS);
        Thread.sleep(3000); // ten merge intervals
        long idle = SF.faults().requests(Endpoint.SQL_STATEMENTS) - opened;
        System.out.printf("[idle-restart] SQL API statements in 3 s idle after a restart: %d%n", idle);
        assertThat(idle).as("SQL API statements while idle after a restart").isZero();

        // run 2 gets a TRUNCATE; the process dies after the marker committed, before any merge applied it
        s2.close();
        RecordingDurability dur3 = new RecordingDurability();
        SnowflakeSink s3 = destination().openSink("pi", io.etlstream.sink.SinkOptions.DEFAULT
                .withMergeInterval(Duration.ofHours(1)), recorder, marks);
        s3.open(dur3);
        List<Txn> truncate = List.of(txn(0x6_0000_1000L, e -> e.truncate(t)));
        SinkFixture.replay(s3, alloc, List.of(initial(t)), truncate, 0);
        await("marker durable", () -> dur3.durable.get() == truncate.get(0).endLsn());
        s3.abandon();
        assertThat(count("SELECT COUNT(*) FROM IDLE_RESTART")).as("not applied before the crash").isEqualTo(2);

        // run 4: PostgreSQL was told the TRUNCATE is durable, so it is not replayed; the mirror is emptied anyway
        RecordingDurability dur4 = new RecordingDurability();
        SnowflakeSink s4 = destination().openSink("pi", fast, recorder, marks);
        s4.open(dur4);
        SinkFixture.replay(s4, alloc, List.of(initial(t)), truncate, truncate.get(0).endLsn());
        await("truncate applied after the restart", () -> count("SELECT COUNT(*) FROM IDLE_RESTART") == 0);
        await("merge watermark at the marker", () -> OffsetToken.complete(0x6_0000_1000L)
                .equals(marks.load(t.table())));
        Thread.sleep(500); // the catch-up merge's MERGE statement returns
        long caughtUp = SF.faults().requests(Endpoint.SQL_STATEMENTS);
        Thread.sleep(2000);
        assertThat(SF.faults().requests(Endpoint.SQL_STATEMENTS)).as("idle again after the catch-up")
                .isEqualTo(caughtUp);
        s4.close();
    }

    @Test
    void historyModeLandsEveryChangeIncludingTruncateAndNeverCreatesOrMergesAMirror() throws Exception {
        TableSchema orders = schema("h_orders", 1, ORDERS.columns().toArray(RelationColumn[]::new));
        TableSchema items = schema("h_items", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        TreeMap<Long, String> model = new TreeMap<>();
        List<Txn> all = new ArrayList<>(script(orders, items, 0, 10, model));
        long tLsn = 0x2_0000_0000L;
        all.add(new Txn(tLsn, tLsn + 40, List.of(e -> e.truncate(orders))));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = d.openSink("ph", io.etlstream.sink.SinkOptions.DEFAULT
                .withMode(io.etlstream.catalog.PipelineMode.HISTORY)
                .withMergeInterval(Duration.ofMillis(100)), recorder);
        s.open(dur);
        SinkFixture.replay(s, alloc, List.of(initial(orders), initial(items)), all, 0);
        long last = all.get(all.size() - 1).endLsn();
        await("durable " + last, () -> dur.durable.get() == last);
        s.mergeNow(true);
        Thread.sleep(300); // several merge intervals: a scheduled merge would have created nothing, but must not fail

        long changes = 10 * 5 + 9 * 2;
        assertThat(count("SELECT COUNT(*) FROM H_ORDERS_HISTORY")).isEqualTo(changes + 1);
        assertThat(count("SELECT COUNT(*) FROM H_ORDERS_HISTORY WHERE _ETL_OP = 'T'")).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM H_ITEMS_HISTORY")).isEqualTo(5);
        for (String mirror : List.of("H_ORDERS", "H_ITEMS")) {
            assertThatThrownBy(() -> q("SELECT COUNT(*) FROM " + mirror))
                    .isInstanceOf(io.etlstream.emulator.SqlException.class)
                    .hasMessageContaining("does not exist or not authorized");
        }
        assertThat(events).noneMatch(e -> e.contains("Merging"));
        s.close();
    }

    @Test
    void mirrorModeCreatesAndMergesTheMirror() throws Exception {
        TableSchema items = schema("m_items", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        List<Txn> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long lsn = 0x3_0000_0000L + i * 1000L;
            List<Object[]> rows = List.<Object[]>of(row('I', TupleData.ofText(Integer.toString(i), "v" + i)));
            all.add(new Txn(lsn, lsn + 40, List.of(e -> e.rows(items, true, rows))));
        }
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = d.openSink("pm", io.etlstream.sink.SinkOptions.DEFAULT
                .withMode(io.etlstream.catalog.PipelineMode.MIRROR)
                .withMergeInterval(Duration.ofHours(1)), recorder);
        s.open(dur);
        SinkFixture.replay(s, alloc, List.of(initial(items)), all, 0);
        long last = all.get(all.size() - 1).endLsn();
        await("durable " + last, () -> dur.durable.get() == last);
        s.mergeNow(true);
        assertThat(count("SELECT COUNT(*) FROM M_ITEMS_HISTORY")).isEqualTo(3);
        assertThat(count("SELECT COUNT(*) FROM M_ITEMS")).isEqualTo(3);
        s.close();
    }

    /**
     * Snowflake names starting with _ETL_ belong to the sink's own columns: a source column that would take one stops
     * its table with the rename to make (before: CREATE failed on a duplicate column, or a column the sink's DESCRIBE
     * skipped was "added" again and ALTER TABLE failed on every start); the other tables keep running.
     */
    @Test
    void aSourceColumnThatWouldTakeAReservedEtlNameStopsOnlyItsTable() throws Exception {
        TableSchema clash = schema("res_clash", 1, col(true, "id", 23, -1), col(false, "_etl_note", 25, -1));
        TableSchema meta = schema("res_meta", 1, col(true, "id", 23, -1), col(false, "_etl_op", 25, -1));
        TableSchema fine = schema("res_fine", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = sink(d, "pr", dur);
        List<Txn> t1 = List.of(txn(0x7_1000_0000L, e -> {
            e.rows(clash, true, rows(row('I', TupleData.ofText("1", "n"))));
            e.rows(meta, true, rows(row('I', TupleData.ofText("1", "o"))));
            e.rows(fine, true, rows(row('I', TupleData.ofText("1", "f"))));
        }));
        SinkFixture.replay(s, alloc, List.of(initial(clash), initial(meta), initial(fine)), t1, 0);
        await("durable t1", () -> dur.durable.get() == t1.get(0).endLsn());
        assertThat(s.stoppedTables()).containsExactlyInAnyOrder(clash.table(), meta.table());
        assertThat(s.stopReason(clash.table())).contains("_etl_note").contains("_ETL_")
                .contains("RENAME COLUMN \"_etl_note\"");
        assertThat(s.stopReason(meta.table())).contains("_etl_op");
        assertThat(count("SELECT COUNT(*) FROM RES_FINE_HISTORY")).isEqualTo(1);
        s.close();
    }

    /**
     * Dropping or renaming a key column leaves the mirror no key to merge on: the table stops for a resync, once the
     * history written before the rename is merged on the old key.
     */
    @Test
    void aRenamedKeyColumnStopsTheTableInsteadOfDuplicatingMirrorRows() throws Exception {
        TableSchema v1 = schema("rk", 1, col(true, "id", 23, -1), col(false, "v", 25, -1));
        TableSchema v2 = schema("rk", 2, col(true, "order_id", 23, -1), col(false, "v", 25, -1));
        SnowflakeDestination d = destination();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s = d.openSink("prk", io.etlstream.sink.SinkOptions.DEFAULT
                .withMode(io.etlstream.catalog.PipelineMode.MIRROR).withMergeInterval(Duration.ofHours(1)), recorder);
        s.open(dur);
        List<Txn> t1 = List.of(txn(0x7_2000_0000L, e -> e.rows(v1, true, rows(row('I', TupleData.ofText("1", "a"))))));
        SinkFixture.replay(s, alloc, List.of(initial(v1)), t1, 0);
        await("durable t1", () -> dur.durable.get() == t1.get(0).endLsn());
        assertThat(count("SELECT COUNT(*) FROM RK")).as("not merged yet (hourly)").isZero();
        s.accept(change(v1, v2));
        assertThat(s.stoppedTables()).containsExactly(v2.table());
        assertThat(s.stopReason(v2.table())).contains("key").contains("id").contains("order_id")
                .contains("on the old key (id): it holds the table as it was just before.");
        assertThat(q("SELECT ID, V FROM RK ORDER BY ID").rows()).as("merged on id before the stop")
                .containsExactly(List.of("1", "a"));
        s.close();
    }

    /**
     * Between two runs the source's first schema is all the sink sees, so a key member dropped meanwhile is caught only
     * against the key the previous run recorded: then the table stops as it does when the change arrives live; with no
     * change it does not; with no key recorded (a pipeline from an earlier build) the source's key is taken and recorded.
     */
    @Test
    void aKeyChangedBetweenRunsStopsTheTableAgainstTheRecordedKey() throws Exception {
        TableSchema v1 = schema("kbr", 1, col(true, "a", 23, -1), col(true, "b", 23, -1), col(false, "v", 25, -1));
        TableSchema v2 = schema("kbr", 1, col(true, "a", 23, -1), col(false, "v", 25, -1));
        io.etlstream.sink.SinkOptions hourly = io.etlstream.sink.SinkOptions.DEFAULT
                .withMergeInterval(Duration.ofHours(1));
        SnowflakeDestination d = destination();
        TableKeys keys = TableKeys.inMemory();
        RecordingDurability dur = new RecordingDurability();
        SnowflakeSink s1 = d.openSink("pkbr", hourly, recorder, MergeWatermarks.inMemory(), keys);
        s1.open(dur);
        List<Txn> t1 = List.of(txn(0x7_3000_0000L, e -> e.rows(v1, true, rows(row('I', TupleData.ofText("1", "1", "x")),
                row('I', TupleData.ofText("1", "2", "y"))))));
        SinkFixture.replay(s1, alloc, List.of(initial(v1)), t1, 0);
        await("durable t1", () -> dur.durable.get() == t1.get(0).endLsn());
        assertThat(keys.load(v1.table())).containsExactly("a", "b");
        s1.close();

        SnowflakeSink s2 = d.openSink("pkbr", hourly, recorder, MergeWatermarks.inMemory(), keys);
        s2.open(new RecordingDurability());
        s2.accept(initial(v1));
        assertThat(s2.stoppedTables()).as("nothing changed").isEmpty();
        s2.close();
        assertThat(count("SELECT COUNT(*) FROM KBR")).as("not merged yet (hourly)").isZero();

        SnowflakeSink s3 = d.openSink("pkbr", hourly, recorder, MergeWatermarks.inMemory(), keys);
        s3.open(new RecordingDurability());
        s3.accept(initial(v2));
        assertThat(s3.stoppedTables()).containsExactly(v2.table());
        assertThat(s3.stopReason(v2.table())).contains("key column b was dropped or renamed")
                .contains("on the old key (a, b): it holds the table as it was just before.");
        assertThat(q("SELECT A, B, V FROM KBR ORDER BY A, B").rows()).as("the first run's rows, merged on (a, b)")
                .containsExactly(List.of("1", "1", "x"), List.of("1", "2", "y"));
        assertThat(keys.load(v1.table())).as("still the key Snowflake's rows were merged on").containsExactly("a", "b");
        s3.close();

        TableKeys unknown = TableKeys.inMemory();
        SnowflakeSink s4 = d.openSink("pkbr", hourly, recorder, MergeWatermarks.inMemory(), unknown);
        s4.open(new RecordingDurability());
        s4.accept(initial(v2));
        assertThat(s4.stoppedTables()).as("no key recorded: no comparison").isEmpty();
        assertThat(unknown.load(v2.table())).containsExactly("a");
        s4.close();
    }
}
