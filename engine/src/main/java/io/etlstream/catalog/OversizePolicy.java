package io.etlstream.catalog;

/** What to do with a value too large for the destination: stop the pipeline, or null it and log an event. */
public enum OversizePolicy {
    STOP, NULL_WITH_EVENT
}
