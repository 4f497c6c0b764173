package io.etlstream.pipeline;

import io.etlstream.catalog.Catalog;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.source.pg.Lsn;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One named pipeline under a {@link PipelineManager} on a catalog, as the engine runs it: the manager the pipeline
 * tests build (fast actor retries, a long stop timeout) and the status reads and waits they share.
 */
final class ManagedPipelines {

    private ManagedPipelines() {
    }

    /** A manager on {@code catalog} whose events go to {@code events}; retries after 200 ms, at most 1 s apart. */
    static PipelineManager manager(PipelineRuntime runtime, Catalog catalog, List<EngineEvent> events) {
        return PipelineManager.builder(runtime).store(new CatalogPipelineStore(catalog)).events(events::add)
                .backoff(new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1), 0))
                .stopTimeout(Duration.ofSeconds(60)).build();
    }

    static PipelineStatus send(PipelineManager m, String name, PipelineCommand c) throws Exception {
        return m.send(name, c).get(90, TimeUnit.SECONDS);
    }

    static PipelineState state(PipelineManager m, String name) {
        return m.status(name).orElseThrow().state();
    }

    static TableStatus table(PipelineManager m, String name, TableRef t) {
        return m.status(name).orElseThrow().tables().stream().filter(s -> s.table().equals(t)).findFirst()
                .orElseThrow();
    }

    static TablePhase phase(PipelineManager m, String name, TableRef t) {
        return table(m, name, t).phase();
    }

    /** Waits until the pipeline confirmed a position past a message written now to {@code db}'s WAL. */
    static void awaitCaughtUp(PgDatabase db, PipelineManager m, String name, Duration wait) throws InterruptedException {
        long target = EmulatedSnowflake.caughtUpMark(db);
        EmulatedSnowflake.await(() -> Long.compareUnsigned(m.status(name).orElseThrow().lastCommittedLsn(), target) > 0,
                wait, () -> "waiting for confirmed past " + Lsn.format(target));
    }
}
