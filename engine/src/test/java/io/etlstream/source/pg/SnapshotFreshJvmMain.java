package io.etlstream.source.pg;

import io.etlstream.batch.TableId;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;

/**
 * Child-JVM program for {@link SnapshotBench}: the first thing a fresh JVM does is one snapshot of a table through a
 * {@link PgSource} into a {@link NullSink}, as a headless engine started on a server would. Args: host port database
 * schema table connections. Prints {@code RESULT rows=.. wallMs=.. cpuMs=.. jitMs=.. uptimeMs=..}: the snapshot's
 * wall time and the JVM's CPU (all threads; JIT compiler threads apart) from the source's creation to its close, and
 * how long the JVM had been up when the source was created.
 */
public final class SnapshotFreshJvmMain {
    private SnapshotFreshJvmMain() {}

    public static void main(String[] args) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long uptimeMs = ManagementFactory.getRuntimeMXBean().getUptime();
        TableId table = new TableId(args[3], args[4]);
        NullSink sink = new NullSink();
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        long jit0 = ProcessCpu.jvmThreadsNanos(SnapshotBench.JIT_THREADS);
        long cpu0 = os.getProcessCpuTime();
        long s0 = System.nanoTime();
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = new PgConnector(new PgSourceConfig(args[0], Integer.parseInt(args[1]), args[2],
                    "postgres", SslMode.DISABLE, null), pw);
            try {
                try (PgSource source = new PgSource(conn, "bench_fresh", List.of(table), sink, ledger,
                        PgSource.Options.defaults().withHeartbeatInterval(Duration.ZERO)
                                .withSnapshotConnections(Integer.parseInt(args[5])), SnapshotCopier.Format.BINARY)) {
                    source.start();
                    long end = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                    while (!ledger.completed().contains(table)) {
                        if (source.failure().isPresent()) {
                            throw new IllegalStateException(source.failure().get());
                        }
                        if (System.nanoTime() > end) {
                            throw new IllegalStateException("timed out: " + source);
                        }
                        Thread.sleep(2);
                    }
                }
                long s1 = System.nanoTime();
                long cpu = os.getProcessCpuTime() - cpu0;
                long jit = ProcessCpu.jvmThreadsNanos(SnapshotBench.JIT_THREADS) - jit0;
                System.out.println("RESULT rows=" + sink.rows() + " wallMs=" + (s1 - s0) / 1_000_000 + " cpuMs="
                        + cpu / 1_000_000 + " jitMs=" + jit / 1_000_000 + " uptimeMs=" + uptimeMs);
            } finally {
                PgSource.removePipeline(conn, "bench_fresh"); // also after a failure: the next run must copy afresh
            }
        }
        System.exit(0);
    }
}
