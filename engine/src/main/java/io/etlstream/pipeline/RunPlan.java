package io.etlstream.pipeline;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a source runner is asked to do when it starts: follow {@code tables}; {@code snapshotTables} are those the
 * engine has not seen copied (the source's own ledger of durable copies decides in the end); {@code resyncTables} the
 * user asked to copy again from scratch even if a copy exists. {@code resumeLsn} is what the engine last saw
 * confirmed (0 when unknown); the slot's confirmed position is the authority. {@code stoppedTables} (with the reason
 * each was stopped) are tables the sink stopped in an earlier run: they stay stopped (their changes are not written)
 * until a resync copies them again.
 */
public record RunPlan(PipelineDefinition definition, List<TableRef> tables, Set<TableRef> snapshotTables,
        Set<TableRef> resyncTables, Map<TableRef, String> stoppedTables, long resumeLsn, int attempt) {
    public RunPlan {
        tables = List.copyOf(tables);
        snapshotTables = Set.copyOf(snapshotTables);
        resyncTables = Set.copyOf(resyncTables);
        stoppedTables = Map.copyOf(stoppedTables);
    }

    public RunPlan(PipelineDefinition definition, List<TableRef> tables, Set<TableRef> snapshotTables,
            Set<TableRef> resyncTables, long resumeLsn, int attempt) {
        this(definition, tables, snapshotTables, resyncTables, Map.of(), resumeLsn, attempt);
    }

    /** True if the resync covers every table: the whole pipeline starts over (a new slot, every table copied). */
    public boolean resyncsWholePipeline() {
        return resyncsWholePipeline(resyncTables, tables);
    }

    /** The one rule for {@link #resyncsWholePipeline()}: {@code resync} holds every one of (at least one) tables. */
    static boolean resyncsWholePipeline(Collection<TableRef> resync, Collection<TableRef> tables) {
        return !tables.isEmpty() && resync.containsAll(tables);
    }

    public RunPlan(PipelineDefinition definition, List<TableRef> tables, Set<TableRef> snapshotTables, long resumeLsn,
            int attempt) {
        this(definition, tables, snapshotTables, Set.of(), resumeLsn, attempt);
    }
}
