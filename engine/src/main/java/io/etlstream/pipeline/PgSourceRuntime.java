package io.etlstream.pipeline;

import io.etlstream.batch.TableId;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SourceState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    /** Builds the parts of one run of a pipeline. */
    public interface Parts {
        PgConnector connector(PipelineDefinition pipeline);

        ChangeSink sink(PipelineDefinition pipeline);

        SnapshotLedger ledger(PipelineDefinition pipeline);
    }

    private final Parts parts;
    private final PgSource.Options options;
    private final Duration pollInterval;

    public PgSourceRuntime(Parts parts, PgSource.Options options, Duration pollInterval) {
        this.parts = parts;
        this.options = options;
        this.pollInterval = pollInterval;
    }

    @Override
    public SourceRunner open(RunPlan plan, RunnerListener listener) {
        return new Runner(plan, listener);
    }

    private final class Runner implements SourceRunner {
        private final RunPlan plan;
        private final RunnerListener listener;
        private final CountDownLatch stop = new CountDownLatch(1);
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

        private void supervise() {
            PipelineDefinition def = plan.definition();
            MeteredSink sink = null;
            PgSource source = null;
            SnapshotLedger ledger = null;
            Throwable failure = null;
            try {
                ledger = parts.ledger(def);
                for (TableRef t : plan.resyncTables()) {
                    // The user asked for a new copy; the ledger can only forget every table, so all are copied again.
                    if (ledger.completed().contains(new TableId(t.schema(), t.name()))) {
                        ledger.clear();
                        break;
                    }
                }
                List<TableId> tables = new ArrayList<>();
                for (TableRef t : plan.tables()) {
                    tables.add(new TableId(t.schema(), t.name()));
                }
                sink = new MeteredSink(parts.sink(def), java.time.Clock.systemUTC());
                source = new PgSource(parts.connector(def), def.name(), tables, sink, ledger, options);
                source.start();
                boolean streaming = false;
                java.util.Set<TableRef> reported = new java.util.HashSet<>();
                while (!stop.await(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
                    PgSource.Status s = source.status();
                    Optional<Throwable> f = source.failure();
                    if (f.isPresent() || s.state() == SourceState.FAILED) {
                        failure = f.orElseGet(() -> PipelineFailure.transientFailure(String.valueOf(s.lastError()),
                                null));
                        break;
                    }
                    if (!streaming && s.state() == SourceState.STREAMING) {
                        streaming = true;
                        listener.streaming();
                    }
                    for (TableId t : ledger.completed()) {
                        TableRef ref = new TableRef(t.schema(), t.name());
                        if (plan.snapshotTables().contains(ref) && reported.add(ref)) {
                            listener.tableProgress(ref, TablePhase.STREAMING, 0, 0);
                        }
                    }
                    long lag = s.receivedLsn() > 0 ? Math.max(0, s.receivedLsn() - s.durableLsn()) : -1;
                    listener.progress(s.confirmedLsn(), sink.rows(), sink.bytes(), lag,
                            lag < 0 ? -1 : sink.lagSeconds(), 0);
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
            // Tell the pipeline what is now durable, so the catalog's phases and LSN match the source's ledger.
            if (ledger != null) {
                try {
                    for (TableId t : ledger.completed()) {
                        listener.tableProgress(new TableRef(t.schema(), t.name()), TablePhase.STREAMING, 0, 0);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("pipeline {}: cannot read the snapshot ledger", def.name(), e);
                }
            }
            if (failure != null) {
                listener.failed(failure);
            } else {
                listener.progress(confirmed, sink == null ? 0 : sink.rows(), sink == null ? 0 : sink.bytes(), -1, -1,
                        0);
                listener.stopped(confirmed);
            }
        }
    }
}
