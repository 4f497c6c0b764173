package io.etlstream.pipeline;

import java.util.List;
import java.util.Set;

/**
 * What a source runner is asked to do when it starts: follow {@code tables}, first copying {@code snapshotTables}
 * (a subset), resuming the stream from its slot's confirmed position ({@code resumeLsn} is what the engine last saw
 * confirmed, 0 when unknown).
 */
public record RunPlan(PipelineDefinition definition, List<TableRef> tables, Set<TableRef> snapshotTables,
        long resumeLsn, int attempt) {
    public RunPlan {
        tables = List.copyOf(tables);
        snapshotTables = Set.copyOf(snapshotTables);
    }
}
