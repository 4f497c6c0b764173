package io.etlstream.batch;

import java.util.List;

/**
 * A table's shape changed (or was seen for the first time: {@code before == null}). Delivered before that table's
 * next row, so the destination can adapt first.
 */
public record SchemaChange(TableId table, TableSchema before, TableSchema after, List<String> addedColumns,
        List<String> droppedColumns, List<String> retypedColumns, boolean replicaIdentityChanged)
        implements ChangeEvent {
    public SchemaChange {
        addedColumns = List.copyOf(addedColumns);
        droppedColumns = List.copyOf(droppedColumns);
        retypedColumns = List.copyOf(retypedColumns);
    }

    /** True when the table was not known before (first Relation message for it). */
    public boolean initial() {
        return before == null;
    }
}
