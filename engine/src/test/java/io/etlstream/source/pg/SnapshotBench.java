package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The snapshot alone, for profiling: the {@link PgSourceBench} table (1M rows, 10 columns; another size with
 * {@code -Dbench.rows}), one {@code psql} COPY to /dev/null, then the engine's ctid COPY into a null sink through a
 * whole {@link PgSource}, for each configuration of {@code -Dbench.configs} (default
 * {@code BINARY:4,BINARY:2,TEXT:4,TEXT:2}), repeated {@code -Dbench.rounds} times.
 *
 * <p>Per run it prints wall time, the ratio to psql, and CPU: the JVM's (engine) or psql's own (client), and the
 * PostgreSQL server's (postmaster and all its children, from /proc). The engine's first run in this JVM is labeled
 * {@code cold}: it pays class loading and JIT compilation on the same cores; later runs are {@code warm}. The engine
 * wall time is split into set-up (slot with exported snapshot, planning, first worker attached), copy (first chunk
 * to the last batch queued), and hand-over + stop (until the ledger has the table and the source is closed).
 * {@code ./mvnw -B -o -pl engine -am test -Pbench -Dtest=SnapshotBench -Dsurefire.failIfNoSpecifiedTests=false
 * -Dbench.rounds=3}
 */
@Tag("bench")
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class SnapshotBench {

    /** Rows in the table: -Dbench.rows, default {@link PgSourceBench#ROWS}. */
    static final int ROWS = Integer.getInteger("bench.rows", PgSourceBench.ROWS);

    /** One measured run. */
    record Run(double wallSecs, double clientCpuSecs, double serverCpuSecs, double setupSecs, double copySecs,
            double stopSecs, double jitCpuSecs, double gcCpuSecs) {
        double totalCpuSecs() {
            return clientCpuSecs + serverCpuSecs;
        }
    }

    @Test
    void snapshotTextVsBinary(PgDatabase db) throws Exception {
        String psql = PgSourceBench.clientTool("psql");
        db.execute(BENCH_TABLE, "INSERT INTO bench_t SELECT g, g % 1000, g * 7, md5(g::text), 'row ' || g, g / 100.0,"
                + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g % 2 = 0, g * 0.5,"
                + " md5(g::text)::uuid FROM generate_series(1, " + ROWS + ") g");
        if (Boolean.parseBoolean(System.getProperty("bench.vacuum", "true"))) {
            db.execute("VACUUM ANALYZE bench_t"); // without it the first reader sets every row's hint bits
        }
        db.execute("CHECKPOINT");
        TableId table = new TableId("public", "bench_t");
        int rounds = Integer.getInteger("bench.rounds", 2);
        List<String[]> configs = new ArrayList<>();
        for (String c : System.getProperty("bench.configs", "BINARY:4,BINARY:2,TEXT:4,TEXT:2").split(",")) {
            configs.add(c.trim().split(":"));
        }
        System.out.println("[bench] cores: " + Runtime.getRuntime().availableProcessors() + "; load average at start: "
                + loadAverage());
        ProcessCpu server = ProcessCpu.serverOf(db);
        if (Boolean.getBoolean("bench.serverVariants")) {
            serverVariants(psql, db, server);
        }
        boolean cold = true;
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            for (int round = 0; round < rounds; round++) {
                Run p = psql(psql, db, server);
                System.out.printf(Locale.ROOT, "[bench] round %d: psql COPY (text) %.0f rows/s (%.2f s; CPU: psql %.2f s,"
                        + " server %.2f s, total %.2f s)%n", round, ROWS / p.wallSecs(), p.wallSecs(),
                        p.clientCpuSecs(), p.serverCpuSecs(), p.totalCpuSecs());
                for (String[] c : configs) {
                    SnapshotCopier.Format format = SnapshotCopier.Format.valueOf(c[0]);
                    int connections = Integer.parseInt(c[1]);
                    if (c.length > 2 && c[2].equals("fresh")) {
                        freshJvm(db, connections, p, server, round);
                        continue;
                    }
                    Run e = engine(conn, table, format, connections, server);
                    System.out.printf(Locale.ROOT, "[bench] round %d: engine %s x%d %s %.0f rows/s (%.2f s = set-up %.2f +"
                            + " copy %.2f + hand-over/stop %.2f; CPU: JVM %.2f s (of which JIT compiler threads %.2f, GC %.2f),"
                            + " server %.2f s, total %.2f s), ratio to psql %.2f wall, %.2f total CPU%n", round, format,
                            connections, cold ? "cold" : "warm", ROWS / e.wallSecs(), e.wallSecs(),
                            e.setupSecs(), e.copySecs(), e.stopSecs(), e.clientCpuSecs(), e.jitCpuSecs(), e.gcCpuSecs(),
                            e.serverCpuSecs(), e.totalCpuSecs(), p.wallSecs() / e.wallSecs(),
                            p.totalCpuSecs() / e.totalCpuSecs());
                    cold = false;
                }
            }
        }
        System.out.println("[bench] load average at end: " + loadAverage());
    }

    /**
     * The snapshot as the first work of a fresh JVM ({@link SnapshotFreshJvmMain}, config {@code BINARY:n:fresh}),
     * which pays class loading, static initializers and JIT inside the copy: the process's wall time from its start
     * to its exit, and the snapshot's own wall time and CPU as the child measured them.
     */
    private static void freshJvm(PgDatabase db, int connections, Run psql, ProcessCpu server, int round)
            throws Exception {
        long server0 = server.serverNanos();
        long client0 = ProcessCpu.reapedChildrenNanos();
        long p0 = System.nanoTime();
        File childOut = File.createTempFile("snapshot-fresh-jvm", ".out");
        Process child = new ProcessBuilder(System.getProperty("java.home") + "/bin/java",
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dfile.encoding=UTF-8", "-cp",
                System.getProperty("java.class.path"), SnapshotFreshJvmMain.class.getName(), db.host(),
                String.valueOf(db.port()), db.name(), "public", "bench_t", String.valueOf(connections))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(childOut)).start();
        boolean ended = child.waitFor(10, java.util.concurrent.TimeUnit.MINUTES);
        if (!ended) {
            child.destroyForcibly();
        }
        String out = java.nio.file.Files.readString(childOut.toPath(), java.nio.charset.StandardCharsets.UTF_8);
        childOut.delete();
        assertThat(ended).as("child ended within 10 minutes: " + out).isTrue();
        assertThat(child.exitValue()).as(out).isZero();
        double processSecs = (System.nanoTime() - p0) / 1e9;
        double processCpu = (ProcessCpu.reapedChildrenNanos() - client0) / 1e9;
        Thread.sleep(200);
        double serverCpu = (server.serverNanos() - server0) / 1e9;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "RESULT rows=(\\d+) wallMs=(\\d+) cpuMs=(\\d+) jitMs=(\\d+) uptimeMs=(\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        assertThat(Long.parseLong(m.group(1))).isEqualTo(ROWS);
        double wall = Long.parseLong(m.group(2)) / 1e3;
        System.out.printf(Locale.ROOT, "[bench] round %d: engine BINARY x%d in a fresh JVM: snapshot %.2f s (CPU: JVM"
                + " %.2f s, of which JIT compiler threads %.2f; server %.2f s), ratio to psql %.2f; whole process %.2f s"
                + " (JVM up %.2f s before the source started; process CPU %.2f s)%n", round, connections, wall,
                Long.parseLong(m.group(3)) / 1e3, Long.parseLong(m.group(4)) / 1e3, serverCpu, psql.wallSecs() / wall,
                processSecs, Long.parseLong(m.group(5)) / 1e3, processCpu);
    }

    static final String BENCH_TABLE = "CREATE TABLE bench_t (id bigint PRIMARY KEY, a int, b bigint, c text, d text,"
            + " e numeric(12,2), f timestamptz, g boolean, h double precision, i uuid)";

    /** One {@code psql} COPY of the table in text format to /dev/null, as a user would run it. */
    static Run psql(String psql, PgDatabase db, ProcessCpu server) throws Exception {
        String conninfo = "host=" + db.host() + " port=" + db.port() + " dbname=" + db.name() + " user=postgres";
        long server0 = server.serverNanos();
        long client0 = ProcessCpu.reapedChildrenNanos();
        long p0 = System.nanoTime();
        PgSourceBench.run(List.of(psql, "-X", "-q", "-d", conninfo, "-c", "COPY public.bench_t TO STDOUT"));
        double secs = (System.nanoTime() - p0) / 1e9;
        double client = (ProcessCpu.reapedChildrenNanos() - client0) / 1e9;
        Thread.sleep(200); // the backend exits after psql: let the postmaster reap it
        return new Run(secs, client, (server.serverNanos() - server0) / 1e9, 0, secs, 0, 0, 0);
    }

    /** One snapshot of {@code table} through a new {@link PgSource} into a null sink; drops the slot afterwards. */
    static Run engine(PgConnector conn, TableId table, SnapshotCopier.Format format, int connections,
            ProcessCpu server) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        NullSink sink = new NullSink();
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        long[] copyMarks = new long[2]; // nanoTime of the table's first and last progress report
        // the source's own timing lines (slot creation, planning, workers attached/finished) are INFO log lines
        var log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.etlstream.source.pg");
        var lines = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        lines.start();
        log.addAppender(lines);
        long server0 = server.serverNanos();
        long jit0 = ProcessCpu.jvmThreadsNanos(JIT_THREADS);
        long gc0 = ProcessCpu.jvmThreadsNanos(GC_THREADS);
        long cpu0 = os.getProcessCpuTime();
        long s0 = System.nanoTime();
        try (PgSource source = new PgSource(conn, "bench_snap", List.of(table), sink, ledger,
                PgSource.Options.defaults().withHeartbeatInterval(Duration.ZERO).withSnapshotConnections(connections)
                        .withProgress(pr -> {
                            if (pr.rows() == 0 && !pr.done() && copyMarks[0] == 0) {
                                copyMarks[0] = System.nanoTime();
                            }
                            if (pr.done()) {
                                copyMarks[1] = System.nanoTime();
                            }
                        }), format)) {
            source.start();
            long end = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (!ledger.completed().contains(table) && source.failure().isEmpty()) {
                if (System.nanoTime() > end) {
                    throw new AssertionError("timed out: " + source);
                }
                Thread.sleep(2);
            }
        }
        long s1 = System.nanoTime();
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        double jit = (ProcessCpu.jvmThreadsNanos(JIT_THREADS) - jit0) / 1e9;
        double gc = (ProcessCpu.jvmThreadsNanos(GC_THREADS) - gc0) / 1e9;
        log.detachAppender(lines);
        for (var e : lines.list) {
            String m = e.getFormattedMessage();
            if (m.contains("created slot") || m.contains("snapshot copy")) {
                System.out.println("[bench]   " + m);
            }
        }
        assertThat(sink.rows()).isEqualTo(ROWS);
        Thread.sleep(200); // the worker backends exit after their connections close: let the postmaster reap them
        double serverCpu = (server.serverNanos() - server0) / 1e9;
        PgSource.removePipeline(conn, "bench_snap");
        return new Run((s1 - s0) / 1e9, cpu, serverCpu, (copyMarks[0] - s0) / 1e9, (copyMarks[1] - copyMarks[0]) / 1e9,
                (s1 - copyMarks[1]) / 1e9, jit, gc);
    }

    /**
     * What one COPY costs the server by form, each through psql to /dev/null (-Dbench.serverVariants=true): text vs
     * binary, whole table vs the engine's query form over ctid ranges.
     */
    static void serverVariants(String psql, PgDatabase db, ProcessCpu server) throws Exception {
        String cols = "id, a, b, c, d, e, f, g, h, i";
        int pages = Integer.parseInt(db.queryOne("SELECT pg_relation_size('bench_t') / 8192"));
        String[][] variants = {
            {"text, whole table", "COPY public.bench_t TO STDOUT"},
            {"binary, whole table", "COPY public.bench_t TO STDOUT (FORMAT binary)"},
            {"binary, query form, 1 ctid range", "COPY (SELECT " + cols + " FROM ONLY public.bench_t WHERE ctid >="
                    + " '(0,0)'::tid) TO STDOUT (FORMAT binary)"},
            {"text, query form, 1 ctid range", "COPY (SELECT " + cols + " FROM ONLY public.bench_t WHERE ctid >="
                    + " '(0,0)'::tid) TO STDOUT"},
            {"binary, query form, 4 ctid ranges in one session", String.join("; ",
                    range(cols, 0, pages / 4), range(cols, pages / 4, pages / 2), range(cols, pages / 2, 3 * pages / 4),
                    range(cols, 3 * pages / 4, pages * 2))},
        };
        String conninfo = "host=" + db.host() + " port=" + db.port() + " dbname=" + db.name() + " user=postgres";
        for (int round = 0; round < 2; round++) {
            for (String[] v : variants) {
                long server0 = server.serverNanos();
                long client0 = ProcessCpu.reapedChildrenNanos();
                long p0 = System.nanoTime();
                PgSourceBench.run(List.of(psql, "-X", "-q", "-o", "/dev/null", "-d", conninfo, "-c", v[1]));
                double secs = (System.nanoTime() - p0) / 1e9;
                double client = (ProcessCpu.reapedChildrenNanos() - client0) / 1e9;
                Thread.sleep(200);
                System.out.printf(Locale.ROOT, "[bench] server variant %-50s %.2f s; CPU: psql %.2f s, server %.2f s%n",
                        v[0], secs, client, (server.serverNanos() - server0) / 1e9);
            }
        }
    }

    private static String range(String cols, int from, int to) {
        return "COPY (SELECT " + cols + " FROM ONLY public.bench_t WHERE ctid >= '(" + from + ",0)'::tid AND ctid < '("
                + to + ",0)'::tid) TO STDOUT (FORMAT binary)";
    }

    static final String[] JIT_THREADS = {"C1 CompilerThre", "C2 CompilerThre"};
    private static final String[] GC_THREADS = {"GC Thread", "G1 "};

    static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
