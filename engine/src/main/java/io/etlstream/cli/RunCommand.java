package io.etlstream.cli;

import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.metrics.PrometheusServer;
import io.etlstream.pipeline.Engine;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.vault.Vault;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

    @Spec
    CommandSpec spec;

    @Mixin
    VaultCommand.MasterPassword master = new VaultCommand.MasterPassword();

    @Mixin
    SinkTuningOptions sinkTuning = new SinkTuningOptions();

    @Mixin
    SourceMemoryOptions sourceMemory = new SourceMemoryOptions();

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

    @Option(names = "--replication-timeout", defaultValue = "60s", paramLabel = "DURATION",
            description = "How long a source's replication connection may stay silent before the source takes it for"
                    + " lost and reconnects (a server, NAT or load balancer that vanished without closing it); the"
                    + " source asks PostgreSQL for an answer after a third of it. Time spent waiting for the"
                    + " destination does not count. From 1s to 1h, or 0 = off (default ${DEFAULT-VALUE}, like"
                    + " PostgreSQL's wal_receiver_timeout).")
    String replicationTimeout;

    // Tests that look at exactly what a pipeline emitted write it to a recording file instead of the destination.
    @Option(names = "--recording-sink", paramLabel = "DIR", hidden = true,
            description = "Write every pipeline's changes to DIR/<pipeline>.rec (testing only).")
    Path recordingDir;

    /** The longest {@code --replication-timeout}: a dead path noticed after more than an hour is not noticed. */
    static final java.time.Duration MAX_REPLICATION_TIMEOUT = java.time.Duration.ofHours(1);

    /** The {@code --replication-timeout} value: 0 (off) or between a second and an hour. */
    static java.time.Duration replicationTimeout(String text) {
        java.time.Duration d;
        try {
            d = PipelineSettings.parseInterval(text);
        } catch (io.etlstream.UserFacingException e) {
            throw new io.etlstream.UserFacingException("--replication-timeout: " + e.getMessage()
                    + " (0 = off; the default is 60s)", e);
        }
        if (d.isNegative() || !d.isZero() && d.compareTo(java.time.Duration.ofSeconds(1)) < 0) {
            throw new io.etlstream.UserFacingException("--replication-timeout must be 0 (off) or at least 1s, not '"
                    + text + "'; the default is 60s.");
        }
        if (d.compareTo(MAX_REPLICATION_TIMEOUT) > 0) {
            throw new io.etlstream.UserFacingException("--replication-timeout must be at most 1h, not '" + text
                    + "'; the default is 60s (use 0 to turn it off).");
        }
        return d;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        EtlHome home = EtlStreamCommand.of(spec).home();
        // Settings are checked before the vault is unlocked, so a typo costs no password prompt.
        EngineHost.Settings settings = EngineHost.Settings.defaults().withMetrics(metricsPort, metricsBind)
                .withSinkTuning(sinkTuning.tuning(), sinkTuning.limiter())
                .withSourceMemory(sourceMemory.sourceMemory())
                .withStopTimeout(PipelineSettings.parseInterval(stopTimeout))
                .withWalInterval(PipelineSettings.parseInterval(walInterval))
                .withReplicationTimeout(replicationTimeout(replicationTimeout))
                .withRecordingDir(recordingDir);
        Vault vault = EngineHost.needsVault(home, settings)
                ? VaultCommand.unlocked(spec, master, SecretInput.system()) : null;
        EngineHost host = EngineHost.start(home, HomeLock.RUN, vault, settings);
        Engine engine = host.engine();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            try {
                host.close();
            } finally {
                stopped.countDown();
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
}
