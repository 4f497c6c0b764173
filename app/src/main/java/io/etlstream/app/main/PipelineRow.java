package io.etlstream.app.main;

import java.util.Objects;

/** One pipeline as the console lists it: an immutable snapshot taken off the FX thread. */
public record PipelineRow(String name, String source, String destination, String status) {
    public PipelineRow {
        Objects.requireNonNull(name, "name");
        source = source == null ? "" : source;
        destination = destination == null ? "" : destination;
        status = status == null ? "" : status;
    }
}
