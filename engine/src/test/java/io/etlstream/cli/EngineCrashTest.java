package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etlstream.batch.TableId;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.OversizePolicy;
import io.etlstream.e2e.MixedWorkload;
import io.etlstream.e2e.Parity;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.home.EtlHome;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the whole engine (issue 6): {@code etl-stream run} in a child JVM copies two tables into the
 * emulator while a writer commits inserts, updates and deletes; the child is killed with SIGKILL at 10 random points
 * (the first ones during the snapshot copy, the rest while streaming) and restarted each time. Afterwards every
 * history table holds the last complete copy once plus every change committed after it exactly once, in commit
 * order, with every column; every mirror equals its source table. Seed: {@code -Dcrash.seed=N} repeats a run's
 * kill points. In the default suite: about 2.5 minutes on a quiet 2-core machine (11 child JVMs, each starting the
 * Snowpipe SDK), 12-13 minutes when the machine is heavily loaded.
 */
@ExtendWith(PostgresExtension.class)
class EngineCrashTest {

    private static final String SCHEMA = "CRASH";
    private static final String PIPELINE = "crash_p";
    private static final int KILLS = 10;
    /** Versions the writer gives rows start here; preloaded rows have version = id, below it. */
    private static final long WRITER_BASE = 10_000_000L;
    private static final Map<String, Integer> PRELOAD = new LinkedHashMap<>();

    static {
        PRELOAD.put("crash_a", 60_000);
        PRELOAD.put("crash_b", 20_000);
    }

