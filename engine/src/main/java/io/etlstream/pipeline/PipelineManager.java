package io.etlstream.pipeline;

import io.etlstream.UserFacingException;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.metrics.EventSink;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry of pipeline actors. It holds no lock: the registry is a concurrent map, commands go to one actor's
 * mailbox, and status reads return the actor's last published snapshot, so a slow or failing pipeline can never
 * stall a reader or another pipeline.
 */
public final class PipelineManager implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineManager.class);

    private final ConcurrentMap<String, PipelineActor> actors = new ConcurrentHashMap<>();
    /**
     * The actors sorted by name, replaced copy-on-write when a pipeline is created or deleted (rare), so listing every
     * status is one pass of volatile reads: no sorting, no map iteration, no lock.
     */
    /** Conflated progress hand-overs waiting for the next sweep (see {@link #sweepCounters()}). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> counterHandOvers =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicReference<PipelineActor[]> byName = new AtomicReference<>(new PipelineActor[0]);
    private final PipelineRuntime runtime;
    private final PipelineStore store;
    private final EventSink events;
    private final Clock clock;
    private final Backoff backoff;
    private final Duration stopTimeout;
    private final ActorPool pool;
    private final ScheduledExecutorService timers;

    private PipelineManager(Builder b) {
        this.runtime = b.runtime;
        this.store = b.store;
        this.events = b.events;
        this.clock = b.clock;
        this.backoff = b.backoff;
        this.stopTimeout = b.stopTimeout;
        this.pool = new ActorPool(b.threads, daemon("pipeline-actor"));
        this.timers = Executors.newSingleThreadScheduledExecutor(daemon("pipeline-timer"));
        timers.scheduleWithFixedDelay(this::sweepCounters, b.counterSweep.toMillis(), b.counterSweep.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    public static Builder builder(PipelineRuntime runtime) {
        return new Builder(runtime);
    }

    /** Registers every pipeline of the store (in Created, or Paused when it was paused), starting none. */
    public void loadStored() {
        for (PipelineStore.PipelineRecord r : store.loadAll()) {
            register(r);
        }
    }

    /** Creates a new pipeline in state Created and saves it; it does not start. */
    public PipelineStatus create(PipelineDefinition definition) {
        PipelineActor actor = register(new PipelineStore.PipelineRecord(definition, List.of(), 0, false));
        store.save(new PipelineStore.PipelineRecord(definition, actor.status().tables(), 0, false));
        events.publish(new EngineEvent(clock.instant(), EngineEvent.Kind.INFO, EngineEvent.Severity.INFO,
                definition.name(), definition.source(), "pipeline created with tables " + definition.tables()));
        return actor.status();
    }

    private PipelineActor register(PipelineStore.PipelineRecord record) {
        String name = record.definition().name();
        PipelineActor[] created = new PipelineActor[1];
        actors.computeIfAbsent(name, n -> created[0] = new PipelineActor(record, runtime, store, events, clock, backoff,
                stopTimeout, pool, timers, () -> unregister(created[0]), counterHandOvers::add));
        if (created[0] == null) {
            throw new UserFacingException("a pipeline named " + name + " already exists; pick another name");
        }
        byName.updateAndGet(old -> {
            int at = -(Arrays.binarySearch(old, created[0], BY_NAME) + 1);
            if (at < 0) {
                return old; // already listed (cannot happen: names are unique in the map)
            }
            PipelineActor[] next = new PipelineActor[old.length + 1];
            System.arraycopy(old, 0, next, 0, at);
            next[at] = created[0];
            System.arraycopy(old, at, next, at + 1, old.length - at);
            return next;
        });
        return created[0];
    }

    private static final Comparator<PipelineActor> BY_NAME = Comparator.comparing(PipelineActor::name);

    private void unregister(PipelineActor actor) {
        actors.remove(actor.name(), actor);
        byName.updateAndGet(old -> {
            for (int i = 0; i < old.length; i++) {
                if (old[i] == actor) {
                    PipelineActor[] next = new PipelineActor[old.length - 1];
                    System.arraycopy(old, 0, next, 0, i);
                    System.arraycopy(old, i + 1, next, i, old.length - i - 1);
                    return next;
                }
            }
            return old;
        });
    }

    /** Sends a command; the future completes with the snapshot once the command took effect. */
    public CompletableFuture<PipelineStatus> send(String pipeline, PipelineCommand command) {
        PipelineActor actor = actors.get(pipeline);
        if (actor == null) {
            return CompletableFuture.failedFuture(unknown(pipeline));
        }
        return actor.send(command);
    }

    /** The pipeline's latest snapshot; never waits. */
    public Optional<PipelineStatus> status(String pipeline) {
        PipelineActor actor = actors.get(pipeline);
        return actor == null ? Optional.empty() : Optional.of(actor.status());
    }

    /**
     * Every pipeline's latest snapshot, sorted by name; never waits. Each element is the snapshot its actor had
     * published when the list was taken; the list is unmodifiable.
     */
    public List<PipelineStatus> statuses() {
        PipelineActor[] sorted = byName.get();
        PipelineStatus[] out = new PipelineStatus[sorted.length];
        int n = 0;
        for (PipelineActor a : sorted) {
            PipelineStatus s = a.status();
            if (s.state() != PipelineState.DELETED) { // deleted a moment ago, not yet unlisted
                out[n++] = s;
            }
        }
        return Collections.unmodifiableList(Arrays.asList(n == out.length ? out : Arrays.copyOf(out, n)));
    }

    public boolean exists(String pipeline) {
        return actors.containsKey(pipeline);
    }

    /** Starts every pipeline that is marked to run and not paused; returns how many were asked to start. */
    public int startEnabled() {
        int n = 0;
        for (PipelineActor a : actors.values()) {
            PipelineStatus s = a.status();
            if (s.enabled() && s.state() == PipelineState.CREATED) {
                a.send(new PipelineCommand.Start());
                n++;
            }
        }
        return n;
    }

    /**
     * Stops every pipeline (flush, confirm, close) in parallel, keeping them marked to run next time; waits at most
     * {@code timeout}. Returns true when all stopped in time.
     */
    public boolean shutdown(Duration timeout) {
        List<CompletableFuture<PipelineStatus>> all = new ArrayList<>();
        for (PipelineActor a : actors.values()) {
            all.add(a.send(new PipelineCommand.Shutdown()));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            for (PipelineStatus s : statuses()) {
                if (s.state() == PipelineState.STOPPING) {
                    LOG.warn("pipeline {} did not stop within {} s", s.name(), timeout.toSeconds());
                }
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("a pipeline failed while stopping", e.getCause());
            return true;
        }
    }

    /** Stops the manager's threads; call {@link #shutdown(Duration)} first to stop the pipelines cleanly. */
    @Override
    public void close() {
        timers.shutdownNow();
        pool.shutdown();
        try {
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Hands every runner's conflated counters to its actor: at most one mailbox message per pipeline per sweep. */
    private void sweepCounters() {
        try {
            for (Runnable r = counterHandOvers.poll(); r != null; r = counterHandOvers.poll()) {
                r.run();
            }
        } catch (RuntimeException e) {
            LOG.warn("handing progress to pipelines failed", e); // never let the timer die
        }
    }

    static UserFacingException unknown(String pipeline) {
        return new UserFacingException("no pipeline named " + pipeline + "; 'etl-stream pipeline list' shows them");
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Builds a manager; every part but the runtime has a default. */
    public static final class Builder {
        private final PipelineRuntime runtime;
        private PipelineStore store = new InMemoryPipelineStore();
        private EventSink events = EventSink.NONE;
        private Clock clock = Clock.systemUTC();
        private Backoff backoff = Backoff.DEFAULT;
        private Duration stopTimeout = Duration.ofSeconds(30);
        private int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private Duration counterSweep = Duration.ofMillis(200);

        private Builder(PipelineRuntime runtime) {
            this.runtime = runtime;
        }

        public Builder store(PipelineStore s) {
            this.store = s;
            return this;
        }

        public Builder events(EventSink e) {
            this.events = e;
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        public Builder backoff(Backoff b) {
            this.backoff = b;
            return this;
        }

        /** How long a pipeline's source may take to flush, confirm and close before it is abandoned. */
        public Builder stopTimeout(Duration d) {
            this.stopTimeout = d;
            return this;
        }

        /** How often runners' progress counters are handed to their pipelines (status freshness of counters). */
        public Builder counterSweep(Duration d) {
            this.counterSweep = d;
            return this;
        }

        public Builder threads(int n) {
            this.threads = n;
            return this;
        }

        public PipelineManager build() {
            return new PipelineManager(this);
        }
    }
}
