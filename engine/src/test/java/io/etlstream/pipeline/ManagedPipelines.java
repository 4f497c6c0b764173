package io.etlstream.pipeline;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.snowflake.MergeWatermarks;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowflakeSink;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.Lsn;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

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

    /**
     * A runtime on {@code conn} whose sinks write to {@code dest}, merge only when a test calls mergeNow, and keep
     * each table's key in the catalog {@code open} holds when the sink opens (as the engine's own sinks do); the last
     * sink opened goes to {@code sink}. Fast status, retries and heartbeats off, for tests.
     */
    static PgSourceRuntime keyRecordingRuntime(PgConnector conn, SnowflakeDestination dest, SnapshotLedger ledger,
            AtomicReference<Catalog> open, AtomicReference<SnowflakeSink> sink) {
        return new PgSourceRuntime(new PgSourceRuntime.Parts() {
            @Override
            public PgConnector connector(PipelineDefinition p) {
                return conn;
            }

            @Override
            public ChangeSink sink(PipelineDefinition p) {
                Catalog c = open.get();
                SnowflakeSink s = dest.openSink(p.name(), SinkOptions.DEFAULT.withMergeInterval(Duration.ofHours(1)),
                        (l, t, m) -> { }, MergeWatermarks.inMemory(),
                        new CatalogTableKeys(c, c.pipelines().require(p.name()).id()));
                sink.set(s);
                return s;
            }

            @Override
            public SnapshotLedger ledger(PipelineDefinition p) {
                return ledger;
            }
        }, PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1))
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)).withHeartbeatInterval(Duration.ZERO),
                Duration.ofMillis(100));
    }

    /**
     * Adds source {@code src} (the test database as postgres), destination {@code d} and pipeline {@code name} over
     * {@code tables} to {@code catalog}; returns the pipeline's id.
     */
    static long createPipeline(Catalog catalog, PgDatabase db, Destination d, String name, List<TableRef> tables) {
        catalog.sources().add(Source.draft("src", db.host(), db.port(), db.name(), "postgres"));
        catalog.destinations().add(d);
        new CatalogPipelineStore(catalog).create(new PipelineDefinition(name, "src", d.name(), tables,
                PipelineSettings.DEFAULTS, false));
        return catalog.pipelines().require(name).id();
    }

    /** Loads the stored pipelines, starts {@code name} and waits until it and each of {@code tables} stream. */
    static void startStreaming(PipelineManager m, String name, List<TableRef> tables, Duration wait) throws Exception {
        m.loadStored();
        send(m, name, new PipelineCommand.Start());
        EmulatedSnowflake.await(() -> tables.stream().allMatch(t -> phase(m, name, t) == TablePhase.STREAMING)
                && state(m, name) == PipelineState.STREAMING, wait, () -> "waiting for every table streaming");
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
