package io.etlstream.catalog;

/** Severity of a catalog {@link Event}. */
public enum EventLevel {
    INFO, WARN, ERROR
}
