package io.etlstream.batch;

import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import java.util.List;

/**
 * The shape of a source table as last described by a Relation message (or by the catalog for a snapshot).
 * {@code version} grows by one with every change the {@link SchemaRegistry} sees.
 */
public record TableSchema(TableId table, int relationId, char replicaIdentity, List<RelationColumn> columns,
        int version) {
    public TableSchema {
        columns = List.copyOf(columns);
    }

    public int columnCount() {
        return columns.size();
    }

    /** Index of the column with this name, or -1. */
    public int indexOf(String column) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(column)) {
                return i;
            }
        }
        return -1;
    }
}
