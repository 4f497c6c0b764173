package io.etlstream.monitor;

import io.etlstream.metrics.EngineEvent;
import io.etlstream.metrics.EventSink;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples WAL and slot lag of every source, one {@link SourceProbe} (one connection) per source. Every tick it
 * reconciles the probes with {@link MonitoredSources}: opens probes for new sources, closes probes of removed ones
 * in {@code finally} (so a failure while sampling any source cannot leak a connection), samples the rest, each in
 * its own try, and sends heartbeats to idle sources. Ticks run on the monitor's own thread ({@link #start}) or, in
 * tests, on the caller's — never both; probes are owned by the ticking thread alone and no lock is held.
 */
public final class WalMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WalMonitor.class);

    /** Test seam: runs just before a source is sampled; throwing simulates a failing sample. */
    @FunctionalInterface
    public interface SampleInterceptor {
        void beforeSample(String source) throws SQLException;
    }

    private final MonitoredSources sources;
    private final EventSink events;
    private final Clock clock;
    private final Duration heartbeatInterval;
    private final SampleInterceptor interceptor;
    private final List<Consumer<WalSample>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean ticking = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile ScheduledExecutorService scheduler;
    private volatile Map<String, WalSample> latest = Map.of();

    // ---- owned by the ticking thread ----
    private final Map<String, SourceProbe> probes = new HashMap<>();
    private final Map<String, String> probeKeys = new HashMap<>();
    private final Map<String, Instant> lastHeartbeat = new HashMap<>();
    private final Set<String> failing = new HashSet<>();

    public WalMonitor(MonitoredSources sources, EventSink events, Clock clock, Duration heartbeatInterval,
            SampleInterceptor interceptor) {
        this.sources = sources;
        this.events = events;
        this.clock = clock;
        this.heartbeatInterval = heartbeatInterval;
        this.interceptor = interceptor == null ? s -> { } : interceptor;
    }

    public WalMonitor(MonitoredSources sources, EventSink events, Duration heartbeatInterval) {
        this(sources, events, Clock.systemUTC(), heartbeatInterval, null);
    }

    /** Receives every sample (on the ticking thread); must be quick. */
    public void addListener(Consumer<WalSample> listener) {
        listeners.add(listener);
    }

    /** Samples on the monitor's own thread every {@code interval}. */
    public synchronized void start(Duration interval) {
        if (scheduler != null) {
            throw new IllegalStateException("the WAL monitor is already running");
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wal-monitor");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                tick();
            } catch (RuntimeException e) {
                LOG.error("WAL monitor tick failed", e);
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Runs a round now on the monitor's thread (a source was added or removed: its probe opens or closes without
     * waiting for the next interval); returns at once. Does nothing before {@link #start} or after close.
     */
    public void tickSoon() {
        ScheduledExecutorService s = scheduler;
        if (s == null || closed.get()) {
            return;
        }
        try {
            s.execute(() -> {
                try {
                    tick();
                } catch (RuntimeException e) {
                    LOG.error("WAL monitor tick failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the probes are being closed anyway
        }
    }

    /** The latest sample of every source, by name. */
    public Map<String, WalSample> latest() {
        return latest;
    }

    /** Number of open probe connections (for tests and the status page). */
    public int openProbes() {
        return probes.size();
    }

    /** One round: reconcile probes with the catalog, sample, heartbeat. */
    public void tick() {
        if (closed.get()) {
            return;
        }
        if (!ticking.compareAndSet(false, true)) {
            throw new IllegalStateException("WalMonitor.tick() runs on one thread at a time");
        }
        try {
            doTick();
        } finally {
            ticking.set(false);
        }
    }

    private void doTick() {
        Instant now = clock.instant();
        List<ProbeTarget> targets;
        try {
            targets = sources.current();
        } catch (RuntimeException e) {
            // Without the catalog's answer we cannot tell removed from present: keep probes as they are this round.
            LOG.warn("WAL monitor cannot read the list of sources; keeping the current probes", e);
            return;
        }
        Map<String, ProbeTarget> wanted = new LinkedHashMap<>();
        for (ProbeTarget t : targets) {
            wanted.put(t.source(), t);
        }
        List<SourceProbe> retired = new ArrayList<>();
        for (var it = probes.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            ProbeTarget t = wanted.get(e.getKey());
            if (t == null || !t.connectionKey().equals(probeKeys.get(e.getKey()))) {
                retired.add(e.getValue());
                it.remove();
                probeKeys.remove(e.getKey());
            }
        }
        Map<String, WalSample> samples = new LinkedHashMap<>();
        try {
            for (ProbeTarget t : wanted.values()) {
                samples.put(t.source(), sampleOne(t, now));
            }
        } finally {
            for (SourceProbe p : retired) {
                closeQuietly(p);
            }
            lastHeartbeat.keySet().retainAll(wanted.keySet());
            failing.retainAll(wanted.keySet());
            latest = Map.copyOf(samples);
        }
        for (WalSample s : samples.values()) {
            for (Consumer<WalSample> l : listeners) {
                try {
                    l.accept(s);
                } catch (RuntimeException e) {
                    LOG.error("WAL sample listener failed on {}", s.source(), e);
                }
            }
        }
    }

    private WalSample sampleOne(ProbeTarget t, Instant now) {
        String name = t.source();
        WalSample sample;
        try {
            SourceProbe probe = probeFor(t);
            try {
                interceptor.beforeSample(name);
                sample = probe.sample(now, t.pipelineBySlot());
            } catch (SQLException | RuntimeException first) {
                if (probe.usable()) {
                    throw first;
                }
                // The connection died (server restart, terminated backend): replace it and try once more.
                probes.remove(name);
                probeKeys.remove(name);
                closeQuietly(probe);
                probe = probeFor(t);
                interceptor.beforeSample(name);
                sample = probe.sample(now, t.pipelineBySlot());
            }
            heartbeatIfDue(probe, sample, now);
            if (failing.remove(name)) {
                events.publish(new EngineEvent(now, EngineEvent.Kind.INFO, EngineEvent.Severity.INFO, null, name,
                        "WAL monitor reaches the source again"));
            }
        } catch (SQLException | RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            sample = WalSample.failed(name, now, msg);
            if (failing.add(name)) {
                LOG.warn("WAL monitor cannot sample source {}: {}", name, msg);
                events.publish(new EngineEvent(now, EngineEvent.Kind.WARNING, EngineEvent.Severity.WARNING, null, name,
                        "cannot read WAL and slot lag: " + msg + " — check that the source is reachable"));
            }
        }
        return sample;
    }

    private SourceProbe probeFor(ProbeTarget t) throws SQLException {
        SourceProbe p = probes.get(t.source());
        if (p == null) {
            p = SourceProbe.open(t);
            probes.put(t.source(), p);
            probeKeys.put(t.source(), t.connectionKey());
        }
        return p;
    }

    private void heartbeatIfDue(SourceProbe probe, WalSample sample, Instant now) {
        if (heartbeatInterval == null || sample.standby()) {
            return;
        }
        boolean ownsSlot = sample.slots().stream().anyMatch(s -> s.pipeline() != null);
        Instant last = lastHeartbeat.get(probe.source());
        if (!ownsSlot || (last != null && Duration.between(last, now).compareTo(heartbeatInterval) < 0)) {
            return;
        }
        try {
            probe.heartbeat();
            lastHeartbeat.put(probe.source(), now);
        } catch (SQLException e) {
            LOG.warn("heartbeat on source {} failed: {}", probe.source(), e.getMessage());
        }
    }

    private static void closeQuietly(SourceProbe p) {
        try {
            p.close();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("closing the probe of {} failed", p.source(), e);
        }
    }

    /** Stops ticking and closes every probe connection. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ScheduledExecutorService s = scheduler;
        if (s != null) {
            s.shutdown();
            try {
                if (!s.awaitTermination(30, TimeUnit.SECONDS)) {
                    s.shutdownNow();
                }
            } catch (InterruptedException e) {
                s.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        // The tick thread is gone (or never existed): the probes are ours now.
        try {
            for (SourceProbe p : probes.values()) {
                closeQuietly(p);
            }
        } finally {
            probes.clear();
            probeKeys.clear();
            latest = Map.of();
        }
    }
}
