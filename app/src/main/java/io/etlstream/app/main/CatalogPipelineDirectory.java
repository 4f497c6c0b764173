package io.etlstream.app.main;

import io.etlstream.app.i18n.Messages;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Reads the pipeline list from the H2 catalog and names each pipeline's source and destination. */
public final class CatalogPipelineDirectory implements PipelineDirectory {

    private final Catalog catalog;

    public CatalogPipelineDirectory(Catalog catalog) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
    }

    @Override
    public List<PipelineRow> list() {
        Map<Long, Source> sources = catalog.sources().list().stream()
                .collect(Collectors.toMap(Source::id, Function.identity()));
        Map<Long, Destination> destinations = catalog.destinations().list().stream()
                .collect(Collectors.toMap(Destination::id, Function.identity()));
        return catalog.pipelines().list().stream()
                .map(p -> new PipelineRow(p.name(), describe(sources.get(p.sourceId())),
                        describe(destinations.get(p.destinationId())), status(p)))
                .toList();
    }

    private static String describe(Source s) {
        if (s == null) {
            return "";
        }
        return s.name() + " (" + s.host() + ":" + s.port() + "/" + s.databaseName() + ")";
    }

    private static String describe(Destination d) {
        if (d == null) {
            return "";
        }
        String where = d.databaseName() + "." + d.schemaName();
        return d.name() + " (" + where + ")";
    }

    private static String status(Pipeline p) {
        // The catalog knows only whether a pipeline starts with the engine; live state comes with the engine bridge.
        return p.enabled() ? Messages.get("main.pipeline.enabled") : Messages.get("main.pipeline.disabled");
    }
}
