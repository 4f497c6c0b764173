package io.etlstream.pipeline;

import io.etlstream.catalog.Catalog;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.metrics.CatalogEventStore;
import io.etlstream.metrics.CatalogMetricHistory;
import io.etlstream.metrics.EventLog;
import io.etlstream.metrics.MetricsRecorder;
import io.etlstream.metrics.PrometheusServer;
import io.etlstream.metrics.PrometheusText;
import io.etlstream.monitor.MonitoredSources;
import io.etlstream.monitor.WalBudget;
import io.etlstream.monitor.WalMonitor;
import io.etlstream.pipeline.control.ControlApi;
import io.etlstream.pipeline.control.ControlServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running engine on a home (the console's or {@code etl-stream run}'s): takes the home's engine lock, opens the
 * catalog, loads the pipelines and starts the enabled ones, records metrics and events, watches WAL, and answers the
 * control channel. {@link #close()} stops everything in reverse order within a bounded time.
 */
public final class Engine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    /** What an engine needs beyond its home. */
    public record Options(String role, PipelineRuntime runtime,
            java.util.function.Function<Catalog, MonitoredSources> sources, Duration walInterval,
            Duration heartbeatInterval, boolean pauseLowerPriorityAtCritical, int metricsPort, Duration stopTimeout,
            String metricsBind) {

        public static Options of(String role, PipelineRuntime runtime) {
            return new Options(role, runtime, null, Duration.ofSeconds(10), Duration.ofMinutes(1), false, -1,
                    Duration.ofSeconds(30), PrometheusServer.DEFAULT_BIND);
        }

        public Options withMetricsPort(int port) {
            return new Options(role, runtime, sources, walInterval, heartbeatInterval, pauseLowerPriorityAtCritical,
                    port, stopTimeout, metricsBind);
        }

        /** The address metrics are served on ({@link PrometheusServer#DEFAULT_BIND}, loopback, unless set). */
        public Options withMetricsBind(String address) {
            return new Options(role, runtime, sources, walInterval, heartbeatInterval, pauseLowerPriorityAtCritical,
                    metricsPort, stopTimeout, address);
        }

        public Options withStopTimeout(Duration d) {
            return new Options(role, runtime, sources, walInterval, heartbeatInterval, pauseLowerPriorityAtCritical,
                    metricsPort, d, metricsBind);
        }

        /** Watch WAL of the sources {@code s} finds in the engine's catalog, every {@code interval}. */
        public Options withSources(java.util.function.Function<Catalog, MonitoredSources> s, Duration interval) {
            return new Options(role, runtime, s, interval, heartbeatInterval, pauseLowerPriorityAtCritical,
                    metricsPort, stopTimeout, metricsBind);
        }
    }

    private final HomeLock lock;
    private final Catalog catalog;
    private final EventLog events;
    private final PipelineManager manager;
    private final MetricsRecorder metrics;
    private final ScheduledExecutorService metricsTimer;
    private final WalMonitor monitor;
    private final ControlServer control;
    private final PrometheusServer prometheus;
    private final Duration stopTimeout;

    private Engine(EtlHome home, Options o) {
        lock = HomeLock.acquireEngine(home, o.role());
        Catalog c = null;
        EventLog ev = null;
        PipelineManager m = null;
        ScheduledExecutorService timer = null;
        WalMonitor mon = null;
        ControlServer ctl = null;
        try {
            c = Catalog.open(home);
            ev = new EventLog(1000, new CatalogEventStore(c));
            CatalogPipelineStore store = new CatalogPipelineStore(c);
            m = PipelineManager.builder(o.runtime()).store(store).events(ev).stopTimeout(o.stopTimeout()).build();
            m.loadStored();
            PipelineManager mm = m;
            metrics = new MetricsRecorder(m::statuses, new CatalogMetricHistory(c));
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "metrics");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleAtFixedRate(() -> {
                try {
                    metrics.tick(Instant.now());
                } catch (RuntimeException e) {
                    LOG.warn("metrics tick failed", e);
                }
            }, 1, 1, TimeUnit.SECONDS);
            if (o.sources() != null) {
                mon = new WalMonitor(o.sources().apply(c), ev, o.heartbeatInterval());
                mon.addListener(new WalBudget(ev, null, o.pauseLowerPriorityAtCritical(), WalBudget.control(mm)));
                mon.start(o.walInterval());
            }
            EventLog evf = ev;
            WalMonitor monr = mon;
            ctl = ControlServer.start(home, ControlApi.engine(m, store, evf::recent, o.stopTimeout().plusSeconds(5),
                    () -> {
                        if (monr != null) {
                            monr.tickSoon(); // open the new source's probe, or close the removed one's, now
                        }
                    }));
            WalMonitor monf = mon;
            prometheus = o.metricsPort() >= 0 ? PrometheusServer.start(o.metricsBind(), o.metricsPort(), () -> PrometheusText.render(
                    mm.statuses(), monf == null ? List.of() : monf.latest().values())) : null;
            int started = m.startEnabled();
            LOG.info("engine on {} started; {} pipeline(s) starting", home.dir(), started);
        } catch (RuntimeException | Error e) {
            if (ctl != null) {
                ctl.close();
            }
            if (mon != null) {
                mon.close();
            }
            if (timer != null) {
                timer.shutdownNow();
            }
            if (m != null) {
                m.close();
            }
            if (ev != null) {
                ev.close();
            }
            if (c != null) {
                c.close();
            }
            lock.close();
            throw e;
        }
        catalog = c;
        events = ev;
        manager = m;
        metricsTimer = timer;
        monitor = mon;
        control = ctl;
        stopTimeout = o.stopTimeout();
    }

    public static Engine start(EtlHome home, Options options) {
        return new Engine(home, options);
    }

    public PipelineManager manager() {
        return manager;
    }

    public EventLog events() {
        return events;
    }

    public MetricsRecorder metrics() {
        return metrics;
    }

    public Catalog catalog() {
        return catalog;
    }

    /** The WAL monitor, when the engine watches sources. */
    public java.util.Optional<WalMonitor> monitor() {
        return java.util.Optional.ofNullable(monitor);
    }

    /** The address and port Prometheus metrics are served on, if they are. */
    public java.util.Optional<java.net.InetSocketAddress> metricsAddress() {
        return prometheus == null ? java.util.Optional.empty() : java.util.Optional.of(prometheus.address());
    }

    /** The port Prometheus metrics are served on, or -1. */
    public int metricsPort() {
        return prometheus == null ? -1 : prometheus.port();
    }

    /** Stops accepting commands, stops every pipeline (flush, confirm, close), then releases everything. */
    @Override
    public void close() {
        try {
            control.close();
            if (prometheus != null) {
                prometheus.close();
            }
            boolean clean = manager.shutdown(stopTimeout);
            LOG.info("engine stopping: pipelines stopped {}", clean ? "cleanly" : "(some did not stop in time)");
        } finally {
            try {
                manager.close();
                metricsTimer.shutdownNow();
                if (monitor != null) {
                    monitor.close();
                }
                events.close();
            } finally {
                try {
                    catalog.close();
                } finally {
                    lock.close();
                }
            }
        }
    }
}
