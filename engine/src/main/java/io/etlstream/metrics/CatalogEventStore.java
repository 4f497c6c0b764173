package io.etlstream.metrics;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Event;
import io.etlstream.catalog.EventLevel;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import java.util.Locale;
import java.util.function.Consumer;

/** Writes {@link EngineEvent}s into the catalog's event table, resolving pipeline and source names to ids. */
public final class CatalogEventStore implements Consumer<EngineEvent> {

    private final Catalog catalog;

    public CatalogEventStore(Catalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public void accept(EngineEvent e) {
        EventLevel level = switch (e.severity()) {
            case INFO -> EventLevel.INFO;
            case WARNING -> EventLevel.WARN;
            case ERROR -> EventLevel.ERROR;
        };
        Event draft = new Event(0, null, null, null, level, e.kind().name().toLowerCase(Locale.ROOT), e.message(), null);
        if (e.pipeline() != null) {
            Long id = catalog.pipelines().find(e.pipeline()).map(Pipeline::id).orElse(null);
            if (id != null) {
                draft = draft.forPipeline(id);
            }
        }
        if (e.source() != null) {
            Long id = catalog.sources().find(e.source()).map(Source::id).orElse(null);
            if (id != null) {
                draft = draft.forSource(id);
            }
        }
        catalog.events().append(draft);
    }
}
