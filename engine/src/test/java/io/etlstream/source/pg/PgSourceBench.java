package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Throughput of the source against the physical limits on one throwaway PostgreSQL: CDC drain of 1M rows (10
 * columns, 1000-row transactions) by the engine into a null sink vs {@code pg_recvlogical}; snapshot of the same 1M
 * rows by the engine's parallel COPY vs one {@code psql} COPY; one 1M-row transaction through the engine under
 * -Xmx256m. A benchmark, not a timed test: run with {@code ./mvnw -o -pl engine test -Pbench -Dtest=PgSourceBench}.
 */
@Tag("bench")
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class PgSourceBench {

    static final int ROWS = 1_000_000;
    static final int TXN_ROWS = 1000;

    @Test
    void cdcSnapshotAndLargeTransaction(PgDatabase db) throws Exception {
        String recv = clientTool("pg_recvlogical");
        String psql = clientTool("psql");
        System.out.println("[bench] server PostgreSQL " + db.queryOne("SHOW server_version") + "; clients: "
                + run(List.of(recv, "--version")).trim() + ", " + run(List.of(psql, "--version")).trim()
                + "; cores: " + Runtime.getRuntime().availableProcessors());
        db.execute("CREATE TABLE bench_t (id bigint PRIMARY KEY, a int, b bigint, c text, d text, e numeric(12,2),"
                + " f timestamptz, g boolean, h double precision, i uuid)");
        TableId table = new TableId("public", "bench_t");
        String conninfo = "host=" + db.host() + " port=" + db.port() + " dbname=" + db.name() + " user=postgres";
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("bench_cdc"));
            slots.ensurePublication(List.of(table));
            slots.createSlotWithSnapshot().close();
            db.execute("SELECT pg_create_logical_replication_slot('bench_recv', 'pgoutput')");
            long t0 = System.nanoTime();
            for (int i = 0; i < ROWS / TXN_ROWS; i++) {
                long from = (long) i * TXN_ROWS + 1;
                db.execute("INSERT INTO bench_t SELECT g, g % 1000, g * 7, md5(g::text), 'row ' || g, g / 100.0,"
                        + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g % 2 = 0, g * 0.5,"
                        + " md5(g::text)::uuid FROM generate_series(" + from + ", " + (from + TXN_ROWS - 1) + ") g");
            }
            String endLsn = db.queryOne("SELECT pg_current_wal_lsn()");
            System.out.printf(Locale.ROOT, "[bench] inserted %d rows in %d transactions in %.1f s%n", ROWS,
                    ROWS / TXN_ROWS, (System.nanoTime() - t0) / 1e9);

            // CDC: pg_recvlogical, then the engine, each on its own slot over the same WAL.
            long r0 = System.nanoTime();
            run(List.of(recv, "-d", conninfo, "-S", "bench_recv", "--start", "-E", endLsn, "--no-loop",
                    "-o", "proto_version=2", "-o", "streaming=on", "-o", "publication_names=" + slots.names().publication(),
                    "-f", "/dev/null"));
            double recvSecs = (System.nanoTime() - r0) / 1e9;
            db.execute("SELECT pg_drop_replication_slot('bench_recv')");

            SnapshotLedger ledger = SnapshotLedger.inMemory();
            ledger.markCompleted(table);
            NullSink sink = new NullSink();
            long e0 = System.nanoTime();
            try (PgSource source = SourceFixture.start(conn, "bench_cdc", List.of(table), sink, ledger,
                    PgSource.Options.defaults().withHeartbeatInterval(Duration.ZERO))) {
                SourceFixture.await(() -> sink.rows() >= ROWS && sink.transactions() >= ROWS / TXN_ROWS
                        || source.failure().isPresent(), Duration.ofMinutes(10), source::toString);
            }
            double engineSecs = (System.nanoTime() - e0) / 1e9;
            assertThat(sink.rows()).isEqualTo(ROWS);
            System.out.printf(Locale.ROOT, "[bench] CDC 1M rows: pg_recvlogical %.0f rows/s (%.1f s), engine -> null sink"
                    + " %.0f rows/s (%.1f s), ratio %.2f (target >= 0.9)%n", ROWS / recvSecs, recvSecs,
                    ROWS / engineSecs, engineSecs, recvSecs / engineSecs);
            slots.dropAll();

            // Snapshot: one psql COPY vs the engine's parallel ctid COPY (4 connections, binary) into a null sink.
            // Vacuumed first, so that neither side sets a million hint bits or races autovacuum (whose ANALYZE also
            // holds up the slot's creation). Each round measures psql and the engine back to back (in alternating
            // order) and prints their ratio, so that both see the same machine; -Dbench.snapshotRounds (default 4).
            // Round 1 is this JVM's first snapshot: its COPY path is interpreted and JIT-compiled on the same 2 cores
            // as PostgreSQL (the CDC run above warmed only the code both share). CPU: the JVM's, psql's, and the
            // server's (all backends).
            db.execute("VACUUM ANALYZE bench_t", "CHECKPOINT");
            ProcessCpu server = ProcessCpu.serverOf(db);
            int rounds = Integer.getInteger("bench.snapshotRounds", 4);
            double[] ratios = new double[rounds];
            for (int round = 1; round <= rounds; round++) {
                SnapshotBench.Run ps;
                SnapshotBench.Run e;
                if (round % 2 == 1) {
                    ps = SnapshotBench.psql(psql, db, server);
                    e = SnapshotBench.engine(conn, table, SnapshotCopier.Format.BINARY, 4, server);
                } else {
                    e = SnapshotBench.engine(conn, table, SnapshotCopier.Format.BINARY, 4, server);
                    ps = SnapshotBench.psql(psql, db, server);
                }
                ratios[round - 1] = ps.wallSecs() / e.wallSecs();
                System.out.printf(Locale.ROOT, "[bench] snapshot 1M rows, round %d%s: psql COPY %.0f rows/s (%.2f s; CPU"
                        + " psql %.2f s + server %.2f s), engine 4 x ctid COPY (binary) -> Arrow -> null sink %.0f rows/s"
                        + " (%.2f s; CPU JVM %.2f s, of which JIT %.2f, + server %.2f s), ratio %.2f; load average %s%n",
                        round, round == 1 ? " (the JVM's first snapshot)" : "", ROWS / ps.wallSecs(), ps.wallSecs(),
                        ps.clientCpuSecs(), ps.serverCpuSecs(), ROWS / e.wallSecs(), e.wallSecs(), e.clientCpuSecs(),
                        e.jitCpuSecs(), e.serverCpuSecs(), ratios[round - 1], SnapshotBench.loadAverage());
            }
            double[] sorted = ratios.clone();
            Arrays.sort(sorted);
            double median = rounds % 2 == 1 ? sorted[rounds / 2] : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
            System.out.printf(Locale.ROOT, "[bench] snapshot 1M rows: ratio engine/psql per round %s; median %.2f,"
                    + " lowest %.2f, first snapshot %.2f (target >= 1.5)%n", Arrays.toString(
                    Arrays.stream(ratios).map(r -> Math.round(r * 100) / 100.0).toArray()), median, sorted[0],
                    ratios[0]);

            // One 1M-row transaction through the whole source in a JVM with -Xmx256m.
            db.execute("CREATE TABLE bench_big (id int PRIMARY KEY, v text, n numeric(10,2), ts timestamptz)");
            TableId big = new TableId("public", "bench_big");
            SlotManager bigSlots = new SlotManager(conn, ReplicationNames.forPipeline("bench_big"));
            bigSlots.ensurePublication(List.of(big));
            bigSlots.createSlotWithSnapshot().close();
            db.execute("INSERT INTO bench_big SELECT i, md5(i::text) || md5((i + 1)::text), i / 100.0,"
                    + " timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' FROM generate_series(1, " + ROWS + ") i");
            List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin"
                    + File.separator + "java", "-Xmx256m", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "-Dfile.encoding=UTF-8", "-cp", System.getProperty("java.class.path"), PgSourceDrainMain.class.getName(),
                    db.host(), String.valueOf(db.port()), db.name(), "bench_big", "public", "bench_big", String.valueOf(ROWS)));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
            Matcher m = Pattern.compile("RESULT rows=(\\d+) transactions=(\\d+) peakHeapMB=(\\d+) maxHeapMB=(\\d+) ms=(\\d+)")
                    .matcher(out);
            assertThat(m.find()).as(out).isTrue();
            System.out.println("[bench] 1M-row transaction through PgSource under -Xmx256m: " + m.group());
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(Long.parseLong(m.group(1))).isEqualTo(ROWS);
            PgSource.removePipeline(conn, "bench_big");
        }
    }

    /** The client tool from PATH; installs Debian's postgresql-client when it is missing. */
    static String clientTool(String name) throws Exception {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        System.out.println("[bench] " + name + " missing: installing Debian's postgresql-client");
        // A fresh image has no package lists yet: without the update, install finds no candidate.
        run(List.of("apt-get", "update", "-q"));
        run(List.of("apt-get", "install", "-y", "-q", "postgresql-client"));
        File f = new File("/usr/bin", name);
        if (!f.canExecute()) {
            throw new IllegalStateException(name + " still missing after apt-get install postgresql-client");
        }
        return f.getPath();
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false)
                .redirectOutput(cmd.contains("COPY public.bench_t TO STDOUT") ? ProcessBuilder.Redirect.DISCARD
                        : ProcessBuilder.Redirect.PIPE)
                .start();
        String out = cmd.contains("COPY public.bench_t TO STDOUT") ? ""
                : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + err + out);
        }
        return out;
    }
}
