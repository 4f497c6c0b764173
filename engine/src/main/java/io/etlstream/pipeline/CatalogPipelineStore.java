package io.etlstream.pipeline;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.DeleteMode;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.PipelineMode;
import io.etlstream.catalog.Source;
import io.etlstream.catalog.TableSelection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link PipelineStore} on the H2 catalog: pipeline rows, table selections with their phase, the last confirmed
 * LSN per table. Also the one place that validates and stores a new pipeline, for the CLI and the wizard alike.
 * A paused pipeline is recorded as such ({@code pipeline.paused}) and loads paused on the next engine start.
 */
public final class CatalogPipelineStore implements PipelineStore {

    private final Catalog catalog;

    public CatalogPipelineStore(Catalog catalog) {
        this.catalog = catalog;
    }

    /** The catalog this store writes to (the control channel also answers source requests on it). */
    public Catalog catalog() {
        return catalog;
    }

    /**
     * Validates a new pipeline against the catalog (source and destination exist, names, tables and settings are
     * valid, no name or slot clash) and stores it with its tables in phase INIT, not enabled.
     */
    public PipelineDefinition create(PipelineDefinition def) {
        Source source = catalog.sources().find(def.source()).orElseThrow(() -> new UserFacingException(
                "no source named " + def.source() + "; add it first with 'etl-stream source add'"));
        Destination destination = catalog.destinations().find(def.destination()).orElseThrow(() ->
                new UserFacingException("no destination named " + def.destination()
                        + "; add the Snowflake destination first (etl-stream destination add)"));
        if (catalog.pipelines().find(def.name()).isPresent()) {
            throw new UserFacingException("a pipeline named " + def.name() + " already exists; pick another name");
        }
        PipelineDefinition.requireDistinctDestinations(def.tables());
        Pipeline row = toRow(Pipeline.draft(def.name(), source.id(), destination.id()), def.settings(), def.enabled());
        Pipeline stored = catalog.pipelines().add(row);
        try {
            for (TableRef t : def.tables()) {
                catalog.tables().add(stored.id(), t.schema(), t.name());
            }
        } catch (RuntimeException e) {
            catalog.pipelines().remove(def.name());
            throw e;
        }
        return def;
    }

    private static Pipeline toRow(Pipeline base, PipelineSettings s, boolean enabled) {
        return base.withMode(s.mode() == PipelineSettings.Mode.HISTORY ? PipelineMode.HISTORY : PipelineMode.MIRROR)
                .withMergeIntervalSeconds((int) Math.max(1, s.mergeInterval().toSeconds()))
                .withDeletes(s.deletes() == PipelineSettings.Deletes.SOFT ? DeleteMode.SOFT : DeleteMode.HARD)
                .withSnapshot(s.snapshot()).withParallelism(s.parallelism()).withPriority(s.priority())
                .withOversizePolicy(s.oversize() == PipelineSettings.Oversize.NULL
                        ? io.etlstream.catalog.OversizePolicy.NULL_WITH_EVENT : io.etlstream.catalog.OversizePolicy.STOP)
                .withEnabled(enabled);
    }

    /** The definition and table state of one stored pipeline. */
    public Optional<PipelineRecord> load(String name) {
        return catalog.pipelines().find(name).map(this::record);
    }

    @Override
    public List<PipelineRecord> loadAll() {
        List<PipelineRecord> out = new ArrayList<>();
        for (Pipeline p : catalog.pipelines().list()) {
            out.add(record(p));
        }
        return out;
    }

    private PipelineRecord record(Pipeline p) {
        String source = catalog.sources().find(p.sourceId()).map(Source::name).orElse("?");
        String destination = catalog.destinations().find(p.destinationId()).map(Destination::name).orElse("?");
        List<TableSelection> selections = catalog.tables().list(p.id());
        List<TableRef> refs = new ArrayList<>();
        List<TableStatus> tables = new ArrayList<>();
        long lsn = Long.MAX_VALUE;
        for (TableSelection t : selections) {
            TableRef ref = new TableRef(t.schemaName(), t.tableName());
            refs.add(ref);
            // A resync recorded for a table of a --snapshot no pipeline: it waits for its copy like any other.
            tables.add(new TableStatus(ref, fromCatalog(t.phase(), p.snapshot() || t.copyRequested()), t.snapshotRows(),
                    0, 0, 0, t.error()));
            lsn = Math.min(lsn, t.lastCommittedLsn());
        }
        PipelineSettings settings = new PipelineSettings(
                p.mode() == PipelineMode.HISTORY ? PipelineSettings.Mode.HISTORY : PipelineSettings.Mode.MIRROR,
                Duration.ofSeconds(p.mergeIntervalSeconds()),
                p.deletes() == DeleteMode.SOFT ? PipelineSettings.Deletes.SOFT : PipelineSettings.Deletes.HARD,
                p.snapshot(), p.parallelism(), p.priority(),
                p.oversizePolicy() == io.etlstream.catalog.OversizePolicy.NULL_WITH_EVENT
                        ? PipelineSettings.Oversize.NULL : PipelineSettings.Oversize.STOP);
        return new PipelineRecord(new PipelineDefinition(p.name(), source, destination, refs, settings, p.enabled()),
                tables, lsn == Long.MAX_VALUE ? 0 : lsn, catalog.pipelines().paused(p.id()));
    }

