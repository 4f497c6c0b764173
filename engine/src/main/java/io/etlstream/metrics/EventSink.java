package io.etlstream.metrics;

/** Where components report events; must return quickly and never throw (the event log buffers). */
@FunctionalInterface
public interface EventSink {

    void publish(EngineEvent event);

    /** Discards events; for tools that run no event log. */
    EventSink NONE = e -> { };
}
