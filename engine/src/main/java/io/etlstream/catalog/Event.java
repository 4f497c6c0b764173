package io.etlstream.catalog;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened, for the event log the console and CLI show. {@code pipelineId} and
 * {@code sourceId} may be null (engine-wide events). A draft has {@code id == 0} and no timestamp.
 */
public record Event(
        long id,
        Instant ts,
        Long pipelineId,
        Long sourceId,
        EventLevel level,
        String kind,
        String message,
        String details) {

    public Event {
        Objects.requireNonNull(level, "level");
        Names.requireText(kind, "event kind");
        Objects.requireNonNull(message, "message");
    }

    public static Event info(String kind, String message) {
        return new Event(0, null, null, null, EventLevel.INFO, kind, message, null);
    }

    public static Event warn(String kind, String message) {
        return new Event(0, null, null, null, EventLevel.WARN, kind, message, null);
    }

    public static Event error(String kind, String message) {
        return new Event(0, null, null, null, EventLevel.ERROR, kind, message, null);
    }

    public Event forPipeline(long id) {
        return new Event(this.id, ts, id, sourceId, level, kind, message, details);
    }

    public Event forSource(long id) {
        return new Event(this.id, ts, pipelineId, id, level, kind, message, details);
    }

    public Event withDetails(String text) {
        return new Event(id, ts, pipelineId, sourceId, level, kind, message, text);
    }
}
