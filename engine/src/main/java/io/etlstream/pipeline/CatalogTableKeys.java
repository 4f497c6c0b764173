package io.etlstream.pipeline;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.Catalog;
import io.etlstream.sink.snowflake.TableKeys;
import java.util.List;
import java.util.Objects;

/** A pipeline's {@link TableKeys} in the engine's catalog (column {@code table_selection.key_columns}). */
public final class CatalogTableKeys implements TableKeys {

    private final Catalog catalog;
    private final long pipelineId;

    public CatalogTableKeys(Catalog catalog, long pipelineId) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.pipelineId = pipelineId;
    }

    @Override
    public List<String> load(TableId table) {
        return catalog.tables().keyColumns(pipelineId, table.schema(), table.name()).orElse(null);
    }

    @Override
    public void save(TableId table, List<String> keyColumns) {
        catalog.tables().setKeyColumns(pipelineId, table.schema(), table.name(), keyColumns);
    }

    @Override
    public void forget(TableId table) {
        catalog.tables().setKeyColumns(pipelineId, table.schema(), table.name(), null);
    }
}
