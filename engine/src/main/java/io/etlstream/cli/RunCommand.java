package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.metrics.PrometheusServer;
import io.etlstream.pipeline.Engine;
import io.etlstream.pipeline.PgSourceRuntime;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineFailure;
import io.etlstream.pipeline.SnowflakeSinks;
import io.etlstream.metrics.EventSink;
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
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code etl-stream run}: the headless engine. Runs every enabled pipeline until SIGTERM/SIGINT (then stops them:
 * flush, confirm, close), answers CLI commands on the home's control socket and serves Prometheus metrics.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the engine headless until SIGTERM: every enabled pipeline, control socket, metrics.")
final class RunCommand implements Callable<Integer> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RunCommand.class);

    @Spec
    CommandSpec spec;

    @Mixin
    VaultCommand.MasterPassword master = new VaultCommand.MasterPassword();

    @Mixin
    SinkTuningOptions sinkTuning = new SinkTuningOptions();

    @Option(names = "--metrics-port", defaultValue = "-1", paramLabel = "PORT",
            description = "Serve Prometheus text metrics at http://HOST:PORT/metrics (0 = any free port; default off).")
    int metricsPort;

    @Option(names = "--metrics-bind", defaultValue = PrometheusServer.DEFAULT_BIND, paramLabel = "ADDRESS",
            description = "Address the metrics endpoint listens on (default ${DEFAULT-VALUE}, this machine only;"
                    + " 0.0.0.0 = every interface: anyone who can reach it sees pipeline and table names).")
    String metricsBind;

    @Option(names = "--stop-timeout", defaultValue = "30s", paramLabel = "DURATION",
            description = "How long each pipeline may take to flush and confirm at shutdown (default ${DEFAULT-VALUE}).")
    String stopTimeout;

    @Option(names = "--wal-interval", defaultValue = "10s", paramLabel = "DURATION",
            description = "How often the WAL monitor samples each source (default ${DEFAULT-VALUE}).")
    String walInterval;

    // Tests that look at exactly what a pipeline emitted write it to a recording file instead of the destination.
    @Option(names = "--recording-sink", paramLabel = "DIR", hidden = true,
            description = "Write every pipeline's changes to DIR/<pipeline>.rec (testing only).")
    Path recordingDir;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        EtlHome home = EtlStreamCommand.of(spec).home();
        AtomicReference<Catalog> catalog = new AtomicReference<>();
        AtomicReference<EventSink> events = new AtomicReference<>();
        // Settings are checked before the vault is unlocked, so a typo costs no password prompt.
        SnowpipeTuning tuning = sinkTuning.tuning();
        FlushLimiter limiter = sinkTuning.limiter();
        Vault vault = needsVault(home, recordingDir == null) ? VaultCommand.unlocked(spec, master, SecretInput.system())
                : null;
        SnowflakeSinks destinations = new SnowflakeSinks(catalog::get, vault, events::get, limiter, tuning);
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
                Path dir = recordingDir != null ? recordingDir : home.dir().resolve("ledgers");
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return SnapshotLedger.inFile(dir.resolve(p.name() + ".ledger"));
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
        }, PgSource.Options.defaults().withStopTimeout(io.etlstream.pipeline.PipelineSettings.parseInterval(stopTimeout)),
                Duration.ofMillis(250));
        Engine.Options options = Engine.Options.of(HomeLock.RUN, runtime).withMetricsPort(metricsPort)
                .withMetricsBind(metricsBind)
                .withSources(c -> new io.etlstream.monitor.CatalogSources(c, config -> passwordFor(vault, config)),
                        io.etlstream.pipeline.PipelineSettings.parseInterval(walInterval))
                .withStopTimeout(io.etlstream.pipeline.PipelineSettings.parseInterval(stopTimeout));
        Engine engine;
        try {
            engine = Engine.start(home, options);
        } catch (RuntimeException e) {
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
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
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
                    stopped.countDown();
                }
            }
        }, "engine-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("engine running on " + home.dir() + " with " + engine.manager().statuses().size()
                + " pipeline(s)" + engine.metricsAddress().map(a -> "; metrics on http://" + (a.getAddress() instanceof java.net.Inet6Address
                        ? "[" + a.getAddress().getHostAddress() + "]" : a.getAddress().getHostAddress()) + ":"
                        + a.getPort() + "/metrics").orElse("")
                + "; stop with SIGTERM or Ctrl-C");
        out.flush();
        stopped.await();
        return 0;
    }

    private static PgPassword passwordFor(Vault vault, PgSourceConfig config) {
        if (config.passwordAlias() == null) {
            return PgPassword.none();
        }
        if (vault == null) {
            throw PipelineFailure.permanent("the source's password is in the vault, which is locked",
                    "restart 'etl-stream run' with --password-file FILE (or the master password on stdin)");
        }
        char[] pw = vault.password(config.passwordAlias());
        try {
            return PgPassword.of(pw);
        } finally {
            Secrets.zero(pw);
        }
    }

    private static boolean needsVault(EtlHome home, boolean destinationKeys) {
        try (Catalog c = Catalog.open(home)) {
            return c.sources().list().stream().anyMatch(s -> s.passwordAlias() != null)
                    || destinationKeys && !c.destinations().list().isEmpty();
        } catch (UserFacingException e) {
            throw e;
        }
    }
}
