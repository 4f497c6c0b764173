package io.etlstream.pipeline;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.sink.snowflake.MergeWatermarks;
import io.etlstream.metrics.EventSink;
import io.etlstream.metrics.PrometheusServer;
import io.etlstream.monitor.CatalogSources;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.RecordingSink;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.vault.Secrets;
import io.etlstream.vault.Vault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Engine} wired the way every host wires it (the console and {@code etl-stream run}): PostgreSQL sources
 * with passwords from the vault, Snowflake sinks signed with the vault's keys (or recording files for tests), the WAL
 * monitor. Owns the engine, the destinations and the vault, and closes them in that order.
 */
public final class EngineHost implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EngineHost.class);

    /** What a host may choose; {@link #defaults()} is what {@code etl-stream run} does without options. */
    public record Settings(int metricsPort, String metricsBind, Duration stopTimeout, Duration walInterval,
            Path recordingDir, SnowpipeTuning tuning, FlushLimiter flushLimiter, SourceMemory sourceMemory,
            Duration replicationTimeout) {

        public static Settings defaults() {
            return new Settings(-1, PrometheusServer.DEFAULT_BIND, Duration.ofSeconds(30), Duration.ofSeconds(10),
                    null, SnowpipeTuning.DEFAULT, new FlushLimiter(FlushLimiter.DEFAULT_CONCURRENT_FLUSHES),
                    SourceMemory.DEFAULT, PgSource.Options.DEFAULT_REPLICATION_TIMEOUT);
        }

        /**
         * How long a source's replication connection may stay silent while its reader waits on it before the source
         * takes it for lost and reconnects ({@link PgSource.Options#withReplicationTimeout}); zero = off.
         */
        public Settings withReplicationTimeout(Duration d) {
            return new Settings(metricsPort, metricsBind, stopTimeout, walInterval, recordingDir, tuning, flushLimiter,
                    sourceMemory, d);
        }

        /** Each source's memory limit and the spilling of large streamed transactions. */
        public Settings withSourceMemory(SourceMemory m) {
            return new Settings(metricsPort, metricsBind, stopTimeout, walInterval, recordingDir, tuning, flushLimiter,
                    m, replicationTimeout);
        }

        public Settings withMetrics(int port, String bind) {
            return new Settings(port, bind, stopTimeout, walInterval, recordingDir, tuning, flushLimiter, sourceMemory,
                    replicationTimeout);
        }

        public Settings withStopTimeout(Duration d) {
            return new Settings(metricsPort, metricsBind, d, walInterval, recordingDir, tuning, flushLimiter,
                    sourceMemory, replicationTimeout);
        }

        public Settings withWalInterval(Duration d) {
            return new Settings(metricsPort, metricsBind, stopTimeout, d, recordingDir, tuning, flushLimiter,
                    sourceMemory, replicationTimeout);
        }

        /** Tests: every pipeline writes its changes to {@code dir/<pipeline>.rec} instead of its destination. */
        public Settings withRecordingDir(Path dir) {
            return new Settings(metricsPort, metricsBind, stopTimeout, walInterval, dir, tuning, flushLimiter,
                    sourceMemory, replicationTimeout);
        }

        /** Snowpipe Streaming client settings and the bound on concurrent SQL API flushes across all pipelines. */
        public Settings withSinkTuning(SnowpipeTuning t, FlushLimiter limiter) {
            return new Settings(metricsPort, metricsBind, stopTimeout, walInterval, recordingDir, t, limiter,
                    sourceMemory, replicationTimeout);
        }
    }

    /**
     * How much memory each pipeline's source may hold in change batches ({@code memoryLimitBytes}, 0 = the source's
     * default of 512 MB), how much of it open streamed transactions may take before the largest spills to disk
     * ({@code spillThresholdBytes}, 0 = a quarter of the limit) and where spill files go ({@code spillDirectory}, null =
     * the home's {@code tmp/spill}).
     */
    public record SourceMemory(long memoryLimitBytes, long spillThresholdBytes, Path spillDirectory) {
        public static final SourceMemory DEFAULT = new SourceMemory(0, 0, null);

        public SourceMemory {
            if (memoryLimitBytes < 0 || spillThresholdBytes < 0) {
                throw new IllegalArgumentException("memory limit and spill threshold must not be negative");
            }
        }

        /** {@code base} with these limits; spill files under {@code homeDir}'s {@code tmp/spill} unless a folder was given. */
        public PgSource.Options applyTo(PgSource.Options base, Path homeDir) {
            PgSource.Options o = memoryLimitBytes > 0 ? base.withMemoryLimit(memoryLimitBytes) : base;
            return o.withSpillThreshold(spillThresholdBytes).withSpillDirectory(spillDirectory != null ? spillDirectory
                    : homeDir.resolve("tmp").resolve("spill"));
        }
    }

    private final Engine engine;
    private final SnowflakeSinks destinations;
    private final Vault vault;

    private EngineHost(Engine engine, SnowflakeSinks destinations, Vault vault) {
        this.engine = engine;
        this.destinations = destinations;
        this.vault = vault;
    }

    /**
     * Whether starting an engine on {@code home} needs the unlocked vault: a source's password or a destination's key
     * lives there. Opens the catalog briefly; call before {@link #start} and only while no engine runs on the home.
     */
    public static boolean needsVault(EtlHome home, Settings settings) {
        try (Catalog c = Catalog.open(home)) {
            return c.sources().list().stream().anyMatch(s -> s.passwordAlias() != null)
                    || settings.recordingDir() == null && !c.destinations().list().isEmpty();
        }
    }

    /**
     * Starts the engine on {@code home} as {@code role} ({@link io.etlstream.home.HomeLock#RUN} or
     * {@code CONSOLE}). {@code vault} is unlocked or null (pipelines that need it then fail and say how to unlock it);
     * the host owns it from here on, also when the start fails.
     */
    public static EngineHost start(EtlHome home, String role, Vault vault, Settings settings) {
        AtomicReference<Catalog> catalog = new AtomicReference<>();
        AtomicReference<EventSink> events = new AtomicReference<>();
        Path recordingDir = settings.recordingDir();
        SnowflakeSinks destinations = new SnowflakeSinks(catalog::get, vault, events::get, settings.flushLimiter(),
                settings.tuning(), p -> MergeWatermarks.inFile(MergeWatermarks.fileFor(home.dir(), p)));
        PgSourceRuntime runtime = new PgSourceRuntime(new PgSourceRuntime.Parts() {
            @Override
            public PgConnector connector(PipelineDefinition p) {
                Source s = catalog.get().sources().require(p.source());
                PgSourceConfig config = PgSourceConfig.of(s);
                return new PgConnector(config, passwordFor(vault, config));
            }

            @Override
            public ChangeSink sink(PipelineDefinition p) {
                if (recordingDir == null) {
                    return destinations.sink(p);
                }
                return new RecordingSink(recordingDir.resolve(p.name() + ".rec"));
            }

            @Override
            public SnapshotLedger ledger(PipelineDefinition p) {
                // the same file the offline 'pipeline resync' edits
                Path file = recordingDir != null ? recordingDir.resolve(p.name() + ".ledger")
                        : SnapshotLedger.fileFor(home.dir(), p.name());
                try {
                    Files.createDirectories(file.getParent());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return SnapshotLedger.inFile(file);
            }

            @Override
            public EventSink events() {
                return events.get();
            }

            @Override
            public ReplicationNames names(PipelineDefinition p) {
                Pipeline row = catalog.get().pipelines().require(p.name());
                return new ReplicationNames(row.slotName(), row.publicationName());
            }
        }, settings.sourceMemory().applyTo(PgSource.Options.defaults().withStopTimeout(settings.stopTimeout())
                .withReplicationTimeout(settings.replicationTimeout()), home.dir()), Duration.ofMillis(250));
        Engine.Options options = Engine.Options.of(role, runtime).withMetricsPort(settings.metricsPort())
                .withMetricsBind(settings.metricsBind())
                .withSources(c -> new CatalogSources(c, config -> passwordFor(vault, config)), settings.walInterval())
                .withStopTimeout(settings.stopTimeout());
        Engine engine;
        try {
            engine = Engine.start(home, options);
        } catch (RuntimeException | Error e) {
            try {
                destinations.close();
            } finally {
                if (vault != null) {
                    vault.close();
                }
            }
            throw e;
        }
        catalog.set(engine.catalog());
        events.set(engine.events());
        return new EngineHost(engine, destinations, vault);
    }

    public Engine engine() {
        return engine;
    }

    /**
     * Runs {@code work} with a connector to the catalog source {@code sourceName}, its password from this host's
     * vault as a pipeline would get it (the console's pipeline wizard: doctor checks, the table list); the password
     * is zeroed when {@code work} returns.
     */
    public <T> T withSource(String sourceName, java.util.function.Function<PgConnector, T> work) {
        PgSourceConfig config = PgSourceConfig.of(engine.catalog().sources().require(sourceName));
        try (PgPassword pw = passwordFor(vault, config)) {
            return work.apply(new PgConnector(config, pw));
        }
    }

    /** Stops every pipeline (flush, confirm, close; bounded by the stop timeout), then the destinations and vault. */
    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            try {
                // After the engine: every pipeline has closed its sink by now.
                destinations.close();
            } catch (RuntimeException e) {
                LOG.warn("closing destinations failed", e);
            } finally {
                if (vault != null) {
                    vault.close();
                }
            }
        }
    }

    private static PgPassword passwordFor(Vault vault, PgSourceConfig config) {
        if (config.passwordAlias() == null) {
            return PgPassword.none();
        }
        if (vault == null || !vault.isUnlocked()) {
            throw PipelineFailure.permanent("the source's password is in the vault, which is locked",
                    "restart the engine with the master password ('etl-stream run --password-file FILE', or enter"
                            + " it when the console asks)");
        }
        char[] pw = vault.password(config.passwordAlias());
        try {
            return PgPassword.of(pw);
        } finally {
            Secrets.zero(pw);
        }
    }
}
