package io.etlstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.PipelineMode;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowflakeSink;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Commit-to-visible latency at a steady transaction rate from PostgreSQL: writers commit small transactions on a fixed
 * schedule (default 1,000/s of one row each, 10 s warm-up then 30 s measured); the engine streams them (PgSource →
 * SnowflakeSink, history mode → real SDK → emulator); an observer queries the emulator's history table every
 * {@code bench.pollMs} (default 25 ms) for new rows. Latency of a transaction = the moment a query first returned its
 * rows − its PostgreSQL commit timestamp (from the pgoutput Commit message, the value of {@code _ETL_COMMIT_TS}; same
 * host, same clock). Also split into commit → sink accept (PostgreSQL, walsender, decoder, queue) and accept → visible
 * (SDK buffer + flush + blob registration), and commit → durable (what PostgreSQL may be told). Run:
 * {@code ./mvnw -B -o -pl engine -am test -Pbench -Dtest=CommitToVisibleLatencyBench -Dsurefire.failIfNoSpecifiedTests=false}
 * (client settings from {@link BenchTuning}; rate with {@code -Dbench.txnsPerSecond -Dbench.rowsPerTxn
 * -Dbench.seconds -Dbench.warmupSeconds -Dbench.writers}).
 */
@Tag("bench")
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class CommitToVisibleLatencyBench {

    @Test
    void commitToVisibleAtASteadyTransactionRate(PgDatabase db) throws Exception {
        int rate = Integer.getInteger("bench.txnsPerSecond", 1000);
        int rowsPerTxn = Integer.getInteger("bench.rowsPerTxn", 1);
        int warmup = Integer.getInteger("bench.warmupSeconds", 10);
        int seconds = Integer.getInteger("bench.seconds", 30);
        int writers = Integer.getInteger("bench.writers", 8);
        long pollMs = Long.getLong("bench.pollMs", 25);
        int flushes = Integer.getInteger("bench.concurrentFlushes", FlushLimiter.DEFAULT_CONCURRENT_FLUSHES);
        SnowpipeTuning tuning = BenchTuning.fromProperties();
        int total = rate * (warmup + seconds);
        int firstMeasured = rate * warmup;
        System.out.printf(Locale.ROOT, "[bench] latency: %d txn/s x %d rows, %d s warm-up + %d s measured, %d writers,"
                        + " poll every %d ms, tuning %s, flush limiter %d; PostgreSQL %s; %s%n", rate, rowsPerTxn, warmup,
                seconds, writers, pollMs, tuning, flushes, db.queryOne("SHOW server_version"), BenchSupport.machine());

        db.execute("CREATE TABLE lat_t " + BenchSupport.TABLE_DDL);
        TableId table = BenchSupport.table("lat_t");
        KeyPair key = BenchSupport.rsa();
        // Per transaction k (rows k*rowsPerTxn+1 ..): wall-clock micros of each stage; 0 = not seen yet.
        long[] clientCommitted = new long[total];
        long[] visible = new long[total];
        ConcurrentHashMap<Long, long[]> byCommitLsn = new ConcurrentHashMap<>(); // commit LSN -> {pgCommit, accepted}
        ConcurrentHashMap<Long, Long> durableAt = new ConcurrentHashMap<>(); // commit LSN -> micros reported durable
        try (PgPassword pw = PgPassword.none();
                SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("ETL", key.getPublic()))) {
            emu.sql("CREATE DATABASE IF NOT EXISTS DB");
            emu.sql("CREATE SCHEMA IF NOT EXISTS DB.S");
            PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("bench_lat"));
            slots.ensurePublication(List.of(table));
            slots.createSlotWithSnapshot().close();
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            ledger.markCompleted(table);
            Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", "DB", "S", "k");
            FlushLimiter limiter = new FlushLimiter(flushes);
            long[] emuBefore;
            long[] emuAfter;
            long blobsBefore;
            long blobsAfter;
            List<Long> queryMicros = new ArrayList<>();
            long acceptWallNanos;
            long acceptCpuNanos;
            try (SnowflakeDestination dest = SnowflakeDestination.open(d, key.getPrivate(), tuning, limiter)) {
                SnowflakeSink sink = dest.openSink("bench_lat", SinkOptions.DEFAULT.withMode(PipelineMode.HISTORY),
                        (level, t, message) -> System.out.println("[bench] sink event " + level + " " + message));
                TimingSink timing = new TimingSink(sink, byCommitLsn, durableAt);
                try (PgSource source = new PgSource(conn, "bench_lat", List.of(table), timing, ledger,
                        PgSource.Options.defaults().withHeartbeatInterval(Duration.ZERO))) {
                    source.start();
                    // The channel opens on the first change: one transaction before the clock starts.
                    db.execute("INSERT INTO lat_t (id) VALUES (-1)");
                    BenchSupport.await(() -> BenchSupport.count(emu, "DB.S.LAT_T_HISTORY") == 1
                            || source.failure().isPresent(), 60, source::toString);

                    long start = System.nanoTime() + 200_000_000L;
                    long startMicros = nowMicros() + 200_000L;
                    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
                    AtomicLong maxBehindMicros = new AtomicLong();
                    List<Thread> threads = new ArrayList<>();
                    for (int w = 0; w < writers; w++) {
                        int first = w;
                        Thread t = new Thread(() -> {
                            try (Connection c = db.connect();
                                    PreparedStatement ps = c.prepareStatement("INSERT INTO lat_t SELECT g, g % 1000,"
                                            + " g * 7, md5(g::text), 'row ' || g, g / 100.0, timestamptz '2024-01-01"
                                            + " 00:00:00+00' + g * interval '1 second', g % 2 = 0, g * 0.5,"
                                            + " md5(g::text)::uuid FROM generate_series(?::bigint, ?::bigint) g")) {
                                c.setAutoCommit(true);
                                for (int k = first; k < total; k += writers) {
                                    long due = start + (long) k * 1_000_000_000L / rate;
                                    long wait = due - System.nanoTime();
                                    if (wait > 0) {
                                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                                    } else {
                                        maxBehindMicros.accumulateAndGet(-wait / 1000, Math::max);
                                    }
                                    ps.setLong(1, (long) k * rowsPerTxn + 1);
                                    ps.setLong(2, (long) (k + 1) * rowsPerTxn);
                                    ps.executeUpdate();
                                    clientCommitted[k] = nowMicros();
                                }
                            } catch (Throwable e) {
                                writerFailure.compareAndSet(null, e);
                            }
                        }, "bench-writer-" + w);
                        t.start();
                        threads.add(t);
                    }

                    // The observer: rows of transactions not seen yet, from the oldest unseen one on.
                    int low = 0;
                    long deadline = System.nanoTime() + Duration.ofSeconds(warmup + seconds + 120L).toNanos();
                    emuBefore = null;
                    blobsBefore = 0;
                    long nextProgress = System.nanoTime() + 5_000_000_000L;
                    while (low < total && System.nanoTime() < deadline && writerFailure.get() == null
                            && source.failure().isEmpty()) {
                        if (System.nanoTime() >= nextProgress) {
                            nextProgress += 5_000_000_000L;
                            // where a backlog sits: PostgreSQL writers, the source (accepted), or the sink (visible)
                            long written = Arrays.stream(clientCommitted).filter(v -> v != 0).count();
                            System.out.printf(Locale.ROOT, "[bench] latency progress at %.0f s: written %d (due %d),"
                                            + " accepted by the sink %d, visible %d, durable %d; emulator %d write/blobs"
                                            + " requests; time inside the sink's accept %.1f s, on CPU %.1f s (longest call %.0f ms); %s%n",
                                    (System.nanoTime() - start) / 1e9, written,
                                    Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L),
                                    byCommitLsn.size() - 1, low, durableAt.size(), emu.blobRequestsCommitted(),
                                    timing.acceptNanos.get() / 1e9, timing.acceptCpuNanos.get() / 1e9,
                                    timing.acceptMaxNanos.get() / 1e6,
                                    BenchSupport.machine());
                        }
                        if (emuBefore == null && System.nanoTime() - start >= warmup * 1_000_000_000L) {
                            emuBefore = emu.ingestProfile();
                            blobsBefore = emu.blobRequestsCommitted();
                        }
                        long q0 = nowMicros();
                        List<List<String>> rows = emu.sql("SELECT ID FROM DB.S.LAT_T_HISTORY WHERE ID > "
                                + ((long) low * rowsPerTxn)).rows();
                        long q1 = nowMicros();
                        queryMicros.add(q1 - q0);
                        for (List<String> r : rows) {
                            long id = Long.parseLong(r.get(0));
                            if ((id - 1) % rowsPerTxn == 0) {
                                int k = (int) ((id - 1) / rowsPerTxn);
                                if (visible[k] == 0) {
                                    visible[k] = q1;
                                }
                            }
                        }
                        while (low < total && visible[low] != 0) {
                            low++;
                        }
                        long sleep = pollMs * 1000 - (nowMicros() - q0);
                        if (sleep > 0) {
                            Thread.sleep(sleep / 1000, (int) (sleep % 1000) * 1000);
                        }
                    }
                    emuAfter = emu.ingestProfile();
                    blobsAfter = emu.blobRequestsCommitted();
                    for (Thread t : threads) {
                        t.join();
                    }
                    assertThat(writerFailure.get()).isNull();
                    assertThat(source.failure()).isEmpty();
                    assertThat(low).as("transactions visible within 120 s after the schedule ended (the progress lines show where a backlog sat)").isEqualTo(total);
                    long endMicros = Arrays.stream(clientCommitted).max().orElseThrow();
                    System.out.printf(Locale.ROOT, "[bench] latency: writers achieved %.0f txn/s over %.1f s"
                                    + " (scheduled %d), at most %.0f ms behind schedule%n",
                            total / ((endMicros - startMicros) / 1e6), (endMicros - startMicros) / 1e6, rate,
                            maxBehindMicros.get() / 1000.0);
                    // durability follows visibility by the sink's commit poll interval
                    BenchSupport.await(() -> durableAt.size() >= byCommitLsn.size() || source.failure().isPresent(),
                            30, () -> durableAt.size() + " of " + byCommitLsn.size() + " durable");
                }
                sink.close();
                acceptWallNanos = timing.acceptNanos.get();
                acceptCpuNanos = timing.acceptCpuNanos.get();
            }
            slots.dropAll();

            // Match each measured transaction's rows to the commit LSN the sink saw: _ETL_LSN of its first row.
            List<Long> commitToVisible = new ArrayList<>();
            List<Long> commitToAccept = new ArrayList<>();
            List<Long> acceptToVisible = new ArrayList<>();
            List<Long> commitToDurable = new ArrayList<>();
            List<Long> clientToVisible = new ArrayList<>();
            List<Long> pgToClientReturn = new ArrayList<>();
            long firstId = (long) firstMeasured * rowsPerTxn + 1;
            for (List<String> r : emu.sql("SELECT ID, _ETL_LSN FROM DB.S.LAT_T_HISTORY WHERE ID >= " + firstId
                    + " AND _ETL_SEQ = 0").rows()) {
                int k = (int) ((Long.parseLong(r.get(0)) - 1) / rowsPerTxn);
                long lsn = Long.parseUnsignedLong(r.get(1));
                long[] st = byCommitLsn.get(lsn);
                assertThat(st).as("sink saw commit LSN %s", r.get(1)).isNotNull();
                commitToVisible.add(visible[k] - st[0]);
                commitToAccept.add(st[1] - st[0]);
                acceptToVisible.add(visible[k] - st[1]);
                clientToVisible.add(visible[k] - clientCommitted[k]);
                pgToClientReturn.add(clientCommitted[k] - st[0]);
                Long dur = durableAt.get(lsn);
                if (dur != null) {
                    commitToDurable.add(dur - st[0]);
                }
            }
            assertThat(commitToVisible).hasSize(total - firstMeasured);
            Collections2.sortAll(commitToVisible, commitToAccept, acceptToVisible, commitToDurable, clientToVisible,
                    pgToClientReturn, queryMicros);
            long blobs = blobsAfter - blobsBefore;
            System.out.printf(Locale.ROOT, "[bench] latency RESULT %d txn/s x %d rows (%d transactions measured, %s):"
                            + " commit -> visible p50 %s, p99 %s, max %s (targets p50 <= 2 s: %s, p99 <= 5 s: %s)%n",
                    rate, rowsPerTxn, commitToVisible.size(), BenchSupport.machine(), ms(commitToVisible, 50),
                    ms(commitToVisible, 99), ms(commitToVisible, 100),
                    pct(commitToVisible, 50) <= 2_000_000 ? "met" : "missed",
                    pct(commitToVisible, 99) <= 5_000_000 ? "met" : "missed");
            System.out.printf(Locale.ROOT, "[bench] latency stages p50/p99/max: PG commit -> sink accept %s/%s/%s;"
                            + " sink accept -> visible %s/%s/%s; PG commit -> durable (confirmable) %s/%s/%s;"
                            + " PG commit -> writer's commit returned %s/%s/%s%n",
                    ms(commitToAccept, 50), ms(commitToAccept, 99), ms(commitToAccept, 100), ms(acceptToVisible, 50),
                    ms(acceptToVisible, 99), ms(acceptToVisible, 100), ms(commitToDurable, 50),
                    ms(commitToDurable, 99), ms(commitToDurable, 100), ms(pgToClientReturn, 50),
                    ms(pgToClientReturn, 99), ms(pgToClientReturn, 100));
            System.out.printf(Locale.ROOT, "[bench] latency resolution: poll every %d ms, query p50 %s, max %s"
                            + " (a latency is at most poll interval + query time above the true one, never below);"
                            + " emulator over the measured part: %d write/blobs requests (%.1f/s), handling %.1f ms"
                            + " wall / %.1f ms CPU per request, DuckDB append %.1f ms per request; flush limiter %d"
                            + " statements, %d waited; delivery thread inside the sink's accept: %.0f us wall, %.0f us CPU"
                            + " per transaction (whole run)%n",
                    pollMs, ms(queryMicros, 50), ms(queryMicros, 100), blobs, blobs / (double) seconds,
                    blobs == 0 ? 0 : (emuAfter[0] - emuBefore[0]) / 1e6 / blobs,
                    blobs == 0 ? 0 : (emuAfter[1] - emuBefore[1]) / 1e6 / blobs,
                    blobs == 0 ? 0 : (emuAfter[2] - emuBefore[2]) / 1e6 / blobs, limiter.runs(), limiter.contended(),
                    acceptWallNanos / 1e3 / byCommitLsn.size(), acceptCpuNanos / 1e3 / byCommitLsn.size());
        }
    }

    static long nowMicros() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }

    static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = p >= 100 ? sorted.size() - 1 : (int) Math.min(sorted.size() - 1, (long) sorted.size() * p / 100);
        return sorted.get(i);
    }

    static String ms(List<Long> sortedMicros, int p) {
        long v = pct(sortedMicros, p);
        return v < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f ms", v / 1000.0);
    }

    /** Sorting several lists in place. */
    static final class Collections2 {
        @SafeVarargs
        static void sortAll(List<Long>... lists) {
            for (List<Long> l : lists) {
                java.util.Collections.sort(l);
            }
        }

        private Collections2() {}
    }

    /** Passes everything to the real sink and notes when each transaction reached it and became durable. */
    static final class TimingSink implements ChangeSink {
        private final SnowflakeSink delegate;
        private final ConcurrentHashMap<Long, long[]> byCommitLsn;
        private final ConcurrentHashMap<Long, Long> durableAt;
        // endLsn -> commitLsn, in commit order, for the durability callback
        private final java.util.concurrent.ConcurrentSkipListMap<Long, Long> pending =
                new java.util.concurrent.ConcurrentSkipListMap<>(Long::compareUnsigned);

        TimingSink(SnowflakeSink delegate, ConcurrentHashMap<Long, long[]> byCommitLsn,
                ConcurrentHashMap<Long, Long> durableAt) {
            this.delegate = delegate;
            this.byCommitLsn = byCommitLsn;
            this.durableAt = durableAt;
        }

        @Override
        public void open(Durability durability) throws Exception {
            delegate.open(new Durability() {
                @Override
                public void durable(long endLsn) {
                    long now = nowMicros();
                    var done = pending.headMap(endLsn, true);
                    for (Long commitLsn : done.values()) {
                        durableAt.putIfAbsent(commitLsn, now);
                    }
                    done.clear();
                    durability.durable(endLsn);
                }

                @Override
                public void snapshotDurable(TableId table) {
                    durability.snapshotDurable(table);
                }
            });
        }

        /** Time the source's delivery thread spent inside the real sink's accept (ns), and the longest call. */
        final AtomicLong acceptNanos = new AtomicLong();
        final AtomicLong acceptMaxNanos = new AtomicLong();
        /** CPU the delivery thread used inside the real sink's accept (ns): wall minus this = waiting or starved. */
        final AtomicLong acceptCpuNanos = new AtomicLong();
        private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();

        @Override
        public void accept(ChangeEvent event) throws Exception {
            long t0 = System.nanoTime();
            long c0 = threads.getCurrentThreadCpuTime();
            try {
                record(event);
                delegate.accept(event);
            } finally {
                acceptCpuNanos.addAndGet(threads.getCurrentThreadCpuTime() - c0);
                long dt = System.nanoTime() - t0;
                acceptNanos.addAndGet(dt);
                acceptMaxNanos.accumulateAndGet(dt, Math::max);
            }
        }

        private void record(ChangeEvent event) {
            if (event instanceof TransactionCommitted tc) {
                Instant c = tc.commitTime();
                byCommitLsn.put(tc.commitLsn(), new long[] {c.getEpochSecond() * 1_000_000L + c.getNano() / 1000,
                        nowMicros()});
                pending.put(tc.endLsn(), tc.commitLsn());
            }
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
}
