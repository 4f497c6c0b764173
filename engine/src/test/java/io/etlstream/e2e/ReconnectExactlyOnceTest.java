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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The replication connection drops while changes are on their way into Snowflake: the source reconnects and replays
 * from the durable position, below what the channels have already taken. The sink (same process, same channels) must
 * not write those changes a second time.
 */
@ExtendWith(PostgresExtension.class)
class ReconnectExactlyOnceTest {

    @Test
    void walsenderKilledMidStreamThreeTimesLeavesHistoryExactlyOnce(PgDatabase db) throws Exception {
        try (EmulatedSnowflake sf = EmulatedSnowflake.start(); Connection pg = db.connect()) {
            SnowflakeEmulator emu = sf.emulator();
            MixedWorkload workload = new MixedWorkload(4242);
            MixedWorkload.create(pg);
            workload.seed(pg, 500);
            Duration merge = Duration.ofSeconds(2);
            try (InProcessPipeline p = new InProcessPipeline(db, emu, sf.privateKey(), "reconnect", "E2E", "RECONNECT",
                    MixedWorkload.TABLES, merge)) {
                p.start();
                p.awaitSlot(Duration.ofSeconds(60));
                AtomicInteger killed = new AtomicInteger();
                for (int round = 0; round < 3; round++) {
                    workload.run(pg, 4_000);
                    // the walsender streaming this database's slot: the source's replication connection
                    String q = "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walsender'"
                            + " AND datname = current_database()";
                    InProcessPipeline.await(() -> !db.queryColumn(q).isEmpty(), Duration.ofSeconds(60),
                            () -> "a walsender for " + p.name + ": " + p.status());
                    for (String pid : db.queryColumn(q)) {
                        db.queryOne("SELECT pg_terminate_backend(" + pid + ")");
                        killed.incrementAndGet();
                    }
                }
                workload.run(pg, 2_000);
                p.awaitCaughtUp(Duration.ofSeconds(240));
                Thread.sleep(2 * merge.toMillis() + 500);
                assertThat(killed.get()).as("walsenders terminated").isGreaterThanOrEqualTo(2);
                Map<TableId, MixedWorkload.Counts> counts = MixedWorkload.counts(pg);
                Parity parity = new Parity(pg, Parity.of(emu), "E2E", "RECONNECT");
                AssertionError last = null;
                for (int attempt = 0; attempt < 3; attempt++) {
                    try {
                        parity.assertParity(MixedWorkload.TABLES, EndToEndParityTest.MIRRORED, counts);
                        last = null;
                        break;
                    } catch (AssertionError e) {
                        last = e;
                        Thread.sleep(3 * merge.toMillis());
                    }
                }
                if (last != null) {
                    throw new AssertionError(last.getMessage() + "\nevents:\n" + p.eventLog(), last);
                }
                assertThat(p.runs()).as("the source reconnected inside one run (same sink):\n" + p.eventLog())
                        .isEqualTo(1);
            }
        }
    }
}
