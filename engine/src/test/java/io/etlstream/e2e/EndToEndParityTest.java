package io.etlstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 6 acceptance, end to end: real PostgreSQL → pipeline manager + PgSource → SnowflakeSink → real SDK → emulator.
 * A snapshot of five tables covering every mapped type, then 100k mixed changes streamed while the snapshot may still
 * run; afterwards every history table holds each change exactly once and every mirror equals its source table in every
 * row and column.
 */
@ExtendWith(PostgresExtension.class)
class EndToEndParityTest {

    static final long CHANGES = Long.getLong("etl.e2e.changes", 100_000);
    static final int SEEDED = 2_000;
    /**
     * Every table has a mirror, the REPLICA IDENTITY FULL one too: the source keys it on its primary key (pgoutput
     * flags every column under FULL).
     */
    static final List<TableId> MIRRORED = MixedWorkload.TABLES;

    @Test
    void snapshotAndMixedChangesArriveExactlyOnceAndTheMirrorsEqualTheSource(PgDatabase db) throws Exception {
        long t0 = System.nanoTime();
        try (EmulatedSnowflake sf = EmulatedSnowflake.start(); Connection pg = db.connect()) {
            SnowflakeEmulator emu = sf.emulator();
            MixedWorkload workload = new MixedWorkload(20261126);
            MixedWorkload.create(pg);
            workload.seed(pg, SEEDED);
            Duration merge = Duration.ofSeconds(2);
            long streamedAt;
            long caughtUpAt;
            try (InProcessPipeline p = new InProcessPipeline(db, emu, sf.privateKey(), "e2eparity", "E2E", "PARITY",
                    MixedWorkload.TABLES, merge)) {
                p.start();
                p.awaitSlot(Duration.ofSeconds(60));
                long w0 = System.nanoTime();
                // the first changes race the snapshot (no TRUNCATE then: it is not MVCC-safe), the rest follow it
                long made = workload.run(pg, CHANGES / 10, false);
                p.awaitSnapshots(MixedWorkload.TABLES.size(), Duration.ofSeconds(120));
                made += workload.run(pg, CHANGES - made);
                streamedAt = System.nanoTime();
                System.out.printf("[e2e] workload: %d changes in %d ms%n", made, (streamedAt - w0) / 1_000_000);
                p.awaitCaughtUp(Duration.ofSeconds(240));
                caughtUpAt = System.nanoTime();
                System.out.printf("[e2e] caught up %d ms after the last commit; pipeline runs: %d; state %s%n",
                        (caughtUpAt - streamedAt) / 1_000_000, p.runs(), p.status().state());
                // the mirror follows within a merge interval; give it two, then compare everything
                Thread.sleep(2 * merge.toMillis() + 500);
                Map<TableId, MixedWorkload.Counts> counts = MixedWorkload.counts(pg);
                System.out.println("[e2e] counts " + counts);
                Parity parity = new Parity(pg, Parity.of(emu), "E2E", "PARITY");
                long c0 = System.nanoTime();
                AssertionError last = null;
                for (int attempt = 0; attempt < 3; attempt++) {
                    try {
                        parity.assertParity(MixedWorkload.TABLES, MIRRORED, counts);
                        last = null;
                        break;
                    } catch (AssertionError e) {
                        last = e;
                        System.out.println("[e2e] parity attempt " + attempt + ": " + e.getMessage());
                        Thread.sleep(3 * merge.toMillis());
                    }
                }
                System.out.printf("[e2e] parity check %d ms; source rows %s%n", (System.nanoTime() - c0) / 1_000_000,
                        parity.sourceRowCounts(MixedWorkload.TABLES));
                if (last != null) {
                    throw new AssertionError(last.getMessage() + "\nevents:\n" + p.eventLog(), last);
                }
                assertThat(MixedWorkload.totalChanges(pg)).isGreaterThanOrEqualTo(CHANGES);
                // a numeric NaN has no NUMBER: it was written as null and the pipeline said so
                assertThat(p.events).anyMatch(e -> e.contains("e2e_scalars.nn") && e.contains("written as null"));
                // the REPLICA IDENTITY FULL table is mirrored without a word of warning
                assertThat(p.events).noneMatch(e -> e.startsWith("sink WARN public.e2e_full"));
                assertThat(p.runs()).as("the pipeline ran without a restart:\n" + p.eventLog()).isEqualTo(1);
            }
            System.out.printf("[e2e] total %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
    }
}
