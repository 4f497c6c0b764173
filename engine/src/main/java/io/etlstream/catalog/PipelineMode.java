package io.etlstream.catalog;

/** How a pipeline lands changes: {@code HISTORY} appends every change, {@code MIRROR} merges into a copy. */
public enum PipelineMode {
    HISTORY, MIRROR
}
