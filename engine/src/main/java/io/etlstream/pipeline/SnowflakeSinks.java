package io.etlstream.pipeline;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Pipeline;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.metrics.EventSink;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkEvents;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.snowflake.MergeWatermarks;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.vault.Vault;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's Snowflake destinations: opens one {@link SnowflakeDestination} per catalog destination the first time a
 * pipeline needs it (signed with the vault's key), shares it among that destination's pipelines, and hands each
 * pipeline its own {@link io.etlstream.sink.snowflake.SnowflakeSink}. One engine-wide {@link FlushLimiter} and one
 * engine-wide sink scheduler ({@link io.etlstream.sink.SinkThreads}). Owns the destinations and the scheduler:
 * {@link #close()} closes them, after the engine has stopped (and so closed) every sink.
 */
public final class SnowflakeSinks implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SnowflakeSinks.class);

    private final Supplier<Catalog> catalog;
    private final Vault vault;
    private final Supplier<EventSink> events;
    private final FlushLimiter limiter;
    private final SnowpipeTuning tuning;
    private final java.util.function.Function<String, MergeWatermarks> watermarks;
    /** Every sink's background work, whatever its destination: threads do not grow with pipelines. */
    private final java.util.concurrent.ScheduledExecutorService scheduler;
    // A future per destination name, so a destination is opened once without holding a lock across its I/O.
    private final ConcurrentHashMap<String, CompletableFuture<SnowflakeDestination>> open = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * {@code vault} may be null (locked): opening a sink then fails with what to do. {@code events} may return null
     * until the engine's event log exists.
     */
    public SnowflakeSinks(Supplier<Catalog> catalog, Vault vault, Supplier<EventSink> events, FlushLimiter limiter,
            SnowpipeTuning tuning) {
        this(catalog, vault, events, limiter, tuning, p -> MergeWatermarks.inMemory());
    }

    /** {@code watermarks}: each pipeline's mirror merge positions, kept where they outlive the process. */
    public SnowflakeSinks(Supplier<Catalog> catalog, Vault vault, Supplier<EventSink> events, FlushLimiter limiter,
            SnowpipeTuning tuning, java.util.function.Function<String, MergeWatermarks> watermarks) {
        this.watermarks = watermarks;
        this.scheduler = io.etlstream.sink.SinkThreads.create(limiter);
        this.catalog = catalog;
        this.vault = vault;
        this.events = events;
        this.limiter = limiter;
        this.tuning = tuning;
    }

    /** The sink for one run of {@code def}; the caller closes it before this pool is closed. */
    public ChangeSink sink(PipelineDefinition def) {
        Catalog c = catalog.get();
        if (c == null) {
            throw PipelineFailure.transientFailure("the engine's catalog is not open yet", null);
        }
        Pipeline stored = c.pipelines().require(def.name());
        // Defensive: a pipeline stored before this check existed must not let one table's resync drop another's.
        PipelineDefinition.requireDistinctDestinations(def.tables());
        SnowflakeDestination dest = destination(def.destination());
        SinkOptions options = SinkOptions.DEFAULT
                .withMode(stored.mode())
                .withMergeInterval(def.settings().mergeInterval())
                .withDeleteMode(stored.deletes())
                .withOversize(stored.oversizePolicy());
        String pipeline = def.name();
        SinkEvents sinkEvents = (level, table, message) -> {
            EventSink sink = events.get();
            if (sink == null) {
                return;
            }
            EngineEvent.Severity sev = switch (level) {
                case INFO -> EngineEvent.Severity.INFO;
                case WARN -> EngineEvent.Severity.WARNING;
                case ERROR -> EngineEvent.Severity.ERROR;
            };
            EngineEvent.Kind kind = level == SinkEvents.Level.ERROR ? EngineEvent.Kind.ERROR
                    : level == SinkEvents.Level.WARN ? EngineEvent.Kind.WARNING : EngineEvent.Kind.INFO;
            sink.publish(new EngineEvent(Instant.now(), kind, sev, pipeline, null,
                    (table == null ? "" : table + ": ") + message));
        };
        return dest.openSink(pipeline, options, sinkEvents, watermarks.apply(pipeline),
                new CatalogTableKeys(c, stored.id()));
    }

    private SnowflakeDestination destination(String name) {
        if (closed) {
            throw PipelineFailure.transientFailure("the engine is stopping", null);
        }
        CompletableFuture<SnowflakeDestination> mine = new CompletableFuture<>();
        CompletableFuture<SnowflakeDestination> existing = open.putIfAbsent(name, mine);
        if (existing == null) {
            try {
                SnowflakeDestination d = connect(name);
                mine.complete(d);
                if (closed) {
                    if (open.remove(name, mine)) {
                        closeQuietly(name, d);
                    }
                    throw PipelineFailure.transientFailure("the engine is stopping", null);
                }
                return d;
            } catch (RuntimeException | Error e) {
                // Forget the failed attempt, so the pipeline's retry connects again.
                open.remove(name, mine);
                mine.completeExceptionally(e);
                throw e;
            }
        }
        try {
            return existing.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw PipelineFailure.transientFailure("interrupted while connecting to destination " + name, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw PipelineFailure.transientFailure("connecting to destination " + name + " failed", e.getCause());
        }
    }

    private SnowflakeDestination connect(String name) {
        Destination d = catalog.get().destinations().require(name);
        if (vault == null || !vault.isUnlocked()) {
            throw PipelineFailure.permanent("destination " + name + " signs with key '" + d.keyAlias()
                    + "' from the vault, which is locked",
                    "restart 'etl-stream run' with --password-file FILE (or the master password on stdin)");
        }
        if (!vault.hasKey(d.keyAlias())) {
            throw PipelineFailure.permanent("the vault has no key '" + d.keyAlias() + "' for destination " + name,
                    "create it with 'etl-stream key generate " + d.keyAlias() + "' (then register its public key"
                            + " with ALTER USER) or import one with 'etl-stream key import " + d.keyAlias() + " FILE'");
        }
        PrivateKey key = vault.privateKey(d.keyAlias());
        // The SDK client and the JWT signer keep the key object for the life of the destination.
        SnowflakeDestination dest = SnowflakeDestination.open(d, key, tuning, limiter, scheduler);
        LOG.info("destination {} connected ({})", name, SnowflakeDestination.endpoint(d));
        return dest;
    }

    /** Closes every destination opened so far. Call after every pipeline (and so every sink) has stopped. */
    @Override
    public void close() {
        closed = true;
        List<Throwable> errors = new ArrayList<>();
        for (var e : List.copyOf(open.entrySet())) {
            open.remove(e.getKey(), e.getValue());
            SnowflakeDestination d = e.getValue().getNow(null);
            if (d != null) {
                try {
                    d.close();
                } catch (Exception ex) {
                    errors.add(ex);
                    LOG.warn("closing destination {} failed", e.getKey(), ex);
                }
            } else {
                // Still connecting: whoever connects sees closed and closes it.
                e.getValue().thenAccept(late -> closeQuietly(e.getKey(), late));
            }
        }
        scheduler.shutdownNow(); // after the destinations: every sink has closed and cancelled its tasks
        if (!errors.isEmpty()) {
            UserFacingException u = new UserFacingException("closing " + errors.size()
                    + " destination(s) failed; see the log");
            errors.forEach(u::addSuppressed);
            throw u;
        }
    }

    private static void closeQuietly(String name, SnowflakeDestination d) {
        try {
            d.close();
        } catch (Exception e) {
            LOG.warn("closing destination {} failed", name, e);
        }
    }
}
