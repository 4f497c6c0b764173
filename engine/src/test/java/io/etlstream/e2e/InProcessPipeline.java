package io.etlstream.e2e;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.OversizePolicy;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.pipeline.Backoff;
import io.etlstream.pipeline.PgSourceRuntime;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineManager;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.TableRef;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkEvents;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowflakeSink;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.Lsn;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One pipeline run the way {@code etl-stream run} runs it, in this JVM: a {@link PipelineManager} with the
 * {@link PgSourceRuntime} (retry with backoff, stop = drain + confirm + close), each run's sink from one shared
 * {@link SnowflakeDestination} (real SDK, SQL API) against the emulator; only the catalog and the vault are left out
 * (the definition lives in memory, the key is passed in). Collects the engine's events and the sink's events as text.
 */
final class InProcessPipeline implements AutoCloseable {

    final String name;
    final PgDatabase db;
    final String database;
    final String schema;
    private final SnowflakeDestination destination;
    private final PipelineManager manager;
    private final PgPassword password = PgPassword.none();
    private final PgConnector connector;
    private final SnapshotLedger ledger = SnapshotLedger.inMemory();
    private final AtomicReference<SnowflakeSink> currentSink = new AtomicReference<>();
    private final AtomicInteger runs = new AtomicInteger();
    final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();

    InProcessPipeline(PgDatabase db, SnowflakeEmulator emu, PrivateKey key, String name, String database, String schema,
            List<TableId> tables, Duration mergeInterval) {
        this.name = name;
        this.db = db;
        this.database = database;
        this.schema = schema;
        emu.sql("CREATE DATABASE IF NOT EXISTS " + database);
        emu.sql("CREATE SCHEMA IF NOT EXISTS " + database + "." + schema);
        Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", database, schema,
                "k");
        destination = SnowflakeDestination.open(d, key, SnowpipeTuning.DEFAULT, new FlushLimiter(2));
        connector = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres", SslMode.DISABLE,
                null), password);
        SinkOptions options = SinkOptions.DEFAULT.withMergeInterval(mergeInterval)
                .withOversize(OversizePolicy.NULL_WITH_EVENT);
        PgSourceRuntime runtime = new PgSourceRuntime(new PgSourceRuntime.Parts() {
            @Override
            public PgConnector connector(PipelineDefinition p) {
                return connector;
            }

            @Override
            public ChangeSink sink(PipelineDefinition p) {
                runs.incrementAndGet();
                SinkEvents ev = (level, table, message) -> events.add("sink " + level + " "
                        + (table == null ? "" : table + ": ") + message);
                SnowflakeSink s = destination.openSink(p.name(), options, ev);
                currentSink.set(s);
                return s;
            }

            @Override
            public SnapshotLedger ledger(PipelineDefinition p) {
                return ledger;
            }
        }, PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1)).withHeartbeatInterval(Duration.ZERO)
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)), Duration.ofMillis(200));
        manager = PipelineManager.builder(runtime)
                .events(e -> events.add("engine " + e.severity() + " " + e.kind() + " " + e.message()))
                .backoff(new Backoff(Duration.ofMillis(300), Duration.ofSeconds(2), 0.1))
                .stopTimeout(Duration.ofSeconds(60))
                .build();
        List<TableRef> refs = new ArrayList<>();
        for (TableId t : tables) {
            refs.add(new TableRef(t.schema(), t.name()));
        }
        manager.create(new PipelineDefinition(name, "src", "emu", refs, new PipelineSettings(
                PipelineSettings.Mode.MIRROR, mergeInterval, PipelineSettings.Deletes.HARD, true, 4, 0), true));
    }

    void start() throws Exception {
        manager.send(name, new PipelineCommand.Start()).get(30, TimeUnit.SECONDS);
    }

    PipelineStatus status() {
        return manager.status(name).orElseThrow();
    }

    /** How many times the runtime opened a sink (1 + restarts after failures). */
    int runs() {
        return runs.get();
    }

    SnowflakeSink sink() {
        return currentSink.get();
    }

    /** Waits until the pipeline's slot exists and has its consistent point: later commits are streamed, not copied. */
    void awaitSlot(Duration timeout) throws InterruptedException {
        await(() -> !db.queryColumn("SELECT 1 FROM pg_replication_slots WHERE database = current_database()"
                + " AND confirmed_flush_lsn IS NOT NULL").isEmpty(), timeout, () -> "slot of " + name + ": "
                + status());
    }

    /** Waits until every table's snapshot is durable in Snowflake. */
    void awaitSnapshots(int tables, Duration timeout) throws InterruptedException {
        await(() -> ledger.completed().size() == tables, timeout, () -> "snapshots: " + ledger.completed() + " "
                + status());
    }

    /** Waits until PostgreSQL has been told that every transaction committed so far is durable in Snowflake. */
    void awaitCaughtUp(Duration timeout) throws InterruptedException {
        long target = Lsn.parse(db.queryOne("SELECT pg_current_wal_insert_lsn()"));
        // an empty transaction after the target, so that a quiet source still has something to confirm past it
        db.queryOne("SELECT pg_logical_emit_message(true, 'etl-stream-e2e', 'caught up')");
        await(() -> {
            if (status().state() == io.etlstream.pipeline.PipelineState.FAILED) {
                throw new AssertionError("pipeline " + name + " failed for good: " + status().lastError() + "\nevents:\n"
                        + eventLog());
            }
            List<String> c = db.queryColumn("SELECT confirmed_flush_lsn FROM pg_replication_slots"
                    + " WHERE database = current_database()");
            return !c.isEmpty() && c.get(0) != null && Long.compareUnsigned(Lsn.parse(c.get(0)), target) >= 0;
        }, timeout, () -> "confirmed_flush_lsn to reach " + Lsn.format(target) + ": " + status() + "\nevents: "
                + events);
    }

    static void await(BooleanSupplier c, Duration timeout, Supplier<String> what) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what.get());
            }
            Thread.sleep(100);
        }
    }

    String eventLog() {
        return String.join("\n", events);
    }

    /** Stops the pipeline (drain, confirm, close), closes the destination and drops the slot and publication. */
    @Override
    public void close() throws Exception {
        try {
            manager.shutdown(Duration.ofSeconds(60));
            manager.close();
        } finally {
            try {
                destination.close();
            } finally {
                try {
                    PgSource.removePipeline(connector, name);
                } finally {
                    password.close();
                }
            }
        }
    }

    static String now() {
        return Instant.now().toString();
    }
}
