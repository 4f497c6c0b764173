package io.etlstream.source.pg;

import io.etlstream.batch.TableId;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child-JVM program for the benchmark: runs a {@link PgSource} (replication stream, decoder, assembler, queue) into a
 * {@link NullSink} until {@code rows} rows arrived, sampling the heap. Args: host port database pipeline schema table
 * rows. Prints {@code RESULT rows=.. peakHeapMB=.. maxHeapMB=.. ms=..}.
 */
public final class PgSourceDrainMain {
    private PgSourceDrainMain() {}

    public static void main(String[] args) throws Exception {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        AtomicLong peak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(mx.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        long rows = Long.parseLong(args[6]);
        TableId table = new TableId(args[4], args[5]);
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        ledger.markCompleted(table); // the slot exists already: stream only
        long t0 = System.nanoTime();
        try (PgPassword pw = PgPassword.none(); NullSink sink = new NullSink()) {
            PgConnector c = new PgConnector(new PgSourceConfig(args[0], Integer.parseInt(args[1]), args[2], "postgres",
                    SslMode.DISABLE, null), pw);
            PgSource.Options o = PgSource.Options.defaults().withMemoryLimit(2L * 1024 * 1024 * 1024)
                    .withHeartbeatInterval(Duration.ZERO);
            try (PgSource s = new PgSource(c, args[3], List.of(table), sink, ledger, o)) {
                s.start();
                while (sink.rows() < rows || sink.transactions() == 0) {
                    if (s.failure().isPresent()) {
                        throw new IllegalStateException(s.failure().get());
                    }
                    Thread.sleep(5);
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            sampler.interrupt();
            System.out.println("RESULT rows=" + sink.rows() + " transactions=" + sink.transactions() + " peakHeapMB="
                    + peak.get() / (1024 * 1024) + " maxHeapMB=" + Runtime.getRuntime().maxMemory() / (1024 * 1024)
                    + " ms=" + ms);
        }
        System.exit(0);
    }
}
