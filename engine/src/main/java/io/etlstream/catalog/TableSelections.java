package io.etlstream.catalog;

import io.etlstream.UserFacingException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The tables each pipeline replicates and their per-table progress. Phase changes follow
 * {@link TablePhase#canMoveTo}; an illegal move throws {@link IllegalStateException}.
 */
public final class TableSelections {

    private static final String COLUMNS = "pipeline_id, schema_name, table_name, phase, snapshot_rows, snapshot_bytes, "
            + "last_committed_lsn, error, updated_at, copy_requested";

    private final CatalogDb db;

    TableSelections(CatalogDb db) {
        this.db = db;
    }

    /** Selects a table for the pipeline, in phase INIT. Adding a table that is already selected is refused. */
    public TableSelection add(long pipelineId, String schemaName, String tableName) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            try {
                CatalogDb.update(c, "INSERT INTO table_selection (pipeline_id, schema_name, table_name, phase, updated_at) "
                        + "VALUES (?,?,?,'INIT',?)", pipelineId, schemaName, tableName, now);
            } catch (SQLException e) {
                if (CatalogDb.isUniqueViolation(e)) {
                    throw new UserFacingException("Table " + schemaName + "." + tableName
                            + " is already selected in this pipeline.");
                }
                if (CatalogDb.isParentMissing(e)) {
                    throw new UserFacingException("Pipeline id " + pipelineId + " does not exist; it may have been removed.");
                }
                throw e;
            }
            return find(c, pipelineId, schemaName, tableName).orElseThrow();
        });
    }

    /** The pipeline's tables, by schema and name. */
    public List<TableSelection> list(long pipelineId) {
        return db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM table_selection WHERE pipeline_id = ? "
                + "ORDER BY schema_name, table_name", TableSelections::map, pipelineId));
    }

    public Optional<TableSelection> find(long pipelineId, String schemaName, String tableName) {
        return db.read(c -> find(c, pipelineId, schemaName, tableName));
    }

    /** Deselects a table; false when it was not selected. */
    public boolean remove(long pipelineId, String schemaName, String tableName) {
        return db.inTransaction(c -> CatalogDb.update(c, "DELETE FROM table_selection WHERE pipeline_id = ? "
                + "AND schema_name = ? AND table_name = ?", pipelineId, schemaName, tableName) == 1);
    }

    /**
     * Moves the table to {@code target}. Clears the error unless moving to ERRORED; moving to INIT also
     * resets snapshot progress (the table will be copied again).
     */
    public TableSelection moveTo(long pipelineId, String schemaName, String tableName, TablePhase target) {
        if (target == TablePhase.ERRORED) {
            throw new IllegalArgumentException("use markErrored(...) so the error is recorded");
        }
        return move(pipelineId, schemaName, tableName, target, null);
    }

    /** Moves the table to ERRORED with the message the user will see. */
    public TableSelection markErrored(long pipelineId, String schemaName, String tableName, String error) {
        return move(pipelineId, schemaName, tableName, TablePhase.ERRORED, error == null ? "unknown error" : error);
    }

    /** Records whether a resync's copy of the table is still to be done (kept across engine restarts). */
    public void setCopyRequested(long pipelineId, String schemaName, String tableName, boolean requested) {
        Instant now = db.now();
        db.inTransaction(c -> requireOne(CatalogDb.update(c, "UPDATE table_selection SET copy_requested = ?, "
                        + "updated_at = ? WHERE pipeline_id = ? AND schema_name = ? AND table_name = ?",
                requested, now, pipelineId, schemaName, tableName), schemaName, tableName));
    }

    /**
     * The key columns (source names, in order) the table's destination was last merged on, as recorded by
     * {@link #setKeyColumns}; empty when none was recorded (a pipeline from an earlier build, or a copy starting).
     */
    public Optional<List<String>> keyColumns(long pipelineId, String schemaName, String tableName) {
        List<String> stored = db.read(c -> CatalogDb.list(c, "SELECT key_columns FROM table_selection WHERE "
                + "pipeline_id = ? AND schema_name = ? AND table_name = ?", rs -> rs.getString(1), pipelineId,
                schemaName, tableName));
        return stored.isEmpty() || stored.get(0) == null ? Optional.empty() : Optional.of(decodeKey(stored.get(0)));
    }

    /**
     * Records the key the table's destination is merged on from now on ({@code null}: forget it). False when the
     * table is not selected (any more): there is nothing to remember it for.
     */
    public boolean setKeyColumns(long pipelineId, String schemaName, String tableName, List<String> keyColumns) {
        Instant now = db.now();
        String encoded = keyColumns == null ? null : encodeKey(keyColumns);
        return db.inTransaction(c -> CatalogDb.update(c, "UPDATE table_selection SET key_columns = ?, updated_at = ? "
                + "WHERE pipeline_id = ? AND schema_name = ? AND table_name = ?", encoded, now, pipelineId,
                schemaName, tableName) == 1);
    }

    // A JSON array: PostgreSQL column names may hold any character but NUL, commas and quotes included.
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private static String encodeKey(List<String> key) {
        try {
            return JSON.writeValueAsString(List.copyOf(key));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot encode key columns " + key, e);
        }
    }

    private static List<String> decodeKey(String stored) {
        try {
            return List.of(JSON.readValue(stored, String[].class));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the catalog's key_columns value " + stored + " is not a JSON array of"
                    + " names", e);
        }
    }

    /** Records snapshot progress (totals so far, not increments). */
    public void updateSnapshotProgress(long pipelineId, String schemaName, String tableName, long rows, long bytes) {
        Instant now = db.now();
        db.inTransaction(c -> requireOne(CatalogDb.update(c, "UPDATE table_selection SET snapshot_rows = ?, "
                        + "snapshot_bytes = ?, updated_at = ? WHERE pipeline_id = ? AND schema_name = ? AND table_name = ?",
                rows, bytes, now, pipelineId, schemaName, tableName), schemaName, tableName));
    }

    /**
     * Records the commit LSN the destination has committed for this table. Never moves backwards: a
     * lower value than the stored one is ignored (returns false).
     */
    public boolean advanceCommittedLsn(long pipelineId, String schemaName, String tableName, long lsn) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            int n = CatalogDb.update(c, "UPDATE table_selection SET last_committed_lsn = ?, updated_at = ? "
                    + "WHERE pipeline_id = ? AND schema_name = ? AND table_name = ? AND last_committed_lsn < ?",
                    lsn, now, pipelineId, schemaName, tableName, lsn);
            if (n == 0) {
                find(c, pipelineId, schemaName, tableName).orElseThrow(() -> notSelected(schemaName, tableName));
            }
            return n == 1;
        });
    }

    private TableSelection move(long pipelineId, String schemaName, String tableName, TablePhase target, String error) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            TableSelection current = CatalogDb.one(c, "SELECT " + COLUMNS + " FROM table_selection WHERE pipeline_id = ? "
                            + "AND schema_name = ? AND table_name = ? FOR UPDATE", TableSelections::map,
                    pipelineId, schemaName, tableName).orElseThrow(() -> notSelected(schemaName, tableName));
            if (!current.phase().canMoveTo(target)) {
                throw new IllegalStateException("table " + current.qualifiedName() + " cannot move from "
                        + current.phase() + " to " + target + " (allowed: " + current.phase().next() + ")");
            }
            if (target == TablePhase.INIT) {
                CatalogDb.update(c, "UPDATE table_selection SET phase = ?, error = NULL, snapshot_rows = 0, "
                                + "snapshot_bytes = 0, updated_at = ? WHERE pipeline_id = ? AND schema_name = ? AND table_name = ?",
                        target.name(), now, pipelineId, schemaName, tableName);
            } else {
                CatalogDb.update(c, "UPDATE table_selection SET phase = ?, error = ?, updated_at = ? "
                                + "WHERE pipeline_id = ? AND schema_name = ? AND table_name = ?",
                        target.name(), error, now, pipelineId, schemaName, tableName);
            }
            return find(c, pipelineId, schemaName, tableName).orElseThrow();
        });
    }

    private static Void requireOne(int updated, String schemaName, String tableName) {
        if (updated == 0) {
            throw notSelected(schemaName, tableName);
        }
        return null;
    }

    private static UserFacingException notSelected(String schemaName, String tableName) {
        return new UserFacingException("Table " + schemaName + "." + tableName + " is not selected in this pipeline.");
    }

    private static Optional<TableSelection> find(Connection c, long pipelineId, String schemaName, String tableName)
            throws SQLException {
        return CatalogDb.one(c, "SELECT " + COLUMNS + " FROM table_selection WHERE pipeline_id = ? AND schema_name = ? "
                + "AND table_name = ?", TableSelections::map, pipelineId, schemaName, tableName);
    }

    private static TableSelection map(ResultSet rs) throws SQLException {
        return new TableSelection(rs.getLong("pipeline_id"), rs.getString("schema_name"), rs.getString("table_name"),
                TablePhase.valueOf(rs.getString("phase")), rs.getLong("snapshot_rows"), rs.getLong("snapshot_bytes"),
                rs.getLong("last_committed_lsn"), rs.getString("error"), CatalogDb.instant(rs, "updated_at"),
                rs.getBoolean("copy_requested"));
    }
}
