package io.etlstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.emulator.Faults.Endpoint;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.sink.snowflake.SnowflakeAccount;
import io.etlstream.sink.snowflake.SnowpipeClientFactory;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.security.PrivateKey;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import net.snowflake.ingest.streaming.OpenChannelRequest;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestChannel;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 6 acceptance, faults: while the pipeline streams the mixed workload, the emulator answers Snowpipe Streaming
 * requests with HTTP 503, status 10 (retry) and status 20 (fenced), and another client takes over one channel. The SDK
 * retries the first two; a fenced channel makes the pipeline restart from the durable position, where each channel's
 * committed offset token tells the sink what to skip. Afterwards nothing is lost or duplicated and the events say what
 * happened.
 */
@ExtendWith(PostgresExtension.class)
class FaultsDuringStreamingTest {

    static final long CHUNK = Long.getLong("etl.e2e.faults.chunk", 2_500);

    @Test
    void http5xxStatus10AndFencingLoseNothingAndDuplicateNothing(PgDatabase db) throws Exception {
        long t0 = System.nanoTime();
        try (EmulatedSnowflake sf = EmulatedSnowflake.start(); Connection pg = db.connect()) {
            SnowflakeEmulator emu = sf.emulator();
            MixedWorkload workload = new MixedWorkload(7);
            MixedWorkload.create(pg);
            workload.seed(pg, 500);
            Duration merge = Duration.ofSeconds(2);
            try (InProcessPipeline p = new InProcessPipeline(db, emu, sf.privateKey(), "e2efaults", "E2E", "FAULTS",
                    MixedWorkload.TABLES, merge)) {
                p.start();
                p.awaitSlot(Duration.ofSeconds(60));
                workload.run(pg, CHUNK / 2, false); // while the snapshot runs: no TRUNCATE (not MVCC-safe)
                p.awaitSnapshots(MixedWorkload.TABLES.size(), Duration.ofSeconds(120));
                workload.run(pg, CHUNK / 2);
                p.awaitCaughtUp(Duration.ofSeconds(180));
                assertThat(p.runs()).isEqualTo(1);

                // 1. HTTP 503 on blob registration and on commit polling: the SDK's HTTP client retries them
                emu.faults().httpStatus(Endpoint.REGISTER_BLOBS, 3, 503).httpStatus(Endpoint.CHANNEL_STATUS, 3, 503);
                workload.run(pg, CHUNK);
                p.awaitCaughtUp(Duration.ofSeconds(180));
                assertThat(emu.faults().fired(Endpoint.REGISTER_BLOBS)).isEqualTo(3);
                assertThat(emu.faults().fired(Endpoint.CHANNEL_STATUS)).isEqualTo(3);
                parity(pg, emu, p, "after HTTP 503");
                assertThat(p.runs()).as("503s are retried inside the SDK:\n" + p.eventLog()).isEqualTo(1);

                // 2. status 10 ("retry") on blob registration: the SDK registers the blobs again
                emu.faults().statusCode(Endpoint.REGISTER_BLOBS, 3, 10);
                workload.run(pg, CHUNK);
                p.awaitCaughtUp(Duration.ofSeconds(180));
                assertThat(emu.faults().fired(Endpoint.REGISTER_BLOBS)).isEqualTo(6);
                assertThat(p.runs()).as("status 10 is retried inside the SDK:\n" + p.eventLog()).isEqualTo(1);
                parity(pg, emu, p, "after status 10");

                // 3. status 20 ("fenced") on a blob registration while streaming: its channels are invalid; the
                // pipeline restarts and resumes after each channel's committed offset token
                emu.faults().statusCode(Endpoint.REGISTER_BLOBS, 1, 20);
                workload.run(pg, CHUNK);
                p.awaitCaughtUp(Duration.ofSeconds(180));
                assertThat(emu.faults().fired(Endpoint.REGISTER_BLOBS)).isEqualTo(7);
                assertThat(p.runs()).as("a fenced channel restarts the pipeline:\n" + p.eventLog()).isEqualTo(2);
                // found by the commit poller or by the next insert, whichever comes first: both say the same
                assertThat(p.events).anyMatch(e -> e.startsWith("engine ERROR") && e.contains("was invalidated")
                        && e.contains("restarts from the last durable position; nothing is lost or duplicated"))
                        .anyMatch(e -> e.contains("streaming -> retrying"));
                parity(pg, emu, p, "after an injected status 20");

                // 4. a real takeover: another client opens the pipeline's channel for e2e_scalars (what a second
                // engine on the same pipeline would do); the engine's next blob for it is fenced (20)
                try (SnowflakeStreamingIngestClient other = otherClient(emu, sf.privateKey())) {
                    SnowflakeStreamingIngestChannel stolen = other.openChannel(OpenChannelRequest
                            .builder("e2efaults.public.e2e_scalars").setDBName("E2E").setSchemaName("FAULTS")
                            .setTableName("E2E_SCALARS_HISTORY")
                            .setOnErrorOption(OpenChannelRequest.OnErrorOption.ABORT).build());
                    // the takeover sees what the engine had committed, and adds nothing itself
                    assertThat(stolen.getLatestCommittedOffsetToken()).isNotNull();
                    workload.run(pg, CHUNK);
                    p.awaitCaughtUp(Duration.ofSeconds(180));
                }
                assertThat(p.runs()).as("the taken-over channel restarts the pipeline again:\n" + p.eventLog())
                        .isEqualTo(3);

                parity(pg, emu, p, "after a channel takeover");
                Map<TableId, MixedWorkload.Counts> counts = MixedWorkload.counts(pg);
                System.out.println("[e2e-faults] counts " + counts + "\n[e2e-faults] events:\n" + p.eventLog()
                        .lines().filter(l -> !l.contains("written as null")).reduce("", (a, b) -> a + "  " + b + "\n"));
            }
            System.out.printf("[e2e-faults] total %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** Parity of every history and mirror so far; the merge runs every 2 s, so a mirror may need a moment. */
    private static void parity(Connection pg, SnowflakeEmulator emu, InProcessPipeline p, String phase)
            throws Exception {
        Thread.sleep(4_500);
        Parity parity = new Parity(pg, Parity.of(emu), "E2E", "FAULTS");
        Map<TableId, MixedWorkload.Counts> counts = MixedWorkload.counts(pg);
        AssertionError last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                parity.assertParity(MixedWorkload.TABLES, EndToEndParityTest.MIRRORED, counts);
                return;
            } catch (AssertionError e) {
                last = e;
                Thread.sleep(6_000);
            }
        }
        throw new AssertionError(phase + ": " + last.getMessage() + "\nevents:\n" + p.eventLog(), last);
    }

    /** A second client with the same key, through the engine's own factory (the key stays an object). */
    private static SnowflakeStreamingIngestClient otherClient(SnowflakeEmulator emu, PrivateKey key) {
        return SnowpipeClientFactory.open("takeover", new SnowflakeAccount(emu.url(), "ETL", "ACCOUNTADMIN"),
                key, SnowpipeTuning.DEFAULT);
    }
}
