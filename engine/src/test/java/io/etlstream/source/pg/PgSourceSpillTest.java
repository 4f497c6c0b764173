package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.SpillDirectory;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Transactions larger than the source's batch memory (16 MiB here): streamed ones (proto 2) spill to disk and are
 * replayed at commit, exactly and in order, with memory under the limit; rolled-back savepoints and streamed aborts
 * drop exactly their rows even from disk; a stop mid-replay loses and duplicates nothing after a restart and leaves no
 * spill file; the walsender is never killed meanwhile. On PostgreSQL 13 (proto 1, whole transactions at commit) the
 * same limit holds without spilling.
 */
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class PgSourceSpillTest {

    static final long LIMIT = 16L * 1024 * 1024;
    /** 2024-01-01T00:00:00Z in epoch microseconds: row {@code g} carries that plus g seconds. */
    static final long TS0 = 1_704_067_200L * 1_000_000L;

    @TempDir
    Path spillRoot;

    /** One delivered row: its transaction's commit LSN, its position in it, its key and op. */
    record Row(long lsn, int seq, int id, char op) {
    }

    /**
     * Keeps every row (checking each value against the generator: {@code v = 'r' || id}, {@code n = id / 100.0},
     * {@code ts = TS0 + id s} for inserts) and the commits; reports a commit durable once all its rows arrived with
     * its commit LSN. Optionally pauses once, on batch number {@code pauseAt}, for {@code pause}.
     */
    static final class CollectingSink implements ChangeSink {
        final List<Row> rows = new CopyOnWriteArrayList<>();
        final List<TransactionCommitted> commits = new CopyOnWriteArrayList<>();
        final AtomicInteger batches = new AtomicInteger();
        final AtomicInteger badValues = new AtomicInteger();
        final AtomicInteger wrongCommitLsn = new AtomicInteger();
        volatile int pauseAt = -1;
        volatile long pauseMillis;
        volatile long slowMillisAfterPause;
        volatile boolean paused;
        /** While set, the next batch waits for it (the sink is stuck). */
        volatile java.util.concurrent.CountDownLatch hold;
        volatile boolean held;
        private int rowsOfOpenTxn;
        private Durability durability;

        @Override
        public void open(Durability d) {
            durability = d;
        }

        @Override
        public void accept(ChangeEvent e) throws InterruptedException {
            if (e instanceof ChangeBatch b) {
                java.util.concurrent.CountDownLatch h = hold;
                if (h != null) {
                    held = true;
                    h.await();
                }
                try (b) {
                    record(b);
                }
                int n = batches.incrementAndGet();
                if (n == pauseAt) {
                    paused = true;
                    Thread.sleep(pauseMillis);
                } else if (n > pauseAt && pauseAt > 0) {
                    Thread.sleep(slowMillisAfterPause);
                }
            } else if (e instanceof TransactionCommitted c) {
                for (int i = rows.size() - rowsOfOpenTxn; i < rows.size(); i++) {
                    if (rows.get(i).lsn() != c.commitLsn()) {
                        wrongCommitLsn.incrementAndGet();
                    }
                }
                rowsOfOpenTxn = 0;
                commits.add(c);
                durability.durable(c.endLsn());
            }
        }

        private void record(ChangeBatch b) {
            IntVector id = (IntVector) b.root().getVector("id");
            VarCharVector v = (VarCharVector) b.root().getVector("v");
            DecimalVector n = (DecimalVector) b.root().getVector("n");
            TimeStampMicroTZVector ts = (TimeStampMicroTZVector) b.root().getVector("ts");
            VarCharVector op = (VarCharVector) b.root().getVector(ChangeBatch.OP);
            BigIntVector lsn = (BigIntVector) b.root().getVector(ChangeBatch.COMMIT_LSN);
            IntVector seq = (IntVector) b.root().getVector(ChangeBatch.SEQ);
            List<Row> out = new ArrayList<>(b.rowCount());
            for (int i = 0; i < b.rowCount(); i++) {
                int key = id.get(i);
                char o = (char) op.get(i)[0];
                if (o == 'I') {
                    boolean ok = !v.isNull(i) && new String(v.get(i), StandardCharsets.UTF_8).equals("r" + key)
                            && n.getObject(i).compareTo(BigDecimal.valueOf(key, 2)) == 0
                            && ts.get(i) == TS0 + key * 1_000_000L;
                    if (!ok) {
                        badValues.incrementAndGet();
                    }
                }
                out.add(new Row(lsn.get(i), seq.get(i), key, o));
            }
            rows.addAll(out);
            rowsOfOpenTxn += out.size();
        }

        @Override
        public void snapshotCompleted(TableId t) {
            durability.snapshotDurable(t);
        }

        @Override
        public void close() {
        }
    }

    private static String insert(String table, int from, int to) {
        return "INSERT INTO " + table + " SELECT g, 'r' || g, g / 100.0, timestamptz '2024-01-01 00:00:00+00'"
                + " + g * interval '1 second' FROM generate_series(" + from + ", " + to + ") g";
    }

    private static void createTable(PgDatabase db, String table) {
        // A tiny decoding memory makes the server stream large transactions while they are in progress.
        db.execute("ALTER DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE " + table + " (id int PRIMARY KEY, v text, n numeric(12,2), ts timestamptz)");
    }

    private PgSource.Options options() {
        return fastOptions().withMemoryLimit(LIMIT).withSpillDirectory(spillRoot);
    }

    private static List<Path> spillFiles(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static long streamedTxns(PgDatabase db, String slot) {
        return Long.parseLong(db.queryOne("SELECT coalesce(sum(stream_txns), 0) FROM pg_stat_replication_slots"
                + " WHERE slot_name = '" + slot + "'"));
    }

    /**
     * (a) + (d): one 1M-row streamed transaction (issue 3's acceptance size) under a 16 MiB limit, on every configured
     * version, with wal_sender_timeout at 10 s and the sink stalling 12 s in the middle of the replay: every row once,
     * in order, with its transaction's commit LSN; memory under the limit; the same walsender throughout; no spill
     * file left. {@code -Detl.test.spill.rows=N} changes the size.
     */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void aStreamedTransactionLargerThanMemorySpillsAndArrivesWholeWhileTheWalsenderStaysAlive(PgDatabase db)
            throws Exception {
        streamBig(db, Integer.getInteger("etl.test.spill.rows", 1_000_000), "spill_a");
    }

    private void streamBig(PgDatabase db, int rows, String pipeline) throws Exception {
        String table = "big_" + pipeline;
        String slot = "etl_stream_" + pipeline;
        createTable(db, table);
        TableId t = new TableId("public", table);
        db.cluster().setConfig("wal_sender_timeout", "10s");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            CollectingSink sink = new CollectingSink();
            sink.pauseAt = 20; // of ~125 batches for 1M rows: mid-replay
            sink.pauseMillis = 12_000; // beyond wal_sender_timeout: only status updates keep the walsender alive
            long t0;
            long lowerBound;
            long upperBound;
            try (PgSource source = SourceFixture.start(conn, pipeline, List.of(t), sink, SnapshotLedger.inMemory(),
                    options())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                String pid = db.queryOne("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
                t0 = System.nanoTime();
                try (Connection c = db.connect(); Statement st = c.createStatement()) {
                    c.setAutoCommit(false);
                    st.execute(insert(table, 1, rows));
                    lowerBound = lsn(st, "SELECT pg_current_wal_insert_lsn()");
                    c.commit();
                    upperBound = lsn(st, "SELECT pg_current_wal_lsn()");
                }
                awaitCaughtUp(db, source, Duration.ofSeconds(180));
                System.out.printf("[spill] %d-row streamed transaction, limit %d MiB: peak batch memory %.1f MiB, spilled"
                        + " %s, %d ms from insert to caught up (incl. a 12 s sink stall)%n", rows, LIMIT >> 20,
                        source.peakMemoryBytes() / 1048576.0, source.spillStats(), (System.nanoTime() - t0) / 1_000_000);
                assertThat(sink.paused).as("the sink stalled mid-replay").isTrue();
                assertThat(source.peakMemoryBytes()).isPositive().isLessThanOrEqualTo(LIMIT);
                SpillDirectory.Stats stats = source.spillStats();
                assertThat(stats.transactions()).as("the transaction spilled").isEqualTo(1);
                assertThat(stats.bytes()).as("most of it went to disk").isGreaterThan(LIMIT);
                assertThat(stats.openFiles()).isZero();
                assertThat(spillFiles(source.spillDirectory())).as("spill file deleted at commit").isEmpty();
                assertThat(PosixPerms.of(source.spillDirectory())).isEqualTo("rwx------");
                assertThat(streamedTxns(db, slot)).as("the server streamed it").isPositive();
                assertThat(source.status().reconnects()).as(source.status().toString()).isZero();
                assertThat(db.queryOne("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
                        .as("the same walsender served the whole time").isEqualTo(pid);
            } finally {
                db.cluster().setConfig("wal_sender_timeout", "60s");
                PgSource.removePipeline(conn, pipeline);
            }
            // (the caught-up marker commits later, in a transaction of its own)
            List<TransactionCommitted> commits = sink.commits.stream()
                    .filter(c -> c.commitLsn() >= lowerBound && c.endLsn() <= upperBound).toList();
            assertThat(commits).as(sink.commits + " within " + Lsn.format(lowerBound) + ".." + Lsn.format(upperBound))
                    .hasSize(1);
            long commitLsn = commits.get(0).commitLsn();
            assertThat(commitLsn).isGreaterThanOrEqualTo(lowerBound).isLessThan(upperBound);
            List<Row> got = sink.rows;
            assertThat(got).hasSize(rows);
            for (int i = 0; i < rows; i++) {
                Row r = got.get(i);
                if (r.id() != i + 1 || r.seq() != i || r.lsn() != commitLsn || r.op() != 'I') {
                    throw new AssertionError("row " + i + " is " + r + ", expected id " + (i + 1) + " seq " + i
                            + " at " + Lsn.format(commitLsn));
                }
            }
            assertThat(sink.badValues.get()).isZero();
            assertThat(sink.wrongCommitLsn.get()).isZero();
        }
        assertThat(spillFiles(spillRoot)).as("the source's spill folder is removed at close").isEmpty();
    }

    /** (b): a rolled-back savepoint and a streamed abort, both after their rows were spilled. */
    @Test
    void rolledBackSavepointsAndStreamedAbortsDropExactlyTheirRowsFromDisk(PgDatabase db) throws Exception {
        createTable(db, "big_b");
        TableId t = new TableId("public", "big_b");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            CollectingSink sink = new CollectingSink();
            try (PgSource source = SourceFixture.start(conn, "spill_b", List.of(t), sink, SnapshotLedger.inMemory(),
                    options())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("BEGIN; " + insert("big_b", 1, 100_000) + "; SAVEPOINT s1; " + insert("big_b", 100_001, 200_000)
                        + "; ROLLBACK TO SAVEPOINT s1; " + insert("big_b", 200_001, 250_000) + "; SAVEPOINT s2;"
                        + " UPDATE big_b SET v = 'u' WHERE id <= 1000; RELEASE SAVEPOINT s2; SAVEPOINT s3; "
                        + insert("big_b", 260_001, 270_000) + "; ROLLBACK TO SAVEPOINT s3; COMMIT");
                db.execute("BEGIN; " + insert("big_b", 300_001, 450_000) + "; ROLLBACK");
                db.execute(insert("big_b", 999_999, 999_999));
                awaitCaughtUp(db, source, Duration.ofSeconds(120));
                SpillDirectory.Stats stats = source.spillStats();
                System.out.printf("[spill] savepoint + abort: peak batch memory %.1f MiB, spilled %s%n",
                        source.peakMemoryBytes() / 1048576.0, stats);
                assertThat(stats.transactions()).as("the committed and the aborted transaction spilled")
                        .isGreaterThanOrEqualTo(2);
                assertThat(stats.openFiles()).isZero();
                assertThat(spillFiles(source.spillDirectory())).isEmpty();
                assertThat(source.peakMemoryBytes()).isLessThanOrEqualTo(LIMIT);
                assertThat(streamedTxns(db, "etl_stream_spill_b")).isPositive();
            } finally {
                PgSource.removePipeline(conn, "spill_b");
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 1; i <= 100_000; i++) {
                expected.add(i);
            }
            for (int i = 200_001; i <= 250_000; i++) {
                expected.add(i);
            }
            for (int i = 1; i <= 1000; i++) {
                expected.add(i); // the updates
            }
            expected.add(999_999);
            List<Row> got = sink.rows;
            assertThat(got.stream().map(Row::id).toList()).isEqualTo(expected);
            assertThat(got.subList(150_000, 151_000)).allMatch(r -> r.op() == 'U');
            assertThat(sink.badValues.get()).isZero();
            assertThat(sink.wrongCommitLsn.get()).isZero();
            // seq runs without gaps only where nothing was rolled back; it always grows within the transaction
            for (int i = 1; i < 151_000; i++) {
                if (got.get(i).seq() <= got.get(i - 1).seq() || got.get(i).lsn() != got.get(0).lsn()) {
                    throw new AssertionError("row " + i + " " + got.get(i) + " after " + got.get(i - 1));
                }
            }
        }
    }

    /**
     * (c): the source is stopped while it replays a spilled transaction to the sink, then started again (with a spill
     * file a killed process would have left planted in its folder): after deduplication by (commit LSN, seq) every
     * row arrived exactly once, and no spill file remains.
     */
    @Test
    void aStopMidReplayThenARestartLosesAndDuplicatesNothingAndLeavesNoSpillFile(PgDatabase db) throws Exception {
        int rows = 120_000;
        createTable(db, "big_c");
        TableId t = new TableId("public", "big_c");
        // A short queue, so the reader is still reading the spill file back while the sink works on batch 4.
        PgSource.Options opts = options().withStopTimeout(Duration.ofSeconds(2)).withQueueCapacity(4);
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            CollectingSink first = new CollectingSink();
            first.pauseAt = 3; // of ~15 batches
            first.pauseMillis = 200;
            first.slowMillisAfterPause = 200;
            SnapshotLedger ledger = SnapshotLedger.inMemory(); // the (empty) table is copied once
            Path dir;
            try {
                try (PgSource source = SourceFixture.start(conn, "spill_c", List.of(t), first, ledger, opts)) {
                    SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                            source::toString);
                    dir = source.spillDirectory();
                    db.execute(insert("big_c", 1, rows));
                    SourceFixture.await(() -> first.batches.get() >= 4, Duration.ofSeconds(120), source::toString);
                    assertThat(source.spillStats().transactions()).isEqualTo(1);
                    assertThat(spillFiles(dir)).as("replaying from the spill file").hasSize(1);
                }
                assertThat(first.rows.size()).isBetween(1, rows - 1);
                long bigLsn = first.rows.get(0).lsn();
                assertThat(first.commits).as("the stop came before the transaction's commit reached the sink")
                        .noneMatch(c -> c.commitLsn() == bigLsn);
                assertThat(spillFiles(dir)).as("the stop deleted the spill file").isEmpty();

                // What SIGKILL would leave behind: the next start removes it.
                Files.createDirectories(dir);
                Path orphan = dir.resolve("txn-4242-1.arrows");
                Files.writeString(orphan, "rows of a transaction that was being spilled");
                CollectingSink second = new CollectingSink();
                try (PgSource source = SourceFixture.start(conn, "spill_c", List.of(t), second, ledger, opts)) {
                    SourceFixture.await(() -> !Files.exists(orphan), Duration.ofSeconds(10), () -> "orphan kept");
                    db.execute(insert("big_c", 999_999, 999_999));
                    awaitCaughtUp(db, source, Duration.ofSeconds(120));
                    assertThat(spillFiles(dir)).isEmpty();
                    assertThat(source.spillStats().openFiles()).isZero();
                    assertThat(source.peakMemoryBytes()).isLessThanOrEqualTo(LIMIT);
                }
                Map<String, Row> dedup = new LinkedHashMap<>();
                for (Row r : first.rows) {
                    dedup.putIfAbsent(r.lsn() + ":" + r.seq(), r);
                }
                for (Row r : second.rows) {
                    dedup.putIfAbsent(r.lsn() + ":" + r.seq(), r);
                }
                List<Integer> ids = dedup.values().stream().map(Row::id).sorted().toList();
                List<Integer> expected = new ArrayList<>();
                for (int i = 1; i <= rows; i++) {
                    expected.add(i);
                }
                expected.add(999_999);
                if (!ids.equals(expected)) {
                    java.util.Set<Integer> missing = new java.util.TreeSet<>(expected);
                    ids.forEach(missing::remove);
                    throw new AssertionError("after dedupe " + ids.size() + " rows, expected " + expected.size()
                            + "; missing " + missing.size() + " (first " + missing.stream().limit(5).toList()
                            + "); first run " + first.rows.size() + " rows " + first.commits + ", second run "
                            + second.rows.size() + " rows " + second.commits + "; second run's first rows "
                            + second.rows.subList(0, Math.min(3, second.rows.size())) + ", first run's "
                            + first.rows.subList(0, Math.min(3, first.rows.size())) + "; second by lsn "
                            + summary(second.rows) + "; first by lsn " + summary(first.rows));
                }
                assertThat(first.badValues.get() + second.badValues.get()).isZero();
                assertThat(second.wrongCommitLsn.get()).isZero();
            } finally {
                PgSource.removePipeline(conn, "spill_c");
            }
        }
    }

    /**
     * (e): a source that is still closing and its successor on the same slot (a restart whose stop overran) share the
     * spill dir: each spills into a folder of its own, the successor's start and the closing one's clean-up leave the
     * other's files alone, and each removes its own folder. The overlap is made certain by a sink that holds the
     * closing source's delivery thread until the successor has spilled.
     */
    @Test
    void aClosingSourceAndItsSuccessorNeverDeleteEachOthersSpillFiles(PgDatabase db) throws Exception {
        int rows = 30_000;
        createTable(db, "big_e");
        TableId t = new TableId("public", "big_e");
        // Spill at 256 kB so 30,000 rows spill; a short drain so the closing source lets the slot go while its sink
        // is still held; a quick retry so the successor takes the slot soon after.
        PgSource.Options opts = options().withSpillThreshold(256 * 1024).withStopTimeout(Duration.ofSeconds(1))
                .withBackoff(Duration.ofMillis(50), Duration.ofMillis(400));
        SnapshotLedger ledger = SnapshotLedger.inMemory(); // shared, as a pipeline's catalog ledger is
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            CollectingSink first = new CollectingSink();
            CollectingSink second = new CollectingSink();
            PgSource closing = SourceFixture.start(conn, "spill_e", List.of(t), first, ledger, opts);
            PgSource successor = null;
            Thread closer = null;
            try (Connection t1 = db.connect(); Statement st1 = t1.createStatement(); Connection t2 = db.connect();
                    Statement st2 = t2.createStatement()) {
                SourceFixture.await(() -> closing.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        closing::toString);
                t1.setAutoCommit(false);
                st1.execute(insert("big_e", 1, rows));
                SourceFixture.await(() -> closing.spillStats().openFiles() == 1, Duration.ofSeconds(60),
                        () -> "first source spilling T1: " + closing.spillStats());
                List<Path> firstFiles = spillFiles(closing.spillDirectory());
                assertThat(firstFiles).as("T1's spill file").hasSize(1);

                // The successor starts (and waits for the slot) while the first source runs with a spilled file.
                successor = SourceFixture.start(conn, "spill_e", List.of(t), second, ledger, opts);
                PgSource next = successor;
                assertThat(firstFiles).as("the successor's start left the running source's spill file").allMatch(
                        Files::exists);
                assertThat(successor.spillDirectory()).isNotEqualTo(closing.spillDirectory());
                assertThat(successor.spillDirectory().getParent()).isEqualTo(closing.spillDirectory().getParent());

                t2.setAutoCommit(false);
                st2.execute(insert("big_e", rows + 1, 2 * rows)); // T2 stays open through the hand-over
                SourceFixture.await(() -> closing.spillStats().openFiles() == 2, Duration.ofSeconds(60),
                        () -> "first source spilling T2: " + closing.spillStats());
                first.hold = new java.util.concurrent.CountDownLatch(1);
                t1.commit();
                SourceFixture.await(() -> first.held, Duration.ofSeconds(60), closing::toString);

                // The first source closes: its reader lets the slot go after the drain budget; its delivery thread
                // stays in the held sink, so its clean-up runs only when the hold ends.
                closer = new Thread(closing::close, "closing-source");
                closer.start();
                SourceFixture.await(() -> next.status().state() == SourceState.STREAMING
                        && next.spillStats().openFiles() == 1 && second.rows.size() >= rows, Duration.ofSeconds(60),
                        () -> "successor streaming T1 and spilling T2: " + next.status() + " " + next.spillStats()
                                + " rows " + second.rows.size());
                List<Path> secondFiles = spillFiles(successor.spillDirectory());
                assertThat(secondFiles).as("T2's spill file, the successor's").hasSize(1);
                assertThat(closer.isAlive()).as("the first source is still closing").isTrue();

                first.hold.countDown();
                closer.join(60_000);
                assertThat(closer.isAlive()).isFalse();
                assertThat(secondFiles).as("the closing source's clean-up left the successor's spill file")
                        .allMatch(Files::exists);
                assertThat(closing.spillDirectory()).as("the closed source removed its own folder").doesNotExist();

                t2.commit();
                awaitCaughtUp(db, successor, Duration.ofSeconds(60));
                assertThat(successor.spillStats().transactions()).as("T1 and T2 spilled in the successor")
                        .isEqualTo(2);
                Path successorDir = successor.spillDirectory();
                PgSource done = successor;
                successor = null;
                done.close();
                assertThat(successorDir).as("the successor removed its own folder").doesNotExist();
            } finally {
                if (closer == null) {
                    closing.close();
                } else {
                    releaseHold(first);
                    closer.join(60_000);
                }
                if (successor != null) {
                    successor.close();
                }
                PgSource.removePipeline(conn, "spill_e");
            }
            List<Integer> ids = second.rows.stream().map(Row::id).toList();
            List<Integer> expected = java.util.stream.IntStream.rangeClosed(1, 2 * rows).boxed().toList();
            assertThat(ids).as("the successor delivered T1 then T2, every row once").isEqualTo(expected);
            assertThat(second.badValues.get()).isZero();
            assertThat(second.wrongCommitLsn.get()).isZero();
        }
        assertThat(spillFiles(spillRoot)).as("nothing left in the spill dir").isEmpty();
    }

    private static void releaseHold(CollectingSink sink) {
        java.util.concurrent.CountDownLatch h = sink.hold;
        if (h != null) {
            h.countDown();
        }
    }

    /** PostgreSQL 13 (proto 1): the transaction arrives whole at commit and passes through without spilling. */
    @Test
    @Pg(version = 13)
    void onProto1ALargeTransactionPassesUnderTheSameLimitWithoutSpilling(PgDatabase db) throws Exception {
        int rows = 200_000;
        createTable(db, "big_13");
        TableId t = new TableId("public", "big_13");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            CollectingSink sink = new CollectingSink();
            String pipeline = "spill13_" + db.name();
            try (PgSource source = SourceFixture.start(conn, pipeline, List.of(t), sink, SnapshotLedger.inMemory(),
                    options())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(60),
                        source::toString);
                db.execute("BEGIN; " + insert("big_13", 1, rows) + "; SAVEPOINT s1; " + insert("big_13", rows + 1,
                        rows + 5000) + "; ROLLBACK TO SAVEPOINT s1; COMMIT");
                db.execute(insert("big_13", 999_999, 999_999));
                SourceFixture.await(() -> sink.rows.stream().anyMatch(r -> r.id() == 999_999)
                        || source.failure().isPresent(), Duration.ofSeconds(120), source::toString);
                assertThat(source.failure()).isEmpty();
                System.out.printf("[spill] PG 13 %d-row transaction: peak batch memory %.1f MiB, spilled %s%n", rows,
                        source.peakMemoryBytes() / 1048576.0, source.spillStats());
                assertThat(source.peakMemoryBytes()).isLessThanOrEqualTo(LIMIT);
                assertThat(source.spillStats().transactions()).isZero();
            } finally {
                PgSource.removePipeline(conn, pipeline);
            }
            List<Integer> ids = sink.rows.stream().map(Row::id).toList();
            assertThat(ids).hasSize(rows + 1);
            for (int i = 0; i < rows; i++) {
                assertThat(ids.get(i)).isEqualTo(i + 1);
            }
            assertThat(sink.badValues.get()).isZero();
            assertThat(sink.wrongCommitLsn.get()).isZero();
        }
    }

    private static String summary(List<Row> rows) {
        Map<Long, int[]> by = new java.util.TreeMap<>();
        for (Row r : rows) {
            int[] a = by.computeIfAbsent(r.lsn(), k -> new int[] {0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, 0});
            a[0]++;
            a[1] = Math.min(a[1], r.id());
            a[2] = Math.max(a[2], r.id());
            a[3] = Math.min(a[3], r.seq());
            a[4] = Math.max(a[4], r.seq());
        }
        StringBuilder sb = new StringBuilder();
        by.forEach((k, a) -> sb.append(k).append(": n=").append(a[0]).append(" id ").append(a[1]).append("..")
                .append(a[2]).append(" seq ").append(a[3]).append("..").append(a[4]).append("; "));
        return sb.toString();
    }

    private static long lsn(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    /** POSIX permissions of a path as rwx text. */
    static final class PosixPerms {
        static String of(Path p) throws Exception {
            return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        }
    }

    /** A bigger transaction for the bench profile: 2M rows under the same 16 MiB. */
    @Test
    @Tag("bench")
    void benchTwoMillionRows(PgDatabase db) throws Exception {
        streamBig(db, 2_000_000, "spill_2m");
    }
}
