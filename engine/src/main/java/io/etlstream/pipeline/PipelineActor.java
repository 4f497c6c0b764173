package io.etlstream.pipeline;

import io.etlstream.UserFacingException;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.metrics.EventSink;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipeline as an actor: commands and runner reports arrive in its {@link Mailbox} and are handled one at a time;
 * every field below the mailbox is owned by whichever pool thread is draining it. The only thing other threads
 * read is {@link #status()}, an immutable snapshot replaced atomically after each message.
 */
final class PipelineActor {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineActor.class);

    /** What to do once the runner has stopped. */
    private enum After { PAUSE, STOP, SHUTDOWN, DELETE, RESTART }

    private record Envelope(PipelineCommand command, CompletableFuture<PipelineStatus> reply) {}

    private record FromRunner(int generation, Object event) {}

    private record TableProgress(TableRef table, TablePhase phase, long copied, long total, String error) {}

    private record Streaming() {}

    private record TableStreamed(TableRef table, long rows, long bytes) {}

    private record Progress(long lsn, long rows, long bytes, long lagBytes, double lagSeconds, double latencyMs) {}

    /** The listener has conflated progress to hand over. */
    private record CountersReady(Listener from) {}

    private record Failed(Throwable cause) {}

    private record Reconnecting(int attempt, String error, Instant next, boolean neverConnected) {}

    private record Reconnected() {}

    private record Stopped(long lsn) {}

    private record RetryDue(int token) {}

    private record StopOverdue(int generation) {}

    private final Mailbox<Object> mailbox;
    private final PipelineRuntime runtime;
    private final PipelineStore store;
    private final EventSink events;
    private final Clock clock;
    private final Backoff backoff;
    private final Duration stopTimeout;
    private final ScheduledExecutorService timers;
    private final Runnable onDeleted;
    /** Takes a hand-over of conflated counters and runs it on the manager's next sweep (see {@link Listener}). */
    private final java.util.function.Consumer<Runnable> counterSweep;
    private volatile PipelineStatus status;

    // ---- owned by the mailbox ----
    private PipelineDefinition definition;
    private PipelineState state;
    private final Map<TableRef, TableStatus> tables = new TreeMap<>();
    private SourceRunner runner;
    private int generation;
    private After after;
    private final List<CompletableFuture<PipelineStatus>> afterStopReplies = new ArrayList<>();
    private final ArrayDeque<Envelope> deferred = new ArrayDeque<>();
    private final Set<TableRef> resyncRequested = new java.util.TreeSet<>();
    /** Non-null while the runner's source reconnects by itself. */
    private SourceReconnect sourceReconnect;
    private int attempt;
    private int retryToken;
    private Instant nextAttemptAt;
    private PipelineError lastError;
    private Instant since;
    private long version;
    private long committedLsn;
    private long rowsTotal;
    private long bytesTotal;
    private long lagBytes = -1;
    private double lagSeconds = -1;
    private double latencyMs;
    private double rowsPerSecond;
    private double bytesPerSecond;
    private long tickNanos;
    private long tickRows;
    private long tickBytes;
    private boolean dirty;

    PipelineActor(PipelineStore.PipelineRecord record, PipelineRuntime runtime, PipelineStore store, EventSink events,
            Clock clock, Backoff backoff, Duration stopTimeout, ActorPool pool,
            ScheduledExecutorService timers, Runnable onDeleted, java.util.function.Consumer<Runnable> counterSweep) {
        this.runtime = runtime;
        this.store = store;
        this.events = events;
        this.clock = clock;
        this.backoff = backoff;
        this.stopTimeout = stopTimeout;
        this.timers = timers;
        this.onDeleted = onDeleted;
        this.counterSweep = counterSweep;
        this.definition = record.definition();
        this.committedLsn = record.confirmedLsn();
        for (TableStatus t : record.tables()) {
            tables.put(t.table(), t);
        }
        for (TableRef t : definition.tables()) {
            tables.computeIfAbsent(t, this::freshTable);
        }
        tables.keySet().retainAll(new HashSet<>(definition.tables()));
        // A pipeline paused when the engine last stopped stays paused until someone resumes it.
        this.state = record.paused() ? PipelineState.PAUSED : PipelineState.CREATED;
        this.since = clock.instant();
        this.tickNanos = System.nanoTime();
        this.mailbox = new Mailbox<>(pool, this::handle, this::handlerFailed, this::publishIfDirty);
        publish();
    }

    String name() {
        return definition.name();
    }

    /** The latest snapshot; never blocks. */
    PipelineStatus status() {
        return status;
    }

    CompletableFuture<PipelineStatus> send(PipelineCommand command) {
        CompletableFuture<PipelineStatus> reply = new CompletableFuture<>();
        mailbox.postUrgent(new Envelope(command, reply));
        return reply;
    }

    // ------------------------------------------------------------------ message handling (mailbox thread only)

    private void handle(Object message) {
        if (message instanceof Envelope e) {
            onCommand(e);
        } else if (message instanceof FromRunner r) {
            if (r.generation() == generation && runner != null) {
                onRunner(r.event());
            }
        } else if (message instanceof RetryDue r) {
            if (state == PipelineState.RETRYING && r.token() == retryToken) {
                nextAttemptAt = null;
                startRunner();
            }
        } else if (message instanceof StopOverdue s) {
            if (state == PipelineState.STOPPING && s.generation() == generation && runner != null) {
                lastError = new PipelineError(clock.instant(),
                        "the source did not stop within " + stopTimeout.toSeconds() + "s",
                        "check the log; PostgreSQL ends the abandoned connection when it notices it is gone", false);
                events.publish(event(EngineEvent.Kind.ERROR, EngineEvent.Severity.ERROR, lastError.cause()));
                runner = null;
                generation++;
                finishStop();
            }
        }
        dirty = true;
    }

    private void publishIfDirty() {
        if (dirty) {
            publish();
        }
    }

    private void handlerFailed(Throwable t) {
        LOG.error("pipeline {}: internal error while handling a message", name(), t);
        lastError = new PipelineError(clock.instant(), "internal error: " + t,
                "send the log to support; stop and start the pipeline", false);
        publish();
    }

    private void onCommand(Envelope e) {
        if (state == PipelineState.STOPPING) {
            deferred.add(e);
            return;
        }
        try {
            apply(e.command(), e.reply());
        } catch (RuntimeException ex) {
            e.reply().completeExceptionally(ex);
        }
    }

    private void apply(PipelineCommand command, CompletableFuture<PipelineStatus> reply) {
        if (state == PipelineState.DELETED) {
            throw new UserFacingException("pipeline " + name() + " was deleted");
        }
        if (command instanceof PipelineCommand.Start) {
            setEnabled(true);
            if (!state.isRunning()) {
                cancelRetry();
                lastError = null;
                attempt = 0;
                startRunner();
            }
            done(reply);
        } else if (command instanceof PipelineCommand.Stop) {
            setEnabled(false);
            stopTo(After.STOP, reply);
        } else if (command instanceof PipelineCommand.Shutdown) {
            stopTo(After.SHUTDOWN, reply);
        } else if (command instanceof PipelineCommand.Pause p) {
            if (state == PipelineState.PAUSED) {
                done(reply);
            } else if (state.isRunning() || state == PipelineState.RETRYING) {
                if (p.reason() != null) {
                    events.publish(event(EngineEvent.Kind.WARNING, EngineEvent.Severity.WARNING,
                            "pausing: " + p.reason()));
                }
                stopTo(After.PAUSE, reply);
            } else {
                throw new UserFacingException("pipeline " + name() + " is " + state.label()
                        + "; only a running pipeline can be paused");
            }
        } else if (command instanceof PipelineCommand.Resume) {
            if (state == PipelineState.PAUSED) {
                startRunner();
            } else if (!state.isRunning()) {
                throw new UserFacingException("pipeline " + name() + " is " + state.label()
                        + ", not paused; use 'pipeline start " + name() + "'");
            }
            done(reply);
        } else if (command instanceof PipelineCommand.Delete) {
            if (state.isRunning()) {
                beginStop(After.DELETE, reply);
            } else {
                cancelRetry();
                delete();
                done(reply);
            }
        } else if (command instanceof PipelineCommand.ResyncTable r) {
            TableStatus t = requireTable(r.table());
            tables.put(r.table(), new TableStatus(t.table(), TablePhase.PENDING_SNAPSHOT, 0, 0));
            resyncRequested.add(r.table());
            // A runner that can copy one table while the others stream does it live; otherwise restart.
            boolean live = runner != null && state.isRunning() && runner.resyncTable(r.table());
            events.publish(event(EngineEvent.Kind.INFO, EngineEvent.Severity.INFO, "resync of " + r.table()
                    + " requested" + (live ? "; the other tables keep streaming" : "")));
            if (live) {
                persist();
                done(reply);
            } else {
                restartIfRunning(reply);
            }
        } else if (command instanceof PipelineCommand.ResyncPipeline) {
            for (TableStatus t : List.copyOf(tables.values())) {
                tables.put(t.table(), new TableStatus(t.table(), TablePhase.PENDING_SNAPSHOT, 0, 0));
                resyncRequested.add(t.table());
            }
            events.publish(event(EngineEvent.Kind.INFO, EngineEvent.Severity.INFO, "resync of the whole pipeline"
                    + " requested: a new replication slot, every table copied again"
                    + (state.isRunning() ? "" : " when it next starts")));
            restartIfRunning(reply);
        } else if (command instanceof PipelineCommand.AddTable a) {
            definition = definition.withAddedTable(a.table());
            tables.put(a.table(), freshTable(a.table()));
            restartIfRunning(reply);
        } else if (command instanceof PipelineCommand.RemoveTable r) {
            requireTable(r.table());
            if (tables.size() == 1) {
                throw new UserFacingException("pipeline " + name() + " would have no table left; delete the pipeline"
                        + " instead (pipeline delete " + name() + ")");
            }
            List<TableRef> list = new ArrayList<>(definition.tables());
            list.remove(r.table());
            definition = definition.withTables(list);
            tables.remove(r.table());
            resyncRequested.remove(r.table());
            events.publish(event(EngineEvent.Kind.INFO, EngineEvent.Severity.INFO, "table " + r.table()
                    + " removed from the pipeline: it leaves the publication "
                    + (state.isRunning() ? "now (the source restarts without it)" : "when the pipeline next starts")
                    + " and its changes are no longer delivered; its destination tables stay as they are (drop them"
                    + " in Snowflake if they are no longer needed)"));
            restartIfRunning(reply);
        } else if (command instanceof PipelineCommand.UpdateSettings u) {
            if (definition.settings().snapshot() && !u.settings().snapshot()) {
                // No initial copy any more: only tables a resync asked for still wait for one.
                for (TableStatus t : List.copyOf(tables.values())) {
                    if (t.phase() == TablePhase.PENDING_SNAPSHOT && !resyncRequested.contains(t.table())) {
                        tables.put(t.table(), t.withPhase(TablePhase.STREAMING_ONLY));
                    }
                }
            }
            definition = definition.withSettings(u.settings());
            restartIfRunning(reply);
        } else {
            throw new IllegalArgumentException("unknown command " + command);
        }
    }

    private TableStatus requireTable(TableRef t) {
        TableStatus s = tables.get(t);
        if (s == null) {
            throw new UserFacingException("pipeline " + name() + " has no table " + t + "; its tables are "
                    + tables.keySet());
        }
        return s;
    }

    private TableStatus freshTable(TableRef t) {
        return new TableStatus(t, definition.settings().snapshot() ? TablePhase.PENDING_SNAPSHOT
                : TablePhase.STREAMING_ONLY, 0, 0);
    }

    private void setEnabled(boolean enabled) {
        if (definition.enabled() != enabled) {
            definition = definition.withEnabled(enabled);
            persist();
        }
    }

    private void restartIfRunning(CompletableFuture<PipelineStatus> reply) {
        persist();
        if (state.isRunning()) {
            beginStop(After.RESTART, reply);
        } else {
            done(reply);
        }
    }

    private void stopTo(After target, CompletableFuture<PipelineStatus> reply) {
        if (state.isRunning()) {
            beginStop(target, reply);
            return;
        }
        if (target == After.SHUTDOWN && state != PipelineState.RETRYING) {
            done(reply);
            return;
        }
        cancelRetry();
        PipelineState to = target == After.PAUSE ? PipelineState.PAUSED : PipelineState.STOPPED;
        if (state != to && state.canMoveTo(to)) {
            move(to, null);
        }
        done(reply);
    }

    private void done(CompletableFuture<PipelineStatus> reply) {
        publish();
        reply.complete(status);
    }

    private void startRunner() {
        sourceReconnect = null; // a new runner's source has not lost anything yet
        Set<TableRef> toCopy = new HashSet<>();
        Map<TableRef, String> stopped = new java.util.HashMap<>();
        for (TableStatus t : tables.values()) {
            if (t.phase() == TablePhase.PENDING_SNAPSHOT || t.phase() == TablePhase.SNAPSHOTTING) {
                toCopy.add(t.table());
            } else if (t.phase() == TablePhase.ERRORED) {
                // Stopped by the sink: it stays stopped (a restart or a retry must not quietly resume it past the
                // changes it dropped); only a resync, which copies it again, brings it back.
                stopped.put(t.table(), t.error());
            }
        }
        if (!definition.settings().snapshot()) {
            // Such a pipeline copies nothing by itself: a table waiting for a copy waits for a resync, also one
            // recorded with no engine running (the catalog keeps it) or cut short by a stop.
            resyncRequested.addAll(toCopy);
        }
        PipelineState target = toCopy.isEmpty() ? PipelineState.STREAMING : PipelineState.SNAPSHOTTING;
        move(target, null);
        resetRates();
        int gen = ++generation;
        resyncRequested.retainAll(tables.keySet());
        RunPlan plan = new RunPlan(definition, definition.tables(), toCopy, resyncRequested, stopped, committedLsn,
                attempt);
        try {
            runner = runtime.open(plan, new Listener(gen));
            runner.start();
        } catch (RuntimeException e) {
            runner = null;
            generation++;
            onFailure(e);
        }
    }

    private void beginStop(After target, CompletableFuture<PipelineStatus> reply) {
        after = target;
        afterStopReplies.add(reply);
        move(PipelineState.STOPPING, null);
        int gen = generation;
        timers.schedule(() -> mailbox.postUrgent(new StopOverdue(gen)), stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            runner.requestStop();
        } catch (RuntimeException e) {
            LOG.warn("pipeline {}: stop request failed", name(), e);
            runner = null;
            generation++;
            finishStop();
        }
    }

    private void finishStop() {
        runner = null;
        // also when the stop overran or its request failed: the runner's late Stopped/Failed, which would clear it,
        // is dropped as of an older generation
        sourceReconnect = null;
        rowsPerSecond = 0;
        bytesPerSecond = 0;
        After a = after;
        after = null;
        switch (a) {
            case PAUSE -> move(PipelineState.PAUSED, null);
            case STOP, SHUTDOWN -> move(PipelineState.STOPPED, null);
            case DELETE -> delete();
            case RESTART -> startRunner();
        }
        persist();
        publish();
        for (CompletableFuture<PipelineStatus> f : afterStopReplies) {
            f.complete(status);
        }
        afterStopReplies.clear();
        while (state != PipelineState.STOPPING && !deferred.isEmpty()) {
            onCommand(deferred.poll());
        }
    }

    private void delete() {
        move(PipelineState.DELETED, null);
        try {
            store.delete(name());
        } finally {
            onDeleted.run();
            for (Envelope e : deferred) {
                e.reply().completeExceptionally(new UserFacingException("pipeline " + name() + " was deleted"));
            }
            deferred.clear();
        }
    }

    private void onRunner(Object ev) {
        if (ev instanceof TableProgress p) {
            TableStatus old = tables.get(p.table());
            // A runner stopping for a resync reports its tables as they were; the requested copy is still to come.
            boolean stale = state == PipelineState.STOPPING && resyncRequested.contains(p.table());
            if (old != null && !stale) {
                tables.put(p.table(), new TableStatus(p.table(), p.phase(), p.copied(), p.total(), old.rowsStreamed(),
                        old.bytesStreamed(), p.error()));
                if (p.phase() == TablePhase.STREAMING) {
                    resyncRequested.remove(p.table()); // the new copy is done
                }
                if (old.phase() != p.phase()) {
                    persist();
                    if (p.phase() == TablePhase.ERRORED) {
                        events.publish(event(EngineEvent.Kind.ERROR, EngineEvent.Severity.ERROR, "table " + p.table()
                                + " stopped: " + p.error() + " To bring it back: "
                                + TableStatus.resyncCommand(name(), p.table())));
                    }
                }
            }
        } else if (ev instanceof CountersReady ready) {
            ready.from().flagged.set(false);
            for (TableRef t : List.copyOf(ready.from().tableCounters.keySet())) {
                TableStreamed ts = ready.from().tableCounters.remove(t);
                TableStatus old = ts == null ? null : tables.get(t);
                if (old != null) {
                    tables.put(t, old.withStreamed(ts.rows(), ts.bytes()));
                }
            }
            Progress p = ready.from().progress.getAndSet(null);
            if (p != null) {
                onRunner(p);
            }
        } else if (ev instanceof Streaming) {
            // Without --snapshot, a resync of some tables copies them while the stream runs: each stays copying until
            // the runner reports its copy done. Every other copy is done before the stream starts.
            Set<TableRef> stillCopying = !definition.settings().snapshot()
                    && !RunPlan.resyncsWholePipeline(resyncRequested, tables.keySet()) ? Set.copyOf(resyncRequested) : Set.of();
            resyncRequested.retainAll(stillCopying);
            for (TableStatus t : List.copyOf(tables.values())) {
                if (t.phase() != TablePhase.STREAMING && t.phase() != TablePhase.STREAMING_ONLY
                        && t.phase() != TablePhase.ERRORED // a stopped table waits for its resync
                        && !stillCopying.contains(t.table())) {
                    tables.put(t.table(), t.withPhase(TablePhase.STREAMING));
                }
            }
            persist();
            attempt = 0;
            if (state == PipelineState.SNAPSHOTTING) {
                move(PipelineState.STREAMING, null);
            }
        } else if (ev instanceof Progress p) {
            committedLsn = Math.max(committedLsn, p.lsn());
            rowsTotal = p.rows();
            bytesTotal = p.bytes();
            updateRates();
            lagBytes = p.lagBytes();
            lagSeconds = p.lagSeconds();
            latencyMs = p.latencyMs();
            attempt = 0;
        } else if (ev instanceof Reconnecting r) {
            if (sourceReconnect != null && sourceReconnect.neverConnected() && !r.neverConnected()) {
                // It connected and lost the connection again between two looks: the first outage is over.
                sourceBack();
            }
            if (sourceReconnect == null) {
                // One event per outage, not per attempt: the status carries the attempts. A source that never
                // connected lost nothing: the server is not reachable, and the error says what to check.
                events.publish(event(EngineEvent.Kind.WARNING, EngineEvent.Severity.WARNING,
                        (r.neverConnected() ? "source cannot connect to PostgreSQL (not reachable since the start: "
                                + r.error() + "); trying again"
                                : "source connection lost (" + r.error() + "); reconnecting")
                                + (r.next() == null ? "" : ", next attempt at " + r.next())));
            }
            sourceReconnect = new SourceReconnect(r.attempt(), r.error(), r.next(),
                    sourceReconnect == null ? clock.instant() : sourceReconnect.since(), r.neverConnected());
        } else if (ev instanceof Reconnected) {
            sourceBack();
        } else if (ev instanceof Failed f) {
            sourceReconnect = null;
            runner = null;
            generation++;
            if (state == PipelineState.STOPPING) {
                lastError = FailureClassifier.classify(f.cause(), clock.instant());
                finishStop();
            } else {
                onFailure(f.cause());
            }
        } else if (ev instanceof Stopped s) {
            sourceReconnect = null;
            runner = null;
            generation++;
            committedLsn = Math.max(committedLsn, s.lsn());
            if (state == PipelineState.STOPPING) {
                finishStop();
            } else {
                onFailure(PipelineFailure.transientFailure("the source stopped without being asked to", null));
            }
        }
    }

    /** The source reaches PostgreSQL again (or for the first time): one event for the outage, which ends. */
    private void sourceBack() {
        if (sourceReconnect != null) {
            String over = sourceReconnect.attempt() + " failed attempt(s) over "
                    + Duration.between(sourceReconnect.since(), clock.instant()).toSeconds() + " s";
            events.publish(event(EngineEvent.Kind.INFO, EngineEvent.Severity.INFO,
                    sourceReconnect.neverConnected() ? "source connected to PostgreSQL after " + over
                            : "source connection is back after " + over));
            sourceReconnect = null;
        }
    }

    /**
     * Rates over the last second or more, computed from the runner's own reports (runners report at least every
     * poll interval) rather than from a manager-wide tick: a tick that posts to every actor at once queues a thousand
     * drains in front of any command sent at that moment.
     */
    private void updateRates() {
        long now = System.nanoTime();
        double secs = (now - tickNanos) / 1e9;
        if (secs >= 1.0) {
            rowsPerSecond = Math.max(0, rowsTotal - tickRows) / secs;
            bytesPerSecond = Math.max(0, bytesTotal - tickBytes) / secs;
            tickRows = rowsTotal;
            tickBytes = bytesTotal;
            tickNanos = now;
        }
    }

    /** A new runner counts from zero; a stopped one moves nothing. */
    private void resetRates() {
        rowsPerSecond = 0;
        bytesPerSecond = 0;
        tickRows = 0;
        tickBytes = 0;
        tickNanos = System.nanoTime();
    }

    private void onFailure(Throwable cause) {
        rowsPerSecond = 0;
        bytesPerSecond = 0;
        PipelineError err = FailureClassifier.classify(cause, clock.instant());
        lastError = err;
        if (!err.permanent()) {
            LOG.warn("pipeline {}: transient failure, will retry: {}", name(), err.cause());
        } else {
            LOG.error("pipeline {}: stopped on a permanent failure: {} — {}", name(), err.cause(), err.suggestedAction());
        }
        events.publish(event(EngineEvent.Kind.ERROR, EngineEvent.Severity.ERROR,
                err.cause() + " — " + err.suggestedAction()));
        if (err.permanent()) {
            move(PipelineState.FAILED, err.cause());
            persist();
            return;
        }
        attempt++;
        Duration delay = backoff.delay(attempt, () -> ThreadLocalRandom.current().nextDouble());
        nextAttemptAt = clock.instant().plus(delay);
        int token = ++retryToken;
        move(PipelineState.RETRYING, "attempt " + attempt + " in " + delay.toMillis() + " ms");
        timers.schedule(() -> mailbox.postUrgent(new RetryDue(token)), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelRetry() {
        retryToken++;
        nextAttemptAt = null;
    }

    private void move(PipelineState next, String detail) {
        if (next == state) {
            return;
        }
        state.checkTransition(next);
        PipelineState from = state;
        state = next;
        since = clock.instant();
        if (from == PipelineState.PAUSED || next == PipelineState.PAUSED) {
            persist(); // paused is remembered across engine restarts; so is leaving it
        }
        if (next != PipelineState.RETRYING) {
            nextAttemptAt = null;
        }
        events.publish(event(EngineEvent.Kind.STATE_CHANGE,
                next == PipelineState.FAILED ? EngineEvent.Severity.ERROR : EngineEvent.Severity.INFO,
                from.label() + " -> " + next.label() + (detail == null ? "" : " (" + detail + ")")));
    }

    private void persist() {
        if (state == PipelineState.DELETED) {
            return;
        }
        try {
            store.save(new PipelineStore.PipelineRecord(definition, List.copyOf(tables.values()), committedLsn,
                    state == PipelineState.PAUSED));
        } catch (RuntimeException e) {
            LOG.error("pipeline {}: cannot save its state to the catalog", name(), e);
            events.publish(event(EngineEvent.Kind.ERROR, EngineEvent.Severity.ERROR,
                    "cannot save pipeline state to the catalog: " + e.getMessage()));
        }
    }

    private EngineEvent event(EngineEvent.Kind kind, EngineEvent.Severity severity, String message) {
        return new EngineEvent(clock.instant(), kind, severity, name(), definition.source(), message);
    }

    private void publish() {
        dirty = false;
        status = new PipelineStatus(definition.name(), definition.source(), definition.destination(), state,
                definition.enabled(), definition.settings(), List.copyOf(tables.values()), committedLsn, lagBytes, lagSeconds, rowsPerSecond,
                bytesPerSecond, latencyMs, rowsTotal, bytesTotal, attempt, nextAttemptAt, lastError, since, ++version,
                sourceReconnect);
    }

    /**
     * Turns runner calls from any thread into mailbox messages tagged with the runner's generation. Counters are
     * conflated: a busy runner overwrites its pending progress instead of queueing one message per batch, so a
     * pipeline's mailbox (and the shared pool) never drowns in progress reports and commands stay quick. Counters
     * reach the published status within one sweep period of the manager.
     */
    private final class Listener implements RunnerListener {
        private final int gen;
        final java.util.concurrent.atomic.AtomicReference<Progress> progress =
                new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.ConcurrentHashMap<TableRef, TableStreamed> tableCounters =
                new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.concurrent.atomic.AtomicBoolean flagged = new java.util.concurrent.atomic.AtomicBoolean();

        Listener(int gen) {
            this.gen = gen;
        }

        private void countersChanged() {
            if (flagged.compareAndSet(false, true)) {
                // Not straight to the mailbox: the manager's sweep posts every flagged pipeline's hand-over a few
                // times a second from one thread, so a thousand busy runners cost a few pool wake-ups, not thousands.
                counterSweep.accept(() -> mailbox.post(new FromRunner(gen, new CountersReady(this))));
            }
        }

        @Override
        public void tableProgress(TableRef table, TablePhase phase, long rowsCopied, long rowsTotal) {
            mailbox.post(new FromRunner(gen, new TableProgress(table, phase, rowsCopied, rowsTotal, null)));
        }

        @Override
        public void tableStopped(TableRef table, String reason) {
            mailbox.post(new FromRunner(gen, new TableProgress(table, TablePhase.ERRORED, 0, 0,
                    reason == null ? "stopped by the sink" : reason)));
        }

        @Override
        public void tableStreamed(TableRef table, long rows, long bytes) {
            tableCounters.put(table, new TableStreamed(table, rows, bytes));
            countersChanged();
        }

        @Override
        public void streaming() {
            mailbox.post(new FromRunner(gen, new Streaming()));
        }

        @Override
        public void progress(long lsn, long rows, long bytes, long lagB, double lagS, double latency) {
            progress.set(new Progress(lsn, rows, bytes, lagB, lagS, latency));
            countersChanged();
        }

        @Override
        public void sourceReconnecting(int attempt, String lastError, Instant nextAttemptAt, boolean neverConnected) {
            mailbox.post(new FromRunner(gen, new Reconnecting(attempt, lastError, nextAttemptAt, neverConnected)));
        }

        @Override
        public void sourceReconnected() {
            mailbox.post(new FromRunner(gen, new Reconnected()));
        }

        @Override
        public void failed(Throwable cause) {
            mailbox.postUrgent(new FromRunner(gen, new Failed(cause)));
        }

        @Override
        public void stopped(long confirmedLsn) {
            // Hand over the last counters first, so the final confirmed position is not lost to conflation.
            mailbox.post(new FromRunner(gen, new CountersReady(this)));
            mailbox.postUrgent(new FromRunner(gen, new Stopped(confirmedLsn)));
        }
    }
}