    @Override
    public void save(PipelineRecord record) {
        PipelineDefinition def = record.definition();
        Pipeline row = catalog.pipelines().find(def.name()).orElseThrow(() -> new UserFacingException(
                "pipeline " + def.name() + " is no longer in the catalog"));
        Pipeline wanted = toRow(row, def.settings(), def.enabled());
        if (!wanted.equals(row)) {
            catalog.pipelines().update(wanted);
        }
        if (catalog.pipelines().paused(row.id()) != record.paused()) {
            catalog.pipelines().setPaused(row.id(), record.paused());
        }
        Map<TableRef, TableSelection> stored = new HashMap<>();
        for (TableSelection t : catalog.tables().list(row.id())) {
            stored.put(new TableRef(t.schemaName(), t.tableName()), t);
        }
        for (TableStatus t : record.tables()) {
            TableSelection current = stored.remove(t.table());
            if (current == null) {
                current = catalog.tables().add(row.id(), t.table().schema(), t.table().name());
            }
            moveTowards(row.id(), current, toCatalog(t.phase()), t.error());
            // Without --snapshot, INIT means "stream only": a copy still to do (a resync) is recorded apart.
            boolean copyRequested = !def.settings().snapshot()
                    && (t.phase() == TablePhase.PENDING_SNAPSHOT || t.phase() == TablePhase.SNAPSHOTTING);
            if (copyRequested != current.copyRequested()) {
                catalog.tables().setCopyRequested(row.id(), t.table().schema(), t.table().name(), copyRequested);
            }
            if (t.phase() == TablePhase.SNAPSHOTTING && t.snapshotRowsCopied() > current.snapshotRows()) {
                catalog.tables().updateSnapshotProgress(row.id(), t.table().schema(), t.table().name(),
                        t.snapshotRowsCopied(), current.snapshotBytes());
            }
            if (record.confirmedLsn() > current.lastCommittedLsn()) {
                catalog.tables().advanceCommittedLsn(row.id(), t.table().schema(), t.table().name(),
                        record.confirmedLsn());
            }
        }
        for (TableSelection gone : stored.values()) {
            catalog.tables().remove(row.id(), gone.schemaName(), gone.tableName());
        }
    }

    /** Walks the catalog's table phase machine (INIT → DATA_SYNC → FINISHED_COPY → SYNC_DONE → READY) to a target. */
    private void moveTowards(long pipelineId, TableSelection t, io.etlstream.catalog.TablePhase target, String error) {
        io.etlstream.catalog.TablePhase at = t.phase();
        if (at == target) {
            return;
        }
        if (target == io.etlstream.catalog.TablePhase.ERRORED) {
            // Why the sink stopped the table: shown by status and the console until the table's resync.
            catalog.tables().markErrored(pipelineId, t.schemaName(), t.tableName(), error);
            return;
        }
        List<io.etlstream.catalog.TablePhase> path = List.of(io.etlstream.catalog.TablePhase.INIT,
                io.etlstream.catalog.TablePhase.DATA_SYNC, io.etlstream.catalog.TablePhase.FINISHED_COPY,
                io.etlstream.catalog.TablePhase.SYNC_DONE, io.etlstream.catalog.TablePhase.READY);
        if (target == io.etlstream.catalog.TablePhase.INIT || !path.contains(at)
                || path.indexOf(at) > path.indexOf(target)) {
            catalog.tables().moveTo(pipelineId, t.schemaName(), t.tableName(), io.etlstream.catalog.TablePhase.INIT);
            at = io.etlstream.catalog.TablePhase.INIT;
        }
        if (at == io.etlstream.catalog.TablePhase.INIT && target == io.etlstream.catalog.TablePhase.READY) {
            catalog.tables().moveTo(pipelineId, t.schemaName(), t.tableName(), target); // no copy: stream only
            return;
        }
        for (int i = path.indexOf(at) + 1; i <= path.indexOf(target); i++) {
            catalog.tables().moveTo(pipelineId, t.schemaName(), t.tableName(), path.get(i));
        }
    }

    private static io.etlstream.catalog.TablePhase toCatalog(TablePhase p) {
        return switch (p) {
            case PENDING_SNAPSHOT -> io.etlstream.catalog.TablePhase.INIT;
            case SNAPSHOTTING -> io.etlstream.catalog.TablePhase.DATA_SYNC;
            case STREAMING, STREAMING_ONLY -> io.etlstream.catalog.TablePhase.READY;
            case ERRORED -> io.etlstream.catalog.TablePhase.ERRORED;
        };
    }

    private static TablePhase fromCatalog(io.etlstream.catalog.TablePhase p, boolean snapshot) {
        return switch (p) {
            case INIT -> snapshot ? TablePhase.PENDING_SNAPSHOT : TablePhase.STREAMING_ONLY;
            case DATA_SYNC -> TablePhase.SNAPSHOTTING;
            case FINISHED_COPY, SYNC_DONE, READY -> TablePhase.STREAMING;
            case ERRORED -> TablePhase.ERRORED;
        };
    }

    @Override
    public void delete(String pipeline) {
        catalog.pipelines().remove(pipeline);
    }
}
