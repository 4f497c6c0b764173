package io.etlstream.pipeline;

import io.etlstream.batch.TableId;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.metrics.EventSink;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SourceState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plugs the PostgreSQL source into pipeline actors: each runner owns one {@link PgSource} and its sink on one
 * supervising thread, which starts them, reports the source's snapshot of progress every {@code pollInterval}, and on
 * stop closes the source (its stream confirms the durable LSN) and the sink, in that order, before reporting stopped.
 */
public final class PgSourceRuntime implements PipelineRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(PgSourceRuntime.class);

    /** Builds the parts of one run of a pipeline; the run owns and closes what they return (the connector too). */
    public interface Parts {
        PgConnector connector(PipelineDefinition pipeline);

        ChangeSink sink(PipelineDefinition pipeline);

        SnapshotLedger ledger(PipelineDefinition pipeline);

        /** The pipeline's slot and publication; a catalog-backed engine returns the names the catalog stored. */
        default ReplicationNames names(PipelineDefinition pipeline) {
            return ReplicationNames.forPipeline(pipeline.name());
        }

        /** Where snapshot progress events go (the engine's event log). */
        default EventSink events() {
            return EventSink.NONE;
        }
    }

    private final Parts parts;
    private final PgSource.Options options;
    private final Duration pollInterval;

    public PgSourceRuntime(Parts parts, PgSource.Options options, Duration pollInterval) {
        this.parts = parts;
        this.options = options;
        this.pollInterval = pollInterval;
    }

    /** The source options for one pipeline: its parallelism is the number of snapshot connections. */
    static PgSource.Options optionsFor(PgSource.Options base, PipelineDefinition def) {
        return base.withSnapshotConnections(def.settings().parallelism());
    }

    @Override
    public SourceRunner open(RunPlan plan, RunnerListener listener) {
        return new Runner(plan, listener);
    }

    private final class Runner implements SourceRunner {
        private final RunPlan plan;
        private final RunnerListener listener;
        private final CountDownLatch stop = new CountDownLatch(1);
        /** Resyncs asked for while the runner runs; the supervising thread hands them to the source. */
        private final java.util.concurrent.ConcurrentLinkedQueue<TableRef> resyncs =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
        private Thread thread;

        Runner(RunPlan plan, RunnerListener listener) {
            this.plan = plan;
            this.listener = listener;
        }

        @Override
        public void start() {
            thread = new Thread(this::supervise, "pipeline-" + plan.definition().name());
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void requestStop() {
            stop.countDown();
        }

        /** Live: the source copies the table again while the other tables keep streaming; no restart. */
        @Override
        public boolean resyncTable(TableRef table) {
            if (!plan.tables().contains(table)) {
                return false;
            }
            resyncs.add(table);
            return true;
        }

        private void supervise() {
            PipelineDefinition def = plan.definition();
            CountingSink sink = null;
            PgConnector connector = null;
            PgSource source = null;
            SnapshotLedger ledger = null;
            Throwable failure = null;
            java.util.Set<TableRef> resyncing = new java.util.HashSet<>();
            java.util.Set<TableRef> stopped = new java.util.HashSet<>();
            try {
                ledger = parts.ledger(def);
                connector = parts.connector(def);
                boolean whole = plan.resyncsWholePipeline();
                if (whole) {
                    // The whole pipeline: a new slot (the way out of an invalidated or lost one), every table copied
                    // again on its snapshot; the sink resets each table's destination before its copy.
                    // The stored names: a catalog pipeline's slot carries the home's id, not just the name.
                    String dropped = PgSource.removePipeline(connector, parts.names(def));
                    LOG.info("pipeline {}: resync of the whole pipeline: {}", def.name(), dropped);
                    parts.events().publish(new EngineEvent(java.time.Instant.now(), EngineEvent.Kind.INFO,
                            EngineEvent.Severity.INFO, def.name(), def.source(), "resync of the whole pipeline: "
                                    + dropped + "; a new slot is created and every table copied again"));
                    ledger.clear();
                } else {
                    // Forgotten before anything else: a crash from here on still copies these tables again.
                    for (TableRef t : plan.resyncTables()) {
                        ledger.forget(new TableId(t.schema(), t.name()));
                        if (!def.settings().snapshot()) {
                            resyncs.add(t); // a source that does not copy new tables still copies a resync
                        }
                    }
                }
                List<TableId> tables = new ArrayList<>();
                for (TableRef t : plan.tables()) {
                    tables.add(new TableId(t.schema(), t.name()));
                }
                for (TableId t : ledger.completed()) {
                    if (!tables.contains(t)) {
                        ledger.forget(t); // removed from the pipeline: added again later, it is copied again
                    }
                }
                sink = new CountingSink(parts.sink(def));
                java.util.Set<TableId> copied = ledger.completed();
                for (Map.Entry<TableRef, String> e : plan.stoppedTables().entrySet()) {
                    TableRef ref = e.getKey();
                    TableId id = new TableId(ref.schema(), ref.name());
                    if (copied.contains(id)) {
                        // Stopped in an earlier run: still stopped. The ledger lists its old copy as durable, but the
                        // changes dropped since the stop are not in Snowflake, so it must not resume streaming.
                        sink.keepStopped(id, e.getValue());
                        stopped.add(ref);
                    } else {
                        // Stopped during its copy, which never became durable: the source copies it again anyway.
                        resyncing.add(ref);
                    }
                }
                source = new PgSource(connector, parts.names(def), tables, sink, ledger,
                        optionsFor(options, def).withProgress(new SnapshotProgressReporter(def.name(), def.source(),
                                listener, parts.events(), java.time.Clock.systemUTC(),
                                SnapshotProgressReporter.DEFAULT_INTERVAL)));
                // --snapshot no: stream from the slot's creation without copying; a resync the user asked for copies.
                source.copyExistingRows(def.settings().snapshot() || whole);
                java.util.Set<TableRef> reported = new java.util.HashSet<>();
                // Before the start too: the source then copies these tables instead of first announcing them.
                handOverResyncs(source, ledger, reported, resyncing, stopped);
                source.start();
                boolean streaming = false;
                SourceWatch watch = new SourceWatch();
                while (!stop.await(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
                    handOverResyncs(source, ledger, reported, resyncing, stopped);
                    PgSource.Status s = source.status();
                    Optional<Throwable> f = source.failure();
                    if (f.isPresent() || s.state() == SourceState.FAILED) {
                        failure = f.orElseGet(() -> PipelineFailure.transientFailure(String.valueOf(s.lastError()),
                                null));
                        break;
                    }
                    watch.look(s);
                    if (!streaming && s.state() == SourceState.STREAMING) {
                        streaming = true;
                        listener.streaming();
                    }
                    java.util.Set<TableId> completed = ledger.completed();
                    for (TableId t : completed) {
                        TableRef ref = new TableRef(t.schema(), t.name());
                        if (resyncing.contains(ref)) {
                            if (!source.copying().contains(t)) {
                                resyncing.remove(ref);
                                listener.tableProgress(ref, TablePhase.STREAMING, 0, 0);
                            }
                        } else if (plan.snapshotTables().contains(ref) && reported.add(ref)) {
                            listener.tableProgress(ref, TablePhase.STREAMING, 0, 0);
                        }
                    }
                    reportStopped(sink, stopped);
                    progress(s, sink);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = e;
            } catch (Exception | Error e) {
                failure = e;
            }
            long confirmed = 0;
            try {
                if (source != null) {
                    source.close();
                    confirmed = source.status().confirmedLsn();
                }
            } catch (RuntimeException e) {
                LOG.warn("pipeline {}: closing the source failed", def.name(), e);
            } finally {
                if (sink != null) {
                    try {
                        sink.close();
                    } catch (Exception e) {
                        LOG.warn("pipeline {}: closing the sink failed", def.name(), e);
                        if (failure == null) {
                            failure = e;
                        }
                    }
                }
            }
            if (sink != null) {
                // A table the sink stopped just before a failure (a fenced channel) or the stop: it stays stopped in
                // the pipeline's state, so the retry or the next start does not resume it.
                try {
                    reportStopped(sink, stopped);
                } catch (RuntimeException e) {
                    LOG.warn("pipeline {}: cannot read the sink's stopped tables", def.name(), e);
                }
            }
            // Tell the pipeline what is now durable, so the catalog's phases and LSN match the source's ledger.
            if (ledger != null) {
                try {
                    for (TableId t : ledger.completed()) {
                        TableRef ref = new TableRef(t.schema(), t.name());
                        if (!stopped.contains(ref)) { // a table the sink stopped stays errored until its resync
                            listener.tableProgress(ref, TablePhase.STREAMING, 0, 0);
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.warn("pipeline {}: cannot read the snapshot ledger", def.name(), e);
                }
            }
            if (connector != null) {
                connector.close(); // zero the PostgreSQL password: this run will not connect again
            }
            if (failure != null) {
                listener.failed(failure);
            } else {
                if (sink != null) {
                    reportTables(sink);
                    listener.progress(confirmed, sink.rows(), sink.bytes(), -1, -1, sink.latencyMillis());
                } else {
                    listener.progress(confirmed, 0, 0, -1, -1, 0);
                }
                listener.stopped(confirmed);
            }
        }

        /**
         * Turns the source's own reconnects into pipeline reports: reconnecting (with the attempts since the loss)
         * on every look until the source streams or copies again, then reconnected once. A loss and recovery both
         * between two looks is still reported, from the source's reconnect count.
         */
        private final class SourceWatch {
            private int reconnectsBefore;
            private boolean reconnecting;
            /** A look found the source connected: later failures are a lost connection, not an unreachable server. */
            private boolean seenConnected;

            void look(PgSource.Status s) {
                int lost = s.reconnects() - reconnectsBefore;
                boolean connected = s.state() == SourceState.STREAMING || s.state() == SourceState.SNAPSHOT;
                if (connected) {
                    if (lost > 0 && !reconnecting) {
                        // failures before the first connection this watch sees happened before any connection
                        listener.sourceReconnecting(lost, s.lastError(), null, !seenConnected);
                        reconnecting = true;
                    }
                    if (reconnecting) {
                        listener.sourceReconnected();
                        reconnecting = false;
                    }
                    reconnectsBefore = s.reconnects();
                    seenConnected = true;
                } else if (lost > 0) {
                    reconnecting = true;
                    listener.sourceReconnecting(lost, s.lastError(), s.nextAttemptAt(), s.neverConnected());
                }
            }
        }

        private void handOverResyncs(PgSource source, SnapshotLedger ledger, java.util.Set<TableRef> reported,
                java.util.Set<TableRef> resyncing, java.util.Set<TableRef> stopped) {
            for (TableRef t; (t = resyncs.poll()) != null; ) {
                TableId id = new TableId(t.schema(), t.name());
                ledger.forget(id);
                reported.add(t); // the table is watched again until its new copy is durable
                resyncing.add(t);
                stopped.remove(t);
                listener.tableProgress(t, TablePhase.SNAPSHOTTING, 0, 0);
                source.resyncTable(id);
            }
        }

        private void reportStopped(CountingSink sink, java.util.Set<TableRef> stopped) {
            for (TableId t : sink.stoppedTables()) {
                TableRef ref = new TableRef(t.schema(), t.name());
                if (stopped.add(ref)) {
                    listener.tableStopped(ref, sink.stopReason(t));
                }
            }
        }

        /**
         * What the pipeline's status and metrics show while it runs: rows and Arrow bytes handed to the sink (in total
         * and per table), WAL received but not yet durable (lag bytes), the age of the oldest transaction not yet
         * durable (lag seconds) and the hand-over-to-durable time of the last one.
         */
        private void progress(PgSource.Status s, CountingSink sink) {
            long lag = s.receivedLsn() > 0 ? Math.max(0, s.receivedLsn() - s.durableLsn()) : -1;
            reportTables(sink);
            listener.progress(s.confirmedLsn(), sink.rows(), sink.bytes(), lag,
                    sink.lagSeconds(System.currentTimeMillis()), sink.latencyMillis());
        }

        private void reportTables(CountingSink sink) {
            for (Map.Entry<TableId, CountingSink.Counts> e : sink.perTable().entrySet()) {
                listener.tableStreamed(new TableRef(e.getKey().schema(), e.getKey().name()), e.getValue().rows(),
                        e.getValue().bytes());
            }
        }
    }
}
