package io.etlstream.pipeline;

import java.util.List;

/**
 * Where pipeline definitions, table phases and the last confirmed LSN persist (the H2 catalog in the engine,
 * memory in tests and benchmarks). Called from the pipeline's own actor only, never under a lock.
 */
public interface PipelineStore {

    void save(PipelineRecord record);

    void delete(String pipeline);

    /** Every stored pipeline, for loading at engine start. */
    List<PipelineRecord> loadAll();

    /** A definition with the per-table phases, the last LSN confirmed to PostgreSQL and whether it was paused. */
    record PipelineRecord(PipelineDefinition definition, List<TableStatus> tables, long confirmedLsn, boolean paused) {
        public PipelineRecord {
            tables = List.copyOf(tables);
        }
    }
}
