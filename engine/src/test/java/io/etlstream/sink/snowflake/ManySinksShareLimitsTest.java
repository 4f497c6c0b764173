package io.etlstream.sink.snowflake;

import static io.etlstream.sink.snowflake.SinkFixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.SchemaChange;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.catalog.Destination;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkEvents;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.SinkThreads;
import io.etlstream.sink.snowflake.SinkFixture.RecordingDurability;
import io.etlstream.sink.snowflake.SinkFixture.Txn;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/**
 * Twenty pipelines on one destination: the flush limiter bounds their hand-offs into the SDK (never more than its
 * permits at once), and their sinks share the engine-wide scheduler, so the engine's thread count does not grow with
 * the number of pipelines (the SDK client, one per destination, keeps its own threads).
 */
class ManySinksShareLimitsTest {

    static final int PIPELINES = 20;
    static final int TXNS = 8;
    static final int ROWS = 200;

    @Test
    void twentyPipelinesStayWithinTheFlushPermitsAndAddNoThreads() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair key = g.generateKeyPair();
        FlushLimiter limiter = new FlushLimiter(2);
        ScheduledExecutorService shared = SinkThreads.create(limiter);
        ((java.util.concurrent.ScheduledThreadPoolExecutor) shared).prestartAllCoreThreads(); // the engine's, fixed
        // The pipelines' own threads (each runs its accept loop): started before the baseline, as a running engine's
        // pipeline threads are not the sink's doing.
        ThreadPoolExecutor drivers = new ThreadPoolExecutor(PIPELINES, PIPELINES, 1, TimeUnit.MINUTES,
                new LinkedBlockingQueue<>());
        drivers.prestartAllCoreThreads();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        // The engine's threads: every thread but the in-process emulator's (it stands for a remote service).
        java.util.concurrent.atomic.AtomicInteger enginePeak = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                enginePeak.accumulateAndGet(notSdk(engineThreads()), Math::max);
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "thread-sampler");
        sampler.setDaemon(true);
        sampler.start();
        List<SnowflakeSink> sinks = new ArrayList<>();
        try (SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("ETL",
                key.getPublic()));
                BufferAllocator alloc = new RootAllocator()) {
            emu.sql("CREATE DATABASE IF NOT EXISTS DB");
            emu.sql("CREATE SCHEMA IF NOT EXISTS DB.MANY");
            Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", "DB", "MANY",
                    "k");
            SinkOptions options = SinkOptions.DEFAULT.withMergeInterval(Duration.ofSeconds(2));
            try (SnowflakeDestination dest = SnowflakeDestination.open(d, key.getPrivate(), SnowpipeTuning.DEFAULT,
                    limiter, shared)) {
                // Pipeline 0 first, alone, until durable: the SDK client has started its own threads.
                List<RecordingDurability> durs = new ArrayList<>();
                List<TableSchema> schemas = new ArrayList<>();
                for (int p = 0; p < PIPELINES; p++) {
                    schemas.add(new TableSchema(new TableId("public", "many_" + p), 1000 + p, 'd', List.of(
                            new RelationColumn(true, "id", 23, -1), new RelationColumn(false, "v", 25, -1)), 1));
                    durs.add(new RecordingDurability());
                }
                SnowflakeSink first = dest.openSink("many0", options, SinkEvents.NONE);
                sinks.add(first);
                first.open(durs.get(0));
                List<Txn> warm = txns(schemas.get(0), 0, 1);
                SinkFixture.replay(first, alloc, List.of(initial(schemas.get(0))), warm, 0);
                await(() -> durs.get(0).durable.get() == warm.get(0).endLsn());
                int before = mx.getThreadCount();
                mx.resetPeakThreadCount();
                java.util.Set<String> engineBefore = engineThreads();
                enginePeak.set(notSdk(engineBefore));

                for (int p = 1; p < PIPELINES; p++) {
                    SnowflakeSink s = dest.openSink("many" + p, options, SinkEvents.NONE);
                    sinks.add(s);
                    s.open(durs.get(p));
                }
                // Both flush permits are held while the pipelines start, so their first hand-offs must wait and the
                // bound is checked under real competition (left to chance, 20 pipelines on 2 cores once never met).
                java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(2);
                java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
                List<Future<?>> holders = new ArrayList<>();
                for (int h = 0; h < 2; h++) {
                    holders.add(drivers.submit(() -> limiter.flush(() -> {
                        held.countDown();
                        release.await();
                        return null;
                    })));
                }
                assertThat(held.await(30, TimeUnit.SECONDS)).as("the test holds both flush permits").isTrue();
                List<Future<?>> runs = new ArrayList<>();
                List<List<Txn>> work = new ArrayList<>();
                for (int p = 0; p < PIPELINES; p++) {
                    int pp = p;
                    List<Txn> t = txns(schemas.get(p), 1, TXNS);
                    work.add(t);
                    runs.add(drivers.submit(() -> {
                        SinkFixture.replay(sinks.get(pp), alloc, List.of(initial(schemas.get(pp))), t, 0);
                        return null;
                    }));
                }
                await(() -> limiter.flushesContended() > 0);
                release.countDown();
                for (Future<?> f : holders) {
                    f.get(1, TimeUnit.MINUTES);
                }
                for (Future<?> f : runs) {
                    f.get(5, TimeUnit.MINUTES);
                }
                for (int p = 0; p < PIPELINES; p++) {
                    long last = work.get(p).get(work.get(p).size() - 1).endLsn();
                    RecordingDurability dur = durs.get(p);
                    await(() -> dur.durable.get() == last);
                }
                Thread.sleep(2500); // a merge interval: every sink's MERGE ran on the shared scheduler
                int after = mx.getThreadCount();
                int peak = mx.getPeakThreadCount();
                java.util.Set<String> engineAfter = engineThreads();
                java.util.Set<String> added = new java.util.TreeSet<>(engineAfter);
                added.removeAll(engineBefore);
                System.out.printf("[many-sinks] %d pipelines: JVM threads %d with one pipeline, %d with all (peak %d,"
                        + " the in-process emulator's HTTP pool included); without the emulator's: %d -> %d,"
                        + " peak besides the destination clients' pools %d; new: %s%n", PIPELINES, before, after, peak,
                        engineBefore.size(), engineAfter.size(), enginePeak.get(), added);
                System.out.printf("[many-sinks] SDK hand-offs %d, %d waited for a permit, peak in flight %d of %d"
                        + " permits; SQL statements %d, peak in flight %d%n",
                        limiter.flushes(), limiter.flushesContended(), limiter.peakConcurrentFlushes(), limiter.size(),
                        limiter.runs(), limiter.peakConcurrentStatements());

                assertThat(limiter.flushes()).as("every batch went through the limiter")
                        .isGreaterThanOrEqualTo((long) PIPELINES * (TXNS - 1));
                assertThat(limiter.flushesContended()).as("pipelines really competed for the permits").isPositive();
                assertThat(limiter.peakConcurrentFlushes()).isLessThanOrEqualTo(2);
                assertThat(limiter.peakConcurrentStatements()).isLessThanOrEqualTo(2);
                // Nothing per pipeline. The SDK client (one per destination) grows its own build/upload pool under
                // load, up to its own bound, and the SQL API's JDK HttpClient (one per destination) its workers:
                // the destination's client threads, not the pipelines'.
                List<String> ours = added.stream().filter(ManySinksShareLimitsTest::ours).toList();
                assertThat(ours).as("threads added by %s more pipelines, besides the destination clients' own",
                        PIPELINES - 1).isEmpty();
                assertThat(enginePeak.get()).as("peak of the engine's threads besides the destination clients',"
                        + " while all %s pipelines ran", PIPELINES).isEqualTo(notSdk(engineBefore));
                assertThat(count(emu, "SELECT COUNT(*) FROM MANY_7_HISTORY")).isEqualTo((long) (TXNS - 1) * ROWS);

                for (SnowflakeSink s : sinks) {
                    s.close();
                }
            }
        } finally {
            sampling.set(false);
            drivers.shutdownNow();
            shared.shutdownNow();
        }
    }

    static java.util.Set<String> engineThreads() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.getName().startsWith("sf-emulator-")) {
                names.add(t.getName() + "#" + t.getId());
            }
        }
        return names;
    }

    /** Threads not of the destination's clients: the SDK's pools ({@code ingest-...}), the SQL API's HttpClient. */
    static boolean ours(String name) {
        return !name.startsWith("ingest-") && !name.startsWith("HttpClient-");
    }

    static int notSdk(java.util.Set<String> names) {
        return (int) names.stream().filter(ManySinksShareLimitsTest::ours).count();
    }

    static long count(SnowflakeEmulator emu, String sql) {
        return Long.parseLong(emu.sql(sql, "DB", "MANY").rows().get(0).get(0));
    }

    static SchemaChange initial(TableSchema s) {
        return new SchemaChange(s.table(), null, s, List.of(), List.of(), List.of(), false);
    }

    /** Transactions {@code from} (inclusive) to {@code to} (exclusive), each inserting {@code ROWS} rows. */
    static List<Txn> txns(TableSchema schema, int from, int to) {
        List<Txn> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            long lsn = 0x7_0000_0000L + i * 10_000L;
            List<Object[]> rows = new ArrayList<>();
            for (int r = 0; r < ROWS; r++) {
                int id = i * ROWS + r;
                rows.add(row('I', TupleData.ofText(Integer.toString(id), "value " + id)));
            }
            List<Consumer<SinkFixture.Emitter>> steps = List.of(e -> e.rows(schema, true, rows));
            out.add(new Txn(lsn, lsn + 40, steps));
        }
        return out;
    }

    static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(50);
        }
    }
}