    private static final int MIXED_SEEDED = 1_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void sigkillAtTenRandomPointsThenRestartLosesNothingAndDuplicatesNothing(PgDatabase db) throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        Random rnd = new Random(seed);
        System.out.printf("[engine-crash] seed %d (repeat with -Dcrash.seed=%d)%n", seed, seed);
        for (Map.Entry<String, Integer> t : PRELOAD.entrySet()) {
            db.execute("CREATE TABLE " + t.getKey() + " (id bigint PRIMARY KEY, ver bigint NOT NULL, note text,"
                    + " amount numeric(12,2), flag boolean, ts timestamptz, doc jsonb)",
                    "INSERT INTO " + t.getKey() + " SELECT g, g, 'n' || g, ((g % 10000000) / 100.0)::numeric(12,2),"
                            + " g % 3 = 0, timestamptz 'epoch' + (1700000000 + g) * interval '1 second'"
                            + " + (g % 1000) * interval '1 millisecond', jsonb_build_object('v', g, 's', 'x' || g)"
                            + " FROM generate_series(1, " + t.getValue() + ") g");
        }
        // The e2e kit's five tables (every mapped type, TOAST, REPLICA IDENTITY FULL, partitions, TRUNCATE), seeded
        // before the copy and changed only once the copy is complete, as its Parity check expects.
        MixedWorkload mixed = new MixedWorkload(seed);
        try (Connection c = db.connect()) {
            MixedWorkload.create(c);
            mixed.seed(c, MIXED_SEEDED);
        }
        long started = System.nanoTime();
        Workload work = new Workload(db, seed + 1);
        Thread writer = new Thread(work, "crash-writer");
        MixedWriter mixedWork = new MixedWriter(db, mixed);
        Thread mixedWriter = new Thread(mixedWork, "crash-mixed-writer");
        try (SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory())) {
            RunHome home = RunHome.forEmulator(dir, db, emu, SCHEMA);
            List<String> tables = new ArrayList<>(PRELOAD.keySet().stream().map(t -> "public." + t).toList());
            MixedWorkload.TABLES.forEach(t -> tables.add(t.schema() + "." + t.name()));
            home.pipeline(PIPELINE, String.join(",", tables), "--merge-interval", "2s");
            try (Catalog c = Catalog.open(new EtlHome(home.dir()))) {
                // a numeric NaN has no Snowflake NUMBER: written as null with an event (the e2e kit's documented mapping)
                c.pipelines().update(c.pipelines().require(PIPELINE).withOversizePolicy(OversizePolicy.NULL_WITH_EVENT));
            }
            Path ledger = home.dir().resolve("ledgers").resolve(PIPELINE + ".ledger");
            // The writer runs throughout: before the slot exists, during every copy and across every kill.
            writer.start();
            int snapshotKills = 2 + rnd.nextInt(2);
            long preloaded = PRELOAD.values().stream().mapToLong(Integer::longValue).sum();
            List<String> points = new ArrayList<>();
            int killedInSnapshot = 0;
            for (int k = 1; k <= KILLS; k++) {
                RunChild child = home.run("--stop-timeout", "30s", "--wal-interval", "1s");
                try {
                    String point;
                    if (k <= snapshotKills) {
                        long base = emu.rowsIngested();
                        long rows = 1_000 + (long) (rnd.nextDouble() * preloaded * 0.6);
                        await("the copy to reach " + rows + " rows", 120, child,
                                () -> emu.rowsIngested() - base >= rows || copied(ledger));
                        point = "snapshot, " + rows + " rows ingested by this run";
                    } else {
                        long base = emu.rowsIngested();
                        long rows = 1 + rnd.nextInt(2_000);
                        long ms = rnd.nextInt(3_000);
                        child.awaitLine("engine running", 120);
                        await("the copy to complete", 180, child, () -> copied(ledger));
                        if (mixedWriter.getState() == Thread.State.NEW) {
                            mixedWriter.start();
                        }
                        // streaming for real: this run has written changes to Snowflake
                        await(rows + " rows ingested by this run", 120, child,
                                () -> emu.rowsIngested() - base >= rows);
                        Thread.sleep(ms);
                        point = "streaming, " + ms + " ms after this run had ingested " + rows + " rows";
                    }
                    boolean inSnapshot = !copied(ledger);
                    assertThat(child.isAlive()).as("child alive before kill %d; output:%n%s", k, child.stdout())
                            .isTrue();
                    int exit = child.sigkill(30);
                    assertThat(exit).as("exit status of a SIGKILLed JVM (128 + 9)").isEqualTo(137);
                    killedInSnapshot += inSnapshot ? 1 : 0;
                    String line = String.format("kill %d at %.1f s: %s (%s at the kill; %d writer transactions so"
                            + " far)", k, (System.nanoTime() - started) / 1e9, point,
                            inSnapshot ? "copy incomplete" : "copy complete", work.transactions());
                    points.add(line);
                    System.out.println("[engine-crash] " + line);
                } finally {
                    child.destroy();
                }
                assertThat(work.failure()).as("writer").isNull();
            }
            assertThat(killedInSnapshot).as("kills during the snapshot copy").isGreaterThanOrEqualTo(2);
            assertThat(KILLS - killedInSnapshot).as("kills while streaming").isGreaterThanOrEqualTo(KILLS - 3);

            RunChild last = home.run("--stop-timeout", "30s", "--wal-interval", "1s");
            try {
                last.awaitLine("engine running", 120);
                await("the copy to complete", 120, last, () -> copied(ledger));
                if (mixedWriter.getState() == Thread.State.NEW) {
                    mixedWriter.start();
                }
                Thread.sleep(2_000); // some more streaming under the final run
                work.stop();
                mixedWork.stop();
                writer.join(30_000);
                mixedWriter.join(60_000);
                assertThat(work.failure()).as("writer").isNull();
                assertThat(mixedWork.failure()).as("mixed writer").isNull();
                String end = db.queryOne("SELECT pg_current_wal_lsn()");
                // the slot name carries the home's id: etl_stream_<home id>_<pipeline>
                String slot = "FROM pg_replication_slots WHERE database = current_database() AND slot_name LIKE"
                        + " 'etl\\_stream\\_%\\_" + PIPELINE.replace("_", "\\_") + "'";
                try {
                    await("the slot confirming " + end, 480, last, () -> "t".equals(db.queryOne(
                            "SELECT confirmed_flush_lsn >= '" + end + "'::pg_lsn " + slot)));
                } catch (AssertionError e) {
                    throw new AssertionError("confirmed " + db.queryOne("SELECT confirmed_flush_lsn " + slot) + "; "
                            + e.getMessage(), e);
                }
                System.out.printf("[engine-crash] caught up at %.1f s%n", (System.nanoTime() - started) / 1e9);
                for (String t : PRELOAD.keySet()) {
                    Change lastChange = work.log(t).get(work.log(t).size() - 1);
                    await("the last change of " + t + " in history", 180, last, () -> contains(emu, t, lastChange));
                }
                // The mirror follows history on the pipeline's 2 s merge interval.
                String[] mirror = new String[1];
                try {
                    await("every mirror equal to its source", 120, last, () -> {
                        mirror[0] = mirrorMismatch(emu, db);
                        if (mirror[0] != null) {
                            sleep(1_000); // a full comparison is not cheap
                        }
                        return mirror[0] == null;
                    });
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nlast mismatch: " + mirror[0], e);
                }
                for (String t : PRELOAD.keySet()) {
                    String problem = historyMismatch(emu, t, work);
                    assertThat(problem).as("history of %s (seed %d)", t, seed).isNull();
                }
                try (Connection pg = db.connect()) {
                    Map<TableId, MixedWorkload.Counts> counts = MixedWorkload.counts(pg);
                    System.out.println("[engine-crash] mixed workload counts " + counts);
                    Parity parity = new Parity(pg, Parity.of(emu), "DB", SCHEMA);
                    List<TableId> mirrored = MixedWorkload.TABLES; // the REPLICA IDENTITY FULL table too
                    AssertionError failed = null;
                    for (int attempt = 0; attempt < 4; attempt++) {
                        try {
                            parity.assertParity(MixedWorkload.TABLES, mirrored, counts);
                            failed = null;
                            break;
                        } catch (AssertionError e) {
                            failed = e;
                            System.out.println("[engine-crash] parity attempt " + attempt + ": " + e.getMessage());
                            Thread.sleep(5_000); // the mirrors follow on the 2 s merge interval
                        }
                    }
                    if (failed != null) {
                        throw failed;
                    }
                    assertThat(MixedWorkload.totalChanges(pg)).as("mixed changes").isPositive();
                }
                last.sigterm(60);
                assertThat(last.stdout()).doesNotContain("did not stop");
            } finally {
                work.stop();
                mixedWork.stop();
                last.destroy();
            }
            long changes = PRELOAD.keySet().stream().mapToLong(t -> work.log(t).size()).sum();
            long mixedChanges;
            try (Connection c = db.connect()) {
                mixedChanges = MixedWorkload.totalChanges(c);
            }
            System.out.printf("[engine-crash] seed %d: %d kills (%d in the copy), %d writer transactions, %d changes,"
                    + " %d preloaded rows; e2e kit: %d changes over 5 tables; history exactly once and mirrors"
                    + " equal; %.1f s%n", seed, KILLS, killedInSnapshot, work.transactions(), changes, preloaded,
                    mixedChanges,
                    (System.nanoTime() - started) / 1e9);
            points.forEach(p -> System.out.println("[engine-crash]   " + p));
        } catch (AssertionError | RuntimeException e) {
            keepLogs();
            throw e;
        } finally {
            work.stop();
            mixedWork.stop();
        }
    }

    /** Copies the children's logs where a failed run can be read after the temp dir is gone. */
    private void keepLogs() {
        Path logs = dir.resolve("home").resolve("logs");
        Path to = Path.of("target", "engine-crash-logs");
        try (var files = Files.exists(logs) ? Files.list(logs) : java.util.stream.Stream.<Path>empty()) {
            Files.createDirectories(to);
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            System.out.println("[engine-crash] child logs kept in " + to.toAbsolutePath());
        } catch (java.io.IOException e) {
            System.out.println("[engine-crash] cannot keep the logs: " + e);
        }
    }

    // ------------------------------------------------------------------------------------------------ checks

    /** True once the snapshot ledger lists every table: the copy is complete and durable. */
    private static boolean copied(Path ledger) {
        try {
            return Files.exists(ledger)
                    && Files.readAllLines(ledger).size() == PRELOAD.size() + MixedWorkload.TABLES.size();
        } catch (java.io.IOException e) {
            return false; // being replaced atomically
        }
    }

    private static boolean contains(SnowflakeEmulator emu, String table, Change c) {
        String where = c.op() == 'D' ? "_ETL_OP = 'D' AND ID = " + c.id() : "VER = " + c.ver();
        try {
            return Integer.parseInt(emu.sql("SELECT COUNT(*) FROM " + history(table) + " WHERE " + where, "DB", SCHEMA)
                    .rows().get(0).get(0)) > 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String history(String table) {
        return table.toUpperCase(java.util.Locale.ROOT) + "_HISTORY";
    }

    /** One history row as the SQL API returns it. */
    private record HistoryRow(char op, long lsn, long seq, long id, Long ver, List<String> values) {
        String change() {
            return op + ":" + id + (op == 'D' ? "" : ":" + ver);
        }
    }

    /**
     * Null if the history of {@code table} is: one complete copy (every row once, as of one point of the writer's
     * log), then exactly the writer's later changes of the table, each once, in commit order, every column right.
     */
    private static String historyMismatch(SnowflakeEmulator emu, String table, Workload work) {
        List<HistoryRow> rows = new ArrayList<>();
        for (List<String> r : emu.sql("SELECT _ETL_OP, _ETL_LSN, _ETL_SEQ, ID, VER, NOTE, AMOUNT, FLAG, TS, DOC FROM "
                + history(table), "DB", SCHEMA).rows()) {
            HistoryRow h = new HistoryRow(r.get(0).charAt(0), Long.parseUnsignedLong(r.get(1)), Long.parseLong(r.get(2)),
                    Long.parseLong(r.get(3)), r.get(4) == null ? null : Long.parseLong(r.get(4)), r.subList(5, 10));
            if (h.op() != 'D') {
                String bad = valueMismatch(h.id(), h.ver(), h.values());
                if (bad != null) {
                    return "history row " + h + ": " + bad;
                }
            }
            rows.add(h);
        }
        // The copy's rows carry the copy's consistent point as LSN; preloaded rows are only ever copied, never
        // streamed, so their LSNs show how many copies history holds.
        List<Long> copyLsns = rows.stream().filter(h -> h.op() == 'I' && h.ver() < WRITER_BASE).map(HistoryRow::lsn)
                .distinct().toList();
        if (copyLsns.size() != 1) {
            return "preloaded rows at " + copyLsns.size() + " different positions (more than one copy in history): "
                    + copyLsns;
        }
        long copyLsn = copyLsns.get(0);
        List<HistoryRow> copy = rows.stream().filter(h -> h.lsn() == copyLsn && h.op() == 'I').toList();
        List<HistoryRow> streamed = rows.stream().filter(h -> !(h.lsn() == copyLsn && h.op() == 'I'))
                .sorted(Comparator.comparingLong(HistoryRow::lsn).thenComparingLong(HistoryRow::seq)).toList();
        List<HistoryRow> early = streamed.stream().filter(h -> Long.compareUnsigned(h.lsn(), copyLsn) < 0).toList();
        if (!early.isEmpty()) {
            return early.size() + " streamed row(s) older than the copy they are already part of, e.g. " + early.get(0);
        }
        List<Change> log = work.log(table);
        if (streamed.size() > log.size()) {
            return streamed.size() + " streamed rows but only " + log.size() + " changes written: duplicates "
                    + duplicates(streamed);
        }
        int cut = log.size() - streamed.size();
        List<Change> suffix = log.subList(cut, log.size());
        for (int i = 0; i < streamed.size(); i++) {
            if (!streamed.get(i).change().equals(suffix.get(i).text())) {
                return "streamed row " + i + " of " + streamed.size() + " is " + streamed.get(i) + ", expected "
                        + suffix.get(i).text() + " (the writer's change " + (cut + i) + " of " + log.size()
                        + "); duplicates " + duplicates(streamed);
            }
        }
        // The copy must be the table as of the writer's change `cut`: preload, then the first `cut` changes.
        Map<Long, Long> expected = new HashMap<>();
        for (long id = 1; id <= PRELOAD.get(table); id++) {
            expected.put(id, id);
        }
        for (Change c : log.subList(0, cut)) {
            if (c.op() == 'D') {
                expected.remove(c.id());
            } else {
                expected.put(c.id(), c.ver());
            }
        }
        Map<Long, Long> got = new HashMap<>();
        for (HistoryRow h : copy) {
            if (got.put(h.id(), h.ver()) != null) {
                return "row " + h.id() + " twice in the copy at " + copyLsn;
            }
        }
        if (!got.equals(expected)) {
            return "the copy (" + got.size() + " rows) is not the table after the writer's first " + cut + " changes ("
                    + expected.size() + " rows): " + diff(expected, got);
        }
        System.out.printf("[engine-crash] %s: history = copy of %d rows at %s + %d streamed changes (writer changes"
                + " %d..%d), each once%n", table, copy.size(), io.etlstream.source.pg.Lsn.format(copyLsn),
                streamed.size(), cut, log.size());
        return null;
    }

    private static String duplicates(List<HistoryRow> rows) {
        Map<String, Integer> n = new HashMap<>();
        rows.forEach(h -> n.merge(h.change(), 1, Integer::sum));
        List<String> dup = n.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted()
                .limit(10).toList();
        return n.values().stream().filter(v -> v > 1).count() + " " + dup;
    }

    private static String diff(Map<Long, Long> expected, Map<Long, Long> got) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<Long, Long> e : expected.entrySet()) {
            if (!Objects.equals(got.get(e.getKey()), e.getValue())) {
                out.add("id " + e.getKey() + " expected ver " + e.getValue() + " got " + got.get(e.getKey()));
            }
        }
        for (Long id : got.keySet()) {
            if (!expected.containsKey(id)) {
                out.add("id " + id + " should not be there (ver " + got.get(id) + ")");
            }
        }
        return out.size() + " differences, e.g. " + out.subList(0, Math.min(10, out.size()));
    }

    /** Null if every mirror holds exactly its source table's rows, every column equal. */
    private static String mirrorMismatch(SnowflakeEmulator emu, PgDatabase db) {
        for (String t : PRELOAD.keySet()) {
            Map<Long, Long> source = new HashMap<>();
            for (String line : db.queryColumn("SELECT id || ':' || ver FROM " + t)) {
                int c = line.indexOf(':');
                source.put(Long.parseLong(line.substring(0, c)), Long.parseLong(line.substring(c + 1)));
            }
            Map<Long, Long> mirror = new HashMap<>();
            List<List<String>> rows;
            try {
                rows = emu.sql("SELECT ID, VER, NOTE, AMOUNT, FLAG, TS, DOC, _ETL_DELETED FROM "
                        + t.toUpperCase(java.util.Locale.ROOT), "DB", SCHEMA).rows();
            } catch (RuntimeException e) {
                return t + ": " + e.getMessage();
            }
            for (List<String> r : rows) {
                long id = Long.parseLong(r.get(0));
                long ver = Long.parseLong(r.get(1));
                String bad = valueMismatch(id, ver, r.subList(2, 7));
                if (bad != null) {
                    return t + " mirror row " + r + ": " + bad;
                }
                if ("true".equalsIgnoreCase(r.get(7))) {
                    return t + " mirror row " + id + " soft-deleted under hard deletes";
                }
                if (mirror.put(id, ver) != null) {
                    return t + " mirror holds row " + id + " twice";
                }
            }
            if (!mirror.equals(source)) {
                return t + " mirror (" + mirror.size() + " rows) differs from the source (" + source.size() + "): "
                        + diff(source, mirror);
            }
        }
        return null;
    }

    /** Null if {@code values} (NOTE, AMOUNT, FLAG, TS, DOC as the SQL API encodes them) are those of version ver. */
    private static String valueMismatch(long id, Long ver, List<String> values) {
        if (ver == null) {
            return "no VER";
        }
        if (!("n" + ver).equals(values.get(0))) {
            return "NOTE " + values.get(0);
        }
        if (values.get(1) == null || new BigDecimal(values.get(1)).compareTo(amount(ver)) != 0) {
            return "AMOUNT " + values.get(1) + ", expected " + amount(ver);
        }
        String flag = values.get(2);
        boolean f = "true".equalsIgnoreCase(flag) || "1".equals(flag);
        if (flag == null || f != (ver % 3 == 0)) {
            return "FLAG " + flag;
        }
        // TIMESTAMP_TZ: "epoch-seconds.fraction offset-index"
        String ts = values.get(3);
        long micros = ts == null ? Long.MIN_VALUE
                : new BigDecimal(ts.split(" ")[0]).movePointRight(6).longValueExact();
        if (micros != tsMicros(ver)) {
            return "TS " + ts + ", expected " + Instant.EPOCH.plus(tsMicros(ver), java.time.temporal.ChronoUnit.MICROS);
        }
        try {
            JsonNode doc = values.get(4) == null ? null : JSON.readTree(values.get(4));
            if (doc == null || doc.size() != 2 || doc.path("v").asLong() != ver || !("x" + ver).equals(doc.path("s")
                    .asText())) {
                return "DOC " + values.get(4);
            }
        } catch (java.io.IOException e) {
            return "DOC not JSON: " + values.get(4);
        }
        return null;
    }

    private static BigDecimal amount(long ver) {
        return BigDecimal.valueOf(ver % 10_000_000, 2);
    }

    private static long tsMicros(long ver) {
        return (1_700_000_000L + ver) * 1_000_000L + (ver % 1000) * 1000L;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(String what, long seconds, RunChild child, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (!child.isAlive()) {
                throw new AssertionError("the child exited while waiting for " + what + "; output:\n" + child.stdout());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; child output:\n" + child.stdout());
            }
            Thread.sleep(100);
        }
    }

    // ------------------------------------------------------------------------------------------------ workload

    /** Runs the e2e kit's transactions in small rounds until stopped; its counts commit with each transaction. */
    private static final class MixedWriter implements Runnable {
        private final PgDatabase db;
        private final MixedWorkload workload;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private volatile Throwable failure;

        MixedWriter(PgDatabase db, MixedWorkload workload) {
            this.db = db;
            this.workload = workload;
        }

        @Override
        public void run() {
            try (Connection c = db.connect()) {
                while (running.get()) {
                    workload.run(c, 20);
                    Thread.sleep(500);
                }
            } catch (Throwable e) {
                failure = e;
            }
        }

        void stop() {
            running.set(false);
        }

        Throwable failure() {
            return failure;
        }
    }

    /** One committed change: I/U carry the row's new version, D only the key. */
    private record Change(char op, long id, long ver) {
        String text() {
            return op + ":" + id + (op == 'D' ? "" : ":" + ver);
        }
    }

    /**
     * Commits small transactions (1-4 changes: 50% insert, 35% update, 15% delete over both tables) until stopped,
     * one thread, so the commit order is the log order. Every row's columns are a function of its version.
     */
    private static final class Workload implements Runnable {
        private final PgDatabase db;
        private final Random rnd;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Map<String, List<Change>> log = new HashMap<>();
        private final Map<String, List<Long>> live = new HashMap<>();
        private final Map<String, Map<Long, Integer>> slot = new HashMap<>();
        private final Map<String, Long> nextId = new HashMap<>();
        private volatile int transactions;
        private volatile Throwable failure;
        private long nextVer = WRITER_BASE;

        Workload(PgDatabase db, long seed) {
            this.db = db;
            this.rnd = new Random(seed);
            for (Map.Entry<String, Integer> t : PRELOAD.entrySet()) {
                log.put(t.getKey(), java.util.Collections.synchronizedList(new ArrayList<>()));
                List<Long> ids = new ArrayList<>();
                Map<Long, Integer> at = new HashMap<>();
                for (long id = 1; id <= t.getValue(); id++) {
                    at.put(id, ids.size());
                    ids.add(id);
                }
                live.put(t.getKey(), ids);
                slot.put(t.getKey(), at);
                nextId.put(t.getKey(), t.getValue() + 1L);
            }
        }

        @Override
        public void run() {
            List<String> tables = new ArrayList<>(PRELOAD.keySet());
            Map<String, PreparedStatement[]> ps = new HashMap<>();
            try (Connection c = db.connect()) {
                c.setAutoCommit(false);
                for (String t : tables) {
                    ps.put(t, new PreparedStatement[] {
                        c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?, ?, ?, ?, ?, ?::jsonb)"),
                        c.prepareStatement("UPDATE " + t + " SET ver = ?, note = ?, amount = ?, flag = ?, ts = ?,"
                                + " doc = ?::jsonb WHERE id = ?"),
                        c.prepareStatement("DELETE FROM " + t + " WHERE id = ?")});
                }
                while (running.get()) {
                    int n = 1 + rnd.nextInt(4);
                    List<Map.Entry<String, Change>> pending = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        String t = tables.get(rnd.nextInt(10) < 7 ? 0 : 1);
                        int dice = rnd.nextInt(100);
                        PreparedStatement[] s = ps.get(t);
                        Change ch;
                        if (dice < 50 || live.get(t).size() < 100) {
                            long id = nextId.merge(t, 1L, Long::sum) - 1;
                            long ver = nextVer++;
                            s[0].setLong(1, id);
                            bind(s[0], 2, ver);
                            s[0].executeUpdate();
                            add(t, id);
                            ch = new Change('I', id, ver);
                        } else if (dice < 85) {
                            long id = pick(t);
                            long ver = nextVer++;
                            bind(s[1], 1, ver);
                            s[1].setLong(7, id);
                            assertThat(s[1].executeUpdate()).isEqualTo(1);
                            ch = new Change('U', id, ver);
                        } else {
                            long id = pick(t);
                            s[2].setLong(1, id);
                            assertThat(s[2].executeUpdate()).isEqualTo(1);
                            remove(t, id);
                            ch = new Change('D', id, 0);
                        }
                        pending.add(Map.entry(t, ch));
                    }
                    c.commit();
                    for (Map.Entry<String, Change> e : pending) {
                        log.get(e.getKey()).add(e.getValue());
                    }
                    transactions++;
                    Thread.sleep(15); // a rate the engine outruns even on a loaded 2-core machine
                }
            } catch (Throwable e) {
                failure = e;
            }
        }

        private static void bind(PreparedStatement s, int from, long ver) throws java.sql.SQLException {
            s.setLong(from, ver);
            s.setString(from + 1, "n" + ver);
            s.setBigDecimal(from + 2, amount(ver));
            s.setBoolean(from + 3, ver % 3 == 0);
            long micros = tsMicros(ver);
            s.setObject(from + 4, OffsetDateTime.ofInstant(Instant.EPOCH.plus(micros,
                    java.time.temporal.ChronoUnit.MICROS), ZoneOffset.UTC));
            s.setString(from + 5, "{\"v\": " + ver + ", \"s\": \"x" + ver + "\"}");
        }

        private long pick(String t) {
            List<Long> ids = live.get(t);
            return ids.get(rnd.nextInt(ids.size()));
        }

        private void add(String t, long id) {
            slot.get(t).put(id, live.get(t).size());
            live.get(t).add(id);
        }

        private void remove(String t, long id) {
            List<Long> ids = live.get(t);
            int at = slot.get(t).remove(id);
            long lastId = ids.remove(ids.size() - 1);
            if (lastId != id) {
                ids.set(at, lastId);
                slot.get(t).put(lastId, at);
            }
        }

        void stop() {
            running.set(false);
        }

        int transactions() {
            return transactions;
        }

        Throwable failure() {
            return failure;
        }

        /** The committed changes of {@code table}, in commit order (a copy). */
        List<Change> log(String table) {
            synchronized (log.get(table)) {
                return new ArrayList<>(log.get(table));
            }
        }
    }
}
