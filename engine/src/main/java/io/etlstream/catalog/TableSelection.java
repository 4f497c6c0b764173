package io.etlstream.catalog;

import java.time.Instant;
import java.util.Objects;

/**
 * One table a pipeline replicates, with its replication phase, snapshot progress and the last commit
 * LSN the destination has committed for it ({@code 0} = none yet; the LSN as PostgreSQL's 64-bit value).
 * {@code copyRequested}: a resync asked for a new copy that has not finished yet (in a pipeline that does not copy
 * tables by itself, phase INIT alone does not say so).
 */
public record TableSelection(
        long pipelineId,
        String schemaName,
        String tableName,
        TablePhase phase,
        long snapshotRows,
        long snapshotBytes,
        long lastCommittedLsn,
        String error,
        Instant updatedAt,
        boolean copyRequested) {

    public TableSelection {
        Names.requireText(schemaName, "schema name");
        Names.requireText(tableName, "table name");
        Objects.requireNonNull(phase, "phase");
    }

    /** {@code schema.table}, as shown to users and used as the metric series name. */
    public String qualifiedName() {
        return schemaName + "." + tableName;
    }
}
