package io.etlstream.sink.snowflake;

import static io.etlstream.sink.snowflake.SinkFixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.SchemaChange;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.catalog.Destination;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkEvents;
import io.etlstream.sink.SinkOptions;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Commit latency through the sink (accept of a transaction → durable reported) at a steady rate, real SDK against
 * the emulator. Run: ./mvnw -o -pl engine -am test -Pbench -Dtest=SinkLatencyBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 */
@Tag("bench")
class SinkLatencyBenchmark {

    @Test
    void commitLatencyAtTenThousandRowsPerSecond() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair key = g.generateKeyPair();
        int rowsPerTxn = Integer.getInteger("bench.rowsPerTxn", 100);
        int txnsPerSecond = Integer.getInteger("bench.txnsPerSecond", 100);
        int seconds = Integer.getInteger("bench.seconds", 20);
        try (SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("ETL", key.getPublic()));
                RootAllocator alloc = new RootAllocator()) {
            emu.sql("CREATE DATABASE IF NOT EXISTS DB");
            emu.sql("CREATE SCHEMA IF NOT EXISTS DB.S");
            Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", "DB", "S", "k");
            TableSchema t = new TableSchema(new TableId("public", "lat"), 1, 'd', List.of(
                    new RelationColumn(true, "id", 20, -1), new RelationColumn(false, "v", 25, -1),
                    new RelationColumn(false, "n", 1700, ((12 << 16) | 2) + 4)), 1);
            Map<Long, Long> sentAt = new ConcurrentHashMap<>();
            List<Long> latenciesMs = Collections.synchronizedList(new ArrayList<>());
            try (SnowflakeDestination dest = SnowflakeDestination.open(d, key.getPrivate(), SnowpipeTuning.DEFAULT,
                    new FlushLimiter(2))) {
                SnowflakeSink sink = dest.openSink("bench", SinkOptions.DEFAULT, SinkEvents.NONE);
                sink.open(new ChangeSink.Durability() {
                    long last;

                    @Override
                    public synchronized void durable(long endLsn) {
                        long now = System.nanoTime();
                        for (Map.Entry<Long, Long> e : sentAt.entrySet()) {
                            if (e.getKey() > last && e.getKey() <= endLsn) {
                                latenciesMs.add((now - e.getValue()) / 1_000_000);
                            }
                        }
                        last = endLsn;
                    }

                    @Override
                    public void snapshotDurable(TableId table) { }
                });
                sink.accept(new SchemaChange(t.table(), null, t, List.of(), List.of(), List.of(), false));
                long start = System.nanoTime();
                long id = 0;
                int total = txnsPerSecond * seconds;
                for (int i = 0; i < total; i++) {
                    long due = start + i * 1_000_000_000L / txnsPerSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    long lsn = 0x10_0000_0000L + i * 10_000L;
                    List<Object[]> rows = new ArrayList<>();
                    for (int k = 0; k < rowsPerTxn; k++) {
                        id++;
                        rows.add(row('I', TupleData.ofText(Long.toString(id), "value " + id, "12.34")));
                    }
                    List<io.etlstream.batch.ChangeEvent> events = new ArrayList<>();
                    new SinkFixture.Emitter(alloc, lsn, events).rows(t, true, rows);
                    for (var e : events) {
                        sink.accept(e);
                    }
                    sentAt.put(lsn + 40, System.nanoTime());
                    sink.accept(new TransactionCommitted(lsn, lsn + 40, Instant.now()));
                }
                long lastEnd = 0x10_0000_0000L + (total - 1) * 10_000L + 40;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (sink.durableLsn() != lastEnd && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                sink.close();
                List<Long> l = new ArrayList<>(latenciesMs);
                Collections.sort(l);
                assertThat(l).hasSize(total);
                System.out.printf("BENCH sink commit latency: %d txns x %d rows at %d txn/s: p50 %d ms, p90 %d ms,"
                                + " p99 %d ms, max %d ms%n", total, rowsPerTxn, txnsPerSecond, l.get(l.size() / 2),
                        l.get(l.size() * 9 / 10), l.get(l.size() * 99 / 100), l.get(l.size() - 1));
            }
        }
    }
}
