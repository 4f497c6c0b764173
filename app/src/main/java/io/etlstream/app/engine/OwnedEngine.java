package io.etlstream.app.engine;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.metrics.MetricKey;
import io.etlstream.metrics.MetricsRecorder;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The engine this console runs: an {@link EngineHost} with its pipelines, metrics and control channel. */
public final class OwnedEngine implements ConsoleEngine {

    private final EngineHost host;
    private final Duration stopTimeout;
    private final Duration commandTimeout;

    public OwnedEngine(EngineHost host, Duration stopTimeout) {
        this.host = Objects.requireNonNull(host, "host");
        this.stopTimeout = stopTimeout;
        this.commandTimeout = stopTimeout.plusSeconds(5);
    }

    /** The engine host, for the pipeline wizard. */
    public EngineHost host() {
        return host;
    }

    @Override
    public Mode mode() {
        return Mode.OWNED;
    }

    @Override
    public String holder() {
        return "console";
    }

    @Override
    public List<PipelineStatus> statuses() {
        return host.engine().manager().statuses();
    }

    @Override
    public Map<String, Endpoints> endpoints() {
        Catalog c = host.engine().catalog();
        Map<Long, Source> sources = new HashMap<>();
        c.sources().list().forEach(s -> sources.put(s.id(), s));
        Map<Long, Destination> destinations = new HashMap<>();
        c.destinations().list().forEach(d -> destinations.put(d.id(), d));
        Map<String, Endpoints> out = new HashMap<>();
        c.pipelines().list().forEach(p -> {
            Source s = sources.get(p.sourceId());
            Destination d = destinations.get(p.destinationId());
            out.put(p.name(), new Endpoints(
                    s == null ? "" : s.name() + " (" + s.host() + ":" + s.port() + "/" + s.databaseName() + ")",
                    d == null ? "" : d.name() + " (" + d.databaseName() + "." + d.schemaName() + ")"));
        });
        return out;
    }

    @Override
    public PipelineStatus send(String pipeline, PipelineCommand command) {
        try {
            return host.engine().manager().send(pipeline, command).get(commandTimeout.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new UserFacingException(command.verb() + " " + pipeline + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new UserFacingException(command.verb() + " " + pipeline + " is still in progress after "
                    + commandTimeout.toSeconds() + " s; its state in the list changes when it is done");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserFacingException("interrupted while waiting for " + command.verb() + " " + pipeline);
        }
    }

    @Override
    public ChartData chart(String pipeline, Instant now, Duration window, int maxPoints) {
        return Charts.of(host.engine().metrics(), pipeline, now, window, maxPoints);
    }

    @Override
    public Duration stopTimeout() {
        return stopTimeout;
    }

    @Override
    public void close() {
        host.close();
    }

    /** Reads the chart series of a pipeline from a metrics recorder. */
    static final class Charts {
        private Charts() {}

        static ChartData of(MetricsRecorder m, String pipeline, Instant now, Duration window, int maxPoints) {
            return new ChartData(pipeline, now,
                    m.downsampled(new MetricKey(pipeline, null, MetricKey.LAG_BYTES), now, window, maxPoints),
                    m.downsampled(new MetricKey(pipeline, null, MetricKey.LAG_SECONDS), now, window, maxPoints),
                    m.downsampled(new MetricKey(pipeline, null, MetricKey.ROWS_PER_SECOND), now, window, maxPoints));
        }
    }
}
