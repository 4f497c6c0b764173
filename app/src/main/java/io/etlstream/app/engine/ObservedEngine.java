package io.etlstream.app.engine;

import io.etlstream.UserFacingException;
import io.etlstream.home.EtlHome;
import io.etlstream.metrics.MetricsRecorder;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.control.ControlApi;
import io.etlstream.pipeline.control.ControlClient;
import io.etlstream.pipeline.control.StatusCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Another process's engine on the same home, watched through its control channel with the same snapshot and command
 * types. The other engine keeps its metrics to itself, so the console records the snapshots it polls every second in
 * a {@link MetricsRecorder} of its own (ring buffers, no history) and charts those.
 */
public final class ObservedEngine implements ConsoleEngine {

    private static final Logger LOG = LoggerFactory.getLogger(ObservedEngine.class);

    private final EtlHome home;
    private final String holder;
    private final Object connectionLock = new Object();
    private ControlClient connection;
    private final AtomicReference<Object> latest = new AtomicReference<>(List.of());
    private final MetricsRecorder metrics;
    private final ScheduledExecutorService poller;

    private ObservedEngine(EtlHome home, String holder, ControlClient first) {
        this.home = home;
        this.holder = holder;
        this.connection = first;
        this.metrics = new MetricsRecorder(this::lastStatuses, null, MetricsRecorder.DEFAULT_WINDOW_SECONDS,
                MetricsRecorder.DEFAULT_RETENTION);
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "etl-observer");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, 0, 1, TimeUnit.SECONDS);
    }

    /** Connects to the engine listening on {@code home}; empty when none answers. */
    public static Optional<ObservedEngine> connect(EtlHome home, String holder) {
        Objects.requireNonNull(home, "home");
        return ControlClient.connect(home).map(c -> new ObservedEngine(home, holder, c));
    }

    /** Whether an engine answers on {@code home}'s control channel right now. */
    public static boolean canConnect(EtlHome home) {
        Optional<ControlClient> c = ControlClient.connect(home);
        c.ifPresent(ControlClient::close);
        return c.isPresent();
    }

    @Override
    public Mode mode() {
        return Mode.OBSERVED;
    }

    @Override
    public String holder() {
        return holder;
    }

    private void poll() {
        Object outcome;
        try {
            List<PipelineStatus> list = fetch();
            outcome = list;
        } catch (RuntimeException e) {
            outcome = e;
        }
        latest.set(outcome);
        try {
            metrics.tick(Instant.now());
        } catch (RuntimeException e) {
            LOG.warn("recording the observed engine's metrics failed", e);
        }
    }

    @SuppressWarnings("unchecked")
    private List<PipelineStatus> fetch() {
        synchronized (connectionLock) {
            if (connection == null) {
                connection = ControlClient.connect(home).orElseThrow(() -> new UserFacingException(
                        "the engine that ran on " + home.dir() + " is gone; restart the console to run the"
                                + " pipelines here"));
            }
            try {
                Map<String, Object> answer = connection.request(ControlApi.statusRequest(null));
                List<PipelineStatus> out = new ArrayList<>();
                for (Map<String, Object> m : (List<Map<String, Object>>) answer.get("pipelines")) {
                    out.add(StatusCodec.fromMap(m));
                }
                return List.copyOf(out);
            } catch (RuntimeException e) {
                connection.close();
                connection = null;
                throw e;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private List<PipelineStatus> lastStatuses() {
        Object o = latest.get();
        return o instanceof List<?> l ? (List<PipelineStatus>) l : List.of();
    }

    @Override
    public List<PipelineStatus> statuses() {
        Object o = latest.get();
        if (o instanceof RuntimeException e) {
            throw e;
        }
        return lastStatuses();
    }

    @Override
    public Map<String, Endpoints> endpoints() {
        Map<String, Endpoints> out = new java.util.HashMap<>();
        for (PipelineStatus s : lastStatuses()) {
            out.put(s.name(), new Endpoints(s.source(), s.destination()));
        }
        return out;
    }

    @Override
    public PipelineStatus send(String pipeline, PipelineCommand command) {
        String table = command instanceof PipelineCommand.ResyncTable r ? r.table().toString() : null;
        // A connection of its own: a command may take seconds, and the status poll must not wait behind it.
        try (ControlClient c = ControlClient.connect(home).orElseThrow(() -> new UserFacingException(
                "the engine that ran on " + home.dir() + " is gone; restart the console to run the pipelines here"))) {
            Map<String, Object> answer = c.request(ControlApi.commandRequest(pipeline, command.verb(), table));
            @SuppressWarnings("unchecked")
            Map<String, Object> status = (Map<String, Object>) answer.get("pipeline");
            PipelineStatus after = StatusCodec.fromMap(status);
            try {
                poller.execute(this::poll);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing: nobody reads the next poll
            }
            return after;
        }
    }

    @Override
    public ChartData chart(String pipeline, Instant now, Duration window, int maxPoints) {
        return OwnedEngine.Charts.of(metrics, pipeline, now, window, maxPoints);
    }

    @Override
    public Duration stopTimeout() {
        return Duration.ofSeconds(2);
    }

    @Override
    public void close() {
        poller.shutdownNow();
        synchronized (connectionLock) {
            if (connection != null) {
                connection.close();
                connection = null;
            }
        }
    }
}
