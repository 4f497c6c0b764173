package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code etl-stream run} in a child JVM writes to a real Snowflake sink (SDK → emulator) with the destination's key
 * from the vault; SIGTERM mid-stream, restart, SIGTERM: the history table holds every written row exactly once.
 */
@ExtendWith(PostgresExtension.class)
class RunSnowflakeSigtermTest {

    @TempDir
    Path dir;

    @Test
    void runWritesToSnowflakeAndSurvivesSigtermWithoutLossOrDuplicates(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE sf_t (id int PRIMARY KEY, note text)");
        try (SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory())) {
            RunHome home = RunHome.forEmulator(dir, db, emu, "RUN");
            home.pipeline("sf_sigterm", "public.sf_t", "--merge-interval", "5s");

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger written = new AtomicInteger();
            Thread writer = new Thread(() -> {
                try (Connection c = db.connect();
                        PreparedStatement ps = c.prepareStatement("INSERT INTO sf_t VALUES (?, 'row ' || ?)")) {
                    c.setAutoCommit(false);
                    while (writing.get()) {
                        for (int i = 0; i < 5; i++) {
                            int id = written.get() + i + 1;
                            ps.setInt(1, id);
                            ps.setInt(2, id);
                            ps.addBatch();
                        }
                        ps.executeBatch();
                        c.commit();
                        written.addAndGet(5);
                        Thread.sleep(10);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "writer");

            RunChild first = home.run("--stop-timeout", "30s",
                    "--wal-interval", "1s");
            int atFirstStop;
            try {
                first.awaitLine("engine running", 60);
                writer.start();
                await("rows in Snowflake from the first run", 60, () -> historyRows(emu) > 100, first);
                first.sigterm(60);
                assertThat(first.stdout()).doesNotContain("did not stop");
            } finally {
                first.destroy();
            }
            atFirstStop = historyRows(emu);

            RunChild second = home.run("--stop-timeout", "30s",
                    "--wal-interval", "1s");
            try {
                second.awaitLine("engine running", 60);
                await("more rows from the second run", 60, () -> historyRows(emu) > atFirstStop + 100, second);
                writing.set(false);
                writer.join();
                int total = written.get();
                await("all " + total + " rows in Snowflake", 60, () -> distinctIds(emu) >= total, second);
                // The pipeline's 5 s merge interval (a catalog setting) brings the mirror up to date while it runs.
                await("the mirror holding all " + total + " rows", 30,
                        () -> count(emu, "SELECT COUNT(*) FROM SF_T") == total, second);
                second.sigterm(60);
                assertThat(second.stdout()).doesNotContain("did not stop");
            } finally {
                writing.set(false);
                second.destroy();
            }

            int total = written.get();
            List<List<String>> counts = emu.sql("SELECT COUNT(*), COUNT(DISTINCT ID), MIN(ID), MAX(ID),"
                    + " COUNT(DISTINCT _ETL_LSN * 4294967296 + _ETL_SEQ) FROM SF_T_HISTORY", "DB", "RUN").rows();
            System.out.printf("[run-snowflake-sigterm] %d rows written; history (rows, distinct ids, min, max,"
                    + " distinct (lsn, seq)) = %s; %d rows at the first stop%n", total, counts.get(0), atFirstStop);
            List<List<String>> dup = emu.sql("SELECT ID, COUNT(*) FROM SF_T_HISTORY GROUP BY ID HAVING COUNT(*) > 1"
                    + " ORDER BY ID", "DB", "RUN").rows();
            assertThat(dup).as("rows in history more than once").isEmpty();
            assertThat(counts.get(0).subList(0, 4)).as("every written row once")
                    .containsExactly(Integer.toString(total), Integer.toString(total), "1", Integer.toString(total));
        }
    }

    private static int historyRows(SnowflakeEmulator emu) {
        return count(emu, "SELECT COUNT(*) FROM SF_T_HISTORY");
    }

    private static int distinctIds(SnowflakeEmulator emu) {
        return count(emu, "SELECT COUNT(DISTINCT ID) FROM SF_T_HISTORY");
    }

    private static int count(SnowflakeEmulator emu, String sql) {
        try {
            return Integer.parseInt(emu.sql(sql, "DB", "RUN").rows().get(0).get(0));
        } catch (RuntimeException e) {
            return 0; // the sink has not created the table yet
        }
    }

    private static void await(String what, long seconds, BooleanSupplier condition, RunChild child)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; child output:\n" + child.stdout());
            }
            Thread.sleep(100);
        }
    }
}
