package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The snapshot alone, for profiling: the {@link PgSourceBench} table (1M rows, 10 columns), one {@code psql} COPY
 * to /dev/null, then the engine's ctid COPY into a null sink in text and binary format with 2 and 4 connections,
 * each through a whole {@link PgSource}, alternating and repeated. Prints rows/s, the ratio to psql and the JVM's
 * CPU seconds per run. {@code ./mvnw -B -o test -pl engine -am -Pbench -Dtest=SnapshotBench
 * -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("bench")
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class SnapshotBench {

    @Test
    void snapshotTextVsBinary(PgDatabase db) throws Exception {
        String psql = PgSourceBench.clientTool("psql");
        db.execute("CREATE TABLE bench_t (id bigint PRIMARY KEY, a int, b bigint, c text, d text, e numeric(12,2),"
                + " f timestamptz, g boolean, h double precision, i uuid)",
                "INSERT INTO bench_t SELECT g, g % 1000, g * 7, md5(g::text), 'row ' || g, g / 100.0,"
                + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g % 2 = 0, g * 0.5,"
                + " md5(g::text)::uuid FROM generate_series(1, " + PgSourceBench.ROWS + ") g");
        if (Boolean.parseBoolean(System.getProperty("bench.vacuum", "true"))) {
            db.execute("VACUUM ANALYZE bench_t"); // without it the first reader sets every row's hint bits
        }
        TableId table = new TableId("public", "bench_t");
        String conninfo = "host=" + db.host() + " port=" + db.port() + " dbname=" + db.name() + " user=postgres";
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int rounds = Integer.getInteger("bench.rounds", 2);
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            for (int round = 0; round < rounds; round++) {
                long p0 = System.nanoTime();
                PgSourceBench.run(List.of(psql, "-X", "-q", "-d", conninfo, "-c", "COPY public.bench_t TO STDOUT"));
                double psqlSecs = (System.nanoTime() - p0) / 1e9;
                System.out.printf(Locale.ROOT, "[bench] round %d: psql COPY %.0f rows/s (%.2f s)%n", round,
                        PgSourceBench.ROWS / psqlSecs, psqlSecs);
                for (SnapshotCopier.Format format : SnapshotCopier.Format.values()) {
                    for (int connections : new int[] {2, 4}) {
                        NullSink sink = new NullSink();
                        SnapshotLedger ledger = SnapshotLedger.inMemory();
                        long cpu0 = os.getProcessCpuTime();
                        long s0 = System.nanoTime();
                        try (PgSource source = new PgSource(conn, "bench_snap", List.of(table), sink, ledger,
                                PgSource.Options.defaults().withHeartbeatInterval(Duration.ZERO)
                                        .withSnapshotConnections(connections), format)) {
                            source.start();
                            SourceFixture.await(() -> ledger.completed().contains(table) || source.failure().isPresent(),
                                    Duration.ofMinutes(10), source::toString);
                        }
                        double secs = (System.nanoTime() - s0) / 1e9;
                        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                        assertThat(sink.rows()).isEqualTo(PgSourceBench.ROWS);
                        PgSource.removePipeline(conn, "bench_snap");
                        System.out.printf(Locale.ROOT, "[bench] round %d: engine %s x%d %.0f rows/s (%.2f s, JVM CPU"
                                + " %.2f s), ratio to psql %.2f%n", round, format, connections, PgSourceBench.ROWS / secs,
                                secs, cpu, psqlSecs / secs);
                    }
                }
            }
        }
    }
}
