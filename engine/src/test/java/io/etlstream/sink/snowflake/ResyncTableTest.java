package io.etlstream.sink.snowflake;

import static io.etlstream.testkit.snowflake.EmulatedSnowflake.MANUAL_MERGES;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.SOURCE_OPTIONS;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.await;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCopied;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.closeTakenOver;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.connector;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.source.pg.Lsn;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Per-table resync end to end: real PostgreSQL → PgSource → SnowflakeSink → real SDK → emulator. One table is copied
 * again from scratch while another keeps streaming; a table the sink stopped runs again after its resync.
 */
@ExtendWith(PostgresExtension.class)
class ResyncTableTest {

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass();

    static final PgSource.Options OPTIONS = SOURCE_OPTIONS.withSnapshotConnections(2);

    @Test
    void oneTableIsCopiedAgainWhileAnotherKeepsStreamingWithoutGapOrDuplicate(PgDatabase db) throws Exception {
        String schema = "RESYNC_LIVE";
        SF.createSchema(schema);
        db.execute("CREATE TABLE ra (id int PRIMARY KEY, n int NOT NULL, note text)",
                "CREATE TABLE rb (id int PRIMARY KEY, v text, amount numeric(12,2))",
                "INSERT INTO ra SELECT g, 0, 'a' || g FROM generate_series(1, 200) g",
                "INSERT INTO rb SELECT g, 'b' || g, g FROM generate_series(1, 40000) g");
        TableId ra = new TableId("public", "ra");
        TableId rb = new TableId("public", "rb");
        ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        String pipeline = "resynclive";
        AtomicInteger txns = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        long durableAtResync;
        List<Long> durableDuringCopy = new ArrayList<>();
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open(schema)) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink(pipeline, MANUAL_MERGES,
                    (l, t, m) -> events.add(l + " " + m));
            try (PgSource source = new PgSource(conn, pipeline, List.of(ra, rb), sink, ledger, OPTIONS)) {
                source.start();
                awaitCopied(source, ledger, 2, Duration.ofSeconds(120));
                // Table A gets a transaction every few ms for the whole test; each also changes B.
                Thread writer = new Thread(() -> {
                    try (Connection c = db.connect(); Statement st = c.createStatement()) {
                        for (int i = 1; writing.get(); i++) {
                            int b = (i * 7919) % 40000 + 1;
                            st.execute("BEGIN; INSERT INTO ra VALUES (" + (1000 + i) + ", " + i + ", 'w');"
                                    + " UPDATE ra SET n = n + 1 WHERE id = " + (i % 200 + 1) + ";"
                                    + " UPDATE rb SET v = 'u" + i + "', amount = amount + 1 WHERE id = " + b + ";"
                                    + (i % 3 == 0 ? " DELETE FROM rb WHERE id = " + ((b + 17) % 40000 + 1) + ";" : "")
                                    + " INSERT INTO rb VALUES (" + (100000 + i) + ", 'n" + i + "', " + i + "); COMMIT");
                            txns.incrementAndGet();
                            Thread.sleep(5);
                        }
                    } catch (Throwable e) {
                        writerFailure.set(e);
                    }
                }, "resync-test-writer");
                writer.start();
                await(() -> txns.get() > 100, Duration.ofSeconds(60), () -> "writer: " + txns);
                awaitCaughtUp(db, source);
                durableAtResync = source.status().durableLsn();

                // What PgSourceRuntime does for 'resync table': forget, then copy while streaming.
                ledger.forget(rb);
                source.resyncTable(rb);
                long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
                while (!ledger.completed().contains(rb)) {
                    assertThat(source.failure()).isEmpty();
                    assertThat(System.nanoTime()).as("copy of rb durable in time").isLessThan(until);
                    durableDuringCopy.add(source.status().durableLsn());
                    Thread.sleep(100);
                }
                assertThat(source.copying()).isEmpty();
                System.out.printf("[resync] copy of rb (40,000 rows) durable after %d ms; durable LSN advanced %d"
                        + " times meanwhile; %d writer transactions so far%n", durableDuringCopy.size() * 100L,
                        durableDuringCopy.stream().distinct().count() - 1, txns.get());
                int afterCopy = txns.get();
                await(() -> txns.get() > afterCopy + 100, Duration.ofSeconds(60), () -> "writer: " + txns);
                writing.set(false);
                writer.join(10_000);
                assertThat(writerFailure.get()).isNull();
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertThat(sink.stoppedTables()).isEmpty();
            }
            sink.close();
            PgSource.removePipeline(conn, pipeline);
        }
        int n = txns.get();

        // A kept streaming while B was copied: its commits became durable during the copy.
        assertThat(durableDuringCopy).anyMatch(d -> Long.compareUnsigned(d, durableAtResync) > 0);

        // A: every change exactly once in history, nothing missing, mirror equal to the source.
        List<String[]> aHistory = rows("SELECT ID, _ETL_OP, _ETL_LSN, _ETL_SEQ FROM RA_HISTORY", schema);
        Set<Integer> missing = new java.util.TreeSet<>();
        for (int i = 1; i <= n; i++) {
            missing.add(1000 + i);
        }
        for (int i = 1; i <= 200; i++) {
            missing.add(i);
        }
        aHistory.stream().filter(r -> r[1].equals("I")).forEach(r -> missing.remove(Integer.parseInt(r[0])));
        assertThat(missing).as("inserts into ra missing from its history (%s transactions)", n).isEmpty();
        assertThat(aHistory.stream().filter(r -> r[1].equals("I")).count()).isEqualTo(200 + n);
        assertThat(aHistory.stream().filter(r -> r[1].equals("U")).count()).isEqualTo(n);
        assertThat(aHistory).hasSize(200 + 2 * n);
        // (Snapshot rows share the copy's LSN and number rows per copied chunk: they are told apart by key.)
        List<String[]> aStream = aHistory.stream().filter(r -> !(r[1].equals("I") && Integer.parseInt(r[0]) <= 200))
                .toList();
        assertThat(distinctPositions(aStream, 2)).isEqualTo(2L * n);
        Set<String> insertedIds = new HashSet<>();
        aHistory.stream().filter(r -> r[1].equals("I")).forEach(r -> insertedIds.add(r[0]));
        assertThat(insertedIds).hasSize(200 + n);
        assertThat(joined("SELECT ID, N, NOTE FROM RA ORDER BY ID", schema))
                .isEqualTo(db.queryColumn("SELECT concat_ws('|', id, n, coalesce(note, 'null')) FROM ra ORDER BY id"));

        // B: the last copy replaced its history: nothing older than the copy's snapshot, the copy's rows once per
        // key, the stream's later changes once each, and folding the history gives the source table.
        long copyLsn = lastCopyLsn(events, "public.rb");
        List<String[]> bHistory = rows("SELECT ID, V, AMOUNT, _ETL_OP, _ETL_LSN, _ETL_SEQ FROM RB_HISTORY", schema);
        assertThat(bHistory).allSatisfy(r -> assertThat(Long.compareUnsigned(Long.parseUnsignedLong(r[4]), copyLsn))
                .as("history row at %s is not older than the copy at %s", r[4], Lsn.format(copyLsn))
                .isGreaterThanOrEqualTo(0));
        List<String[]> copied = bHistory.stream().filter(r -> Long.parseUnsignedLong(r[4]) == copyLsn).toList();
        assertThat(copied).allMatch(r -> r[3].equals("I"));
        assertThat(copied.stream().map(r -> r[0]).distinct().count()).isEqualTo(copied.size());
        assertThat(copied.size()).isGreaterThan(30000);
        List<String[]> bStream = bHistory.stream().filter(r -> Long.parseUnsignedLong(r[4]) != copyLsn).toList();
        assertThat(bStream).as("stream changes of rb after the copy").isNotEmpty();
        assertThat(distinctPositions(bStream, 4)).isEqualTo(bStream.size());
        assertThat(fold(bHistory)).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, coalesce(v, 'null'), amount) FROM rb ORDER BY id"));
        assertThat(joined("SELECT ID, V, AMOUNT FROM RB ORDER BY ID", schema)).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, coalesce(v, 'null'), amount) FROM rb ORDER BY id"));
        assertThat(events).anyMatch(e -> e.contains("Copy of public.rb is committed"));
    }

    @Test
    void aTableStoppedForAnIncompatibleSchemaChangeRunsAgainAfterItsResync(PgDatabase db) throws Exception {
        String schema = "RESYNC_STOPPED";
        SF.createSchema(schema);
        db.execute("CREATE TABLE sa (id int PRIMARY KEY, note text)",
                "CREATE TABLE sc (id int PRIMARY KEY, v int, note text)",
                "INSERT INTO sa SELECT g, 'a' || g FROM generate_series(1, 100) g",
                "INSERT INTO sc SELECT g, g, 'c' || g FROM generate_series(1, 500) g");
        TableId sa = new TableId("public", "sa");
        TableId sc = new TableId("public", "sc");
        ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        String pipeline = "resyncstopped";
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open(schema)) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink(pipeline, MANUAL_MERGES,
                    (l, t, m) -> events.add(l + " " + m));
            try (PgSource source = new PgSource(conn, pipeline, List.of(sa, sc), sink, ledger, OPTIONS)) {
                source.start();
                awaitCopied(source, ledger, 2, Duration.ofSeconds(90));
                // int -> text is no widening: the sink stops sc; sa goes on.
                db.execute("ALTER TABLE sc ALTER COLUMN v TYPE text USING 'v' || v",
                        "UPDATE sc SET note = 'after alter' WHERE id <= 10",
                        "INSERT INTO sa VALUES (101, 'while sc is stopped')");
                awaitCaughtUp(db, source);
                assertThat(sink.stoppedTables()).containsExactly(sc);
                assertThat(events).anyMatch(e -> e.startsWith("ERROR Stopped table public.sc"));

                ledger.forget(sc);
                source.resyncTable(sc);
                await(() -> ledger.completed().contains(sc) || source.failure().isPresent(), Duration.ofSeconds(90),
                        source::toString);
                db.execute("INSERT INTO sc VALUES (501, 'v501', 'after resync')", "DELETE FROM sc WHERE id = 2",
                        "INSERT INTO sa VALUES (102, 'after resync')");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertThat(sink.stoppedTables()).isEmpty();
            }
            sink.close();
            PgSource.removePipeline(conn, pipeline);
        }
        assertThat(events).anyMatch(e -> e.startsWith("INFO Resync of stopped table public.sc: it runs again."));
        assertThat(SF.sql("DESCRIBE TABLE SC", schema).rows()).anyMatch(r -> r.get(0).equals("V")
                && r.get(1).startsWith("VARCHAR"));
        assertThat(joined("SELECT ID, V, NOTE FROM SC ORDER BY ID", schema)).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, v, note) FROM sc ORDER BY id"));
        assertThat(joined("SELECT ID, NOTE FROM SA ORDER BY ID", schema)).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, note) FROM sa ORDER BY id"));
        assertThat(rows("SELECT ID FROM SA_HISTORY", schema)).hasSize(102);
    }

    @Test
    void aTableStoppedForAValueItCannotHoldRunsAgainAfterTheValueIsFixedAndTheTableResynced(PgDatabase db)
            throws Exception {
        String schema = "RESYNC_OVERSIZE";
        SF.createSchema(schema);
        // unconstrained numeric is NUMBER(38,9): ten decimals do not fit without rounding (policy: stop the table)
        db.execute("CREATE TABLE oa (id int PRIMARY KEY, note text)", "CREATE TABLE ov (id int PRIMARY KEY, x numeric)",
                "INSERT INTO oa SELECT g, 'a' || g FROM generate_series(1, 50) g",
                "INSERT INTO ov SELECT g, g * 1.5 FROM generate_series(1, 50) g");
        TableId oa = new TableId("public", "oa");
        TableId ov = new TableId("public", "ov");
        ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        String pipeline = "resyncoversize";
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open(schema)) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink(pipeline, MANUAL_MERGES,
                    (l, t, m) -> events.add(l + " " + m));
            try (PgSource source = new PgSource(conn, pipeline, List.of(oa, ov), sink, ledger, OPTIONS)) {
                source.start();
                awaitCopied(source, ledger, 2, Duration.ofSeconds(90));
                db.execute("INSERT INTO ov VALUES (51, 1.0000000001)", "INSERT INTO ov VALUES (52, 2)",
                        "INSERT INTO oa VALUES (51, 'while ov is stopped')");
                awaitCaughtUp(db, source);
                assertThat(sink.stoppedTables()).containsExactly(ov);
                assertThat(events).anyMatch(e -> e.startsWith("ERROR Stopped table public.ov"));

                db.execute("UPDATE ov SET x = 1 WHERE id = 51"); // the fix at the source, then the resync
                ledger.forget(ov);
                source.resyncTable(ov);
                await(() -> ledger.completed().contains(ov) || source.failure().isPresent(), Duration.ofSeconds(90),
                        source::toString);
                db.execute("INSERT INTO ov VALUES (53, 3.25)");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertThat(sink.stoppedTables()).isEmpty();
            }
            sink.close();
            PgSource.removePipeline(conn, pipeline);
        }
        assertThat(events).anyMatch(e -> e.startsWith("INFO Resync of stopped table public.ov: it runs again."));
        assertThat(joined("SELECT ID, X FROM OV ORDER BY ID", schema)).hasSize(53).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, to_char(x, 'FM999999990.000000000')) FROM ov ORDER BY id"));
        assertThat(joined("SELECT ID, NOTE FROM OA ORDER BY ID", schema)).hasSize(51);
    }

    @Test
    void aCrashDuringTheCopyCopiesTheTableAgainAtTheNextStartWithoutTouchingTheOthers(PgDatabase db) throws Exception {
        String schema = "RESYNC_CRASH";
        SF.createSchema(schema);
        db.execute("CREATE TABLE ka (id int PRIMARY KEY, note text)",
                "CREATE TABLE kb (id int PRIMARY KEY, v text)",
                "INSERT INTO ka SELECT g, 'a' || g FROM generate_series(1, 100) g",
                "INSERT INTO kb SELECT g, 'b' || g FROM generate_series(1, 20000) g");
        TableId ka = new TableId("public", "ka");
        TableId kb = new TableId("public", "kb");
        ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
        SnapshotLedger ledger = SnapshotLedger.inMemory(); // stands for the file that outlives the process
        String pipeline = "resynccrash";
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            // run 1: copy, stream, then resync kb and "crash" after a few of its copied batches reached Snowflake
            SnowflakeDestination d1 = SF.open(schema);
            SnowflakeSink s1 = d1.openSink(pipeline, MANUAL_MERGES,
                    (l, t, m) -> events.add(l + " " + m));
            CrashAfterCopyBatches crashing = new CrashAfterCopyBatches(s1, kb, 3);
            try (PgSource source = new PgSource(conn, pipeline, List.of(ka, kb), crashing, ledger, OPTIONS)) {
                source.start();
                awaitCopied(source, ledger, 2, Duration.ofSeconds(90));
                db.execute("INSERT INTO ka VALUES (101, 'before resync')", "UPDATE kb SET v = 'old' WHERE id = 1");
                awaitCaughtUp(db, source);
                ledger.forget(kb);
                crashing.arm();
                source.resyncTable(kb);
                await(crashing::crashed, Duration.ofSeconds(60), () -> "crash point: " + source.status());
                db.execute("INSERT INTO ka VALUES (102, 'during the crash')", "UPDATE kb SET v = 'new' WHERE id = 2");
            }
            s1.abandon();
            // The copied batches handed over before the crash "reached Snowflake": the first client, still alive in
            // this JVM, flushes them in the background. Without this wait a fast copy left that flush racing the next
            // run's reset of kb (its blob, for the dropped table, was rejected and fenced the new channel), which a
            // crashed process never does.
            await(() -> handedRowsCommitted(schema, crashing.handedRows()), Duration.ofSeconds(60),
                    () -> "the first client's " + crashing.handedRows() + " copied rows of kb in Snowflake");
            assertThat(ledger.completed()).as("kb's copy never became durable").containsExactly(ka);
            db.execute("INSERT INTO ka VALUES (103, 'while down')", "DELETE FROM kb WHERE id = 3");

            // run 2: a new process: kb is reset and copied again, ka resumes where Snowflake has it
            try (SnowflakeDestination d2 = SF.open(schema)) {
                SnowflakeSink s2 = d2.openSink(pipeline, MANUAL_MERGES,
                        (l, t, m) -> events.add(l + " " + m));
                try (PgSource source = new PgSource(conn, pipeline, List.of(ka, kb), s2, ledger, OPTIONS)) {
                    source.start();
                    awaitCopied(source, ledger, 2, Duration.ofSeconds(90));
                    db.execute("INSERT INTO kb VALUES (30000, 'after restart')");
                    awaitCaughtUp(db, source);
                    s2.mergeNow(true);
                }
                s2.close();
            }
            closeTakenOver(d1); // the first client's channels were taken over by the second
            PgSource.removePipeline(conn, pipeline);
        }
        assertThat(joined("SELECT ID, NOTE FROM KA ORDER BY ID", schema)).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, note) FROM ka ORDER BY id"));
        List<String[]> aHistory = rows("SELECT ID, _ETL_OP FROM KA_HISTORY", schema);
        assertThat(aHistory).as("ka: 100 copied rows and 3 inserts, each once").hasSize(103);
        assertThat(aHistory.stream().map(r -> r[0]).distinct().count()).isEqualTo(103);
        assertThat(joined("SELECT ID, V FROM KB ORDER BY ID", schema)).isEqualTo(db.queryColumn(
                "SELECT concat_ws('|', id, v) FROM kb ORDER BY id"));
        long copyLsn = lastCopyLsn(events, "public.kb");
        List<String[]> bHistory = rows("SELECT ID, V, _ETL_OP, _ETL_LSN FROM KB_HISTORY", schema);
        assertThat(bHistory).allMatch(r -> Long.compareUnsigned(Long.parseUnsignedLong(r[3]), copyLsn) >= 0);
        List<String[]> copied = bHistory.stream().filter(r -> Long.parseUnsignedLong(r[3]) == copyLsn).toList();
        assertThat(copied).as("the second copy, one row per key").hasSize(19999);
        assertThat(copied.stream().map(r -> r[0]).distinct().count()).isEqualTo(19999);
        assertThat(bHistory.size() - copied.size()).as("the one insert after the restart").isEqualTo(1);
    }

    /**
     * Passes everything to the real sink until {@code batches} copied batches of {@code table} went through after
     * {@link #arm()}; from then on it swallows every event, as if the process had died there (nothing after that
     * point reaches Snowflake or becomes durable).
     */
    static final class CrashAfterCopyBatches implements io.etlstream.source.pg.ChangeSink {
        private final SnowflakeSink sink;
        private final TableId table;
        private final int batches;
        private volatile boolean armed;
        private volatile boolean copying;
        private volatile int seen;
        private volatile boolean crashed;
        private volatile long handedRows; // rows of the table's copy handed to the sink before the crash

        long handedRows() {
            return handedRows;
        }

        CrashAfterCopyBatches(SnowflakeSink sink, TableId table, int batches) {
            this.sink = sink;
            this.table = table;
            this.batches = batches;
        }

        void arm() {
            armed = true;
        }

        boolean crashed() {
            return crashed;
        }

        @Override
        public void open(Durability durability) {
            sink.open(durability);
        }

        @Override
        public void accept(io.etlstream.batch.ChangeEvent event) {
            if (crashed) {
                if (event instanceof io.etlstream.batch.ChangeBatch b) {
                    b.close();
                }
                return;
            }
            if (copying && event instanceof io.etlstream.batch.ChangeBatch b && b.table().equals(table)) {
                handedRows += b.rowCount();
            }
            if (copying && event instanceof io.etlstream.batch.ChangeBatch b && b.table().equals(table)
                    && ++seen == batches) {
                sink.accept(event);
                crashed = true;
                return;
            }
            sink.accept(event);
        }

        @Override
        public void tableCopyStarting(TableId t, long snapshotLsn) {
            if (!crashed) {
                sink.tableCopyStarting(t, snapshotLsn);
                copying = armed && t.equals(table);
            }
        }

        @Override
        public void snapshotCompleted(TableId t) {
            if (!crashed) {
                sink.snapshotCompleted(t);
            }
        }

        @Override
        public void close() {
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** With 120 s, as this class always waited: its tests copy while a writer keeps the source busy. */
    static void awaitCaughtUp(PgDatabase db, PgSource source) throws InterruptedException {
        EmulatedSnowflake.awaitCaughtUp(db, source, Duration.ofSeconds(120));
    }

    /** True once KB_HISTORY holds at least {@code rows} rows (false while the table does not exist). */
    static boolean handedRowsCommitted(String schema, long rows) {
        try {
            return Long.parseLong(rows("SELECT COUNT(*) FROM KB_HISTORY", schema).get(0)[0]) >= rows;
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    static List<String[]> rows(String sql, String schema) {
        return SF.rows(sql, schema);
    }

    static List<String> joined(String sql, String schema) {
        return SF.joined(sql, schema);
    }

    static long distinctPositions(List<String[]> history, int lsnColumn) {
        return history.stream().map(r -> r[lsnColumn] + ":" + r[lsnColumn + 1]).distinct().count();
    }

    /** History folded per key like the mirror: the newest change by (LSN, seq) wins; a delete removes the key. */
    static List<String> fold(List<String[]> history) {
        Map<Integer, String[]> newest = new HashMap<>();
        for (String[] r : history) {
            newest.merge(Integer.parseInt(r[0]), r, (a, b) -> position(a).compareTo(position(b)) >= 0 ? a : b);
        }
        TreeMap<Integer, String> out = new TreeMap<>();
        newest.forEach((id, r) -> {
            if (!r[3].equals("D")) {
                out.put(id, id + "|" + r[1] + "|" + r[2]);
            }
        });
        return new ArrayList<>(out.values());
    }

    private static java.math.BigInteger position(String[] r) {
        return new java.math.BigInteger(r[4]).shiftLeft(32).add(java.math.BigInteger.valueOf(Long.parseLong(r[5])));
    }

    /** The snapshot LSN of the last copy of {@code table} the sink announced. */
    static long lastCopyLsn(Iterable<String> events, String table) {
        Pattern p = Pattern.compile("Copying " + Pattern.quote(table) + " as of ([0-9A-F]+/[0-9A-F]+)");
        long last = -1;
        for (String e : events) {
            Matcher m = p.matcher(e);
            if (m.find()) {
                last = OffsetToken.parseLsn(m.group(1));
            }
        }
        assertThat(last).as("a copy of %s was announced", table).isNotEqualTo(-1);
        return last;
    }
}
