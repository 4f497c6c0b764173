package io.etlstream.app.main;

import io.etlstream.pipeline.PipelineState;
import java.util.List;
import java.util.Objects;

/**
 * One pipeline as the console lists it: an immutable snapshot taken off the FX thread. {@code state} is null when
 * the row comes from the catalog alone (no engine); {@code tables} are {@code schema.table} names;
 * {@code sourceNotice} says why and how the source is reconnecting to PostgreSQL, empty while it is connected;
 * {@code failure}: the status shows a failure (the pipeline failed or a table is stopped).
 */
public record PipelineRow(String name, String source, String destination, String status, PipelineState state,
        String lag, String throughput, List<String> tables, String sourceNotice, boolean failure) {

    public PipelineRow {
        Objects.requireNonNull(name, "name");
        source = source == null ? "" : source;
        destination = destination == null ? "" : destination;
        status = status == null ? "" : status;
        lag = lag == null ? "" : lag;
        throughput = throughput == null ? "" : throughput;
        tables = tables == null ? List.of() : List.copyOf(tables);
        sourceNotice = sourceNotice == null ? "" : sourceNotice;
    }

    /** A row with no failure to show. */
    public PipelineRow(String name, String source, String destination, String status, PipelineState state,
            String lag, String throughput, List<String> tables, String sourceNotice) {
        this(name, source, destination, status, state, lag, throughput, tables, sourceNotice, false);
    }

    /** A live row whose source is connected. */
    public PipelineRow(String name, String source, String destination, String status, PipelineState state,
            String lag, String throughput, List<String> tables) {
        this(name, source, destination, status, state, lag, throughput, tables, "");
    }

    /** A catalog-only row: no live state, lag or throughput. */
    public PipelineRow(String name, String source, String destination, String status) {
        this(name, source, destination, status, null, "", "", List.of());
    }

    /** Whether the source has lost PostgreSQL and is trying again on its own (shown as a warning). */
    public boolean sourceReconnecting() {
        return !sourceNotice.isEmpty();
    }

    /**
     * What the status cell's tooltip says: the status; while the source reconnects, its notice instead (the status
     * then only adds "reconnecting") or, next to a failure, the whole status and then the notice, so neither hides
     * the other.
     */
    public String statusDetails() {
        if (!sourceReconnecting()) {
            return status;
        }
        return failure ? status + "\n\n" + sourceNotice : sourceNotice;
    }
}
