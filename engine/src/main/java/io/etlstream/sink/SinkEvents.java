package io.etlstream.sink;

import io.etlstream.batch.TableId;

/** Where a sink reports what a user should know (schema drift, nulled values, stopped tables); thread-safe. */
@FunctionalInterface
public interface SinkEvents {

    /** Severity, in the catalog's terms. */
    enum Level { INFO, WARN, ERROR }

    /** {@code table} may be null for events about the whole sink. */
    void event(Level level, TableId table, String message);

    /** Drops every event (tests that do not look at them). */
    SinkEvents NONE = (level, table, message) -> { };
}
