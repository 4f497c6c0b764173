package io.etlstream.pipeline;

import io.etlstream.metrics.EventSink;
import io.etlstream.sink.SinkEvents;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowflakeSink;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The parts of a {@link PgSourceRuntime} for tests with the real Snowflake sink on the emulator: one connector and one
 * ledger for every run, and a new sink per run from one {@link SnowflakeDestination} (merges only by hand), the latest
 * kept for the test to merge or inspect.
 */
final class EmulatorSinkParts implements PgSourceRuntime.Parts {

    private final PgConnector connector;
    private final SnowflakeDestination destination;
    private final SnapshotLedger ledger;
    private final SinkEvents sinkEvents;
    private final AtomicReference<SnowflakeSink> lastSink = new AtomicReference<>();
    private volatile ReplicationNames names;
    private volatile EventSink events = EventSink.NONE;

    EmulatorSinkParts(PgConnector connector, SnowflakeDestination destination, SnapshotLedger ledger,
            SinkEvents sinkEvents) {
        this.connector = connector;
        this.destination = destination;
        this.ledger = ledger;
        this.sinkEvents = sinkEvents;
    }

    /** Fixed slot and publication names, as a catalog pipeline stores them (with a home id, not from its name). */
    EmulatorSinkParts names(ReplicationNames fixed) {
        this.names = fixed;
        return this;
    }

    /** Where snapshot progress events go. */
    EmulatorSinkParts events(EventSink sink) {
        this.events = sink;
        return this;
    }

    /** The sink of the latest run, or null before the first. */
    SnowflakeSink lastSink() {
        return lastSink.get();
    }

    @Override
    public PgConnector connector(PipelineDefinition p) {
        return connector;
    }

    @Override
    public ChangeSink sink(PipelineDefinition p) {
        SnowflakeSink s = destination.openSink(p.name(), EmulatedSnowflake.MANUAL_MERGES, sinkEvents);
        lastSink.set(s);
        return s;
    }

    @Override
    public SnapshotLedger ledger(PipelineDefinition p) {
        return ledger;
    }

    @Override
    public ReplicationNames names(PipelineDefinition p) {
        return names != null ? names : PgSourceRuntime.Parts.super.names(p);
    }

    @Override
    public EventSink events() {
        return events;
    }
}
