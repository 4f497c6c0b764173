package io.etlstream.metrics;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of the event log: a state change, an error, a schema change or a warning, about a pipeline
 * and/or a source (either may be null).
 */
public record EngineEvent(Instant at, Kind kind, Severity severity, String pipeline, String source, String message) {

    /** What happened. */
    public enum Kind { STATE_CHANGE, ERROR, SCHEMA_CHANGE, WAL_WARNING, WAL_CRITICAL, WARNING, INFO }

    /** How loud the console should be about it. */
    public enum Severity { INFO, WARNING, ERROR }

    public EngineEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
    }
}
