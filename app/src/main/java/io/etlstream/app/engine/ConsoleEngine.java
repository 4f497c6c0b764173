package io.etlstream.app.engine;

import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The engine as the console sees it: the one it runs itself ({@link OwnedEngine}) or another process's, watched
 * through the control channel ({@link ObservedEngine}). Every method may block: call it off the FX thread.
 */
public interface ConsoleEngine extends AutoCloseable {

    /** Whether this console runs the engine or only watches another process's. */
    enum Mode {
        OWNED,
        OBSERVED
    }

    Mode mode();

    /** Who runs the engine, for the banner: this console, or the other process ({@code run}, pid 123). */
    String holder();

    /** The current snapshot of every pipeline. */
    List<PipelineStatus> statuses();

    /** Where each pipeline reads from and writes to, as the list shows it (name → text); may be empty. */
    Map<String, Endpoints> endpoints();

    /** Sends {@code command} to {@code pipeline} and waits (bounded) for the snapshot after it. */
    PipelineStatus send(String pipeline, PipelineCommand command);

    /** The chart series of one pipeline for the last {@code window}, downsampled by the engine. */
    ChartData chart(String pipeline, Instant now, Duration window, int maxPoints);

    /**
     * Owned: stops every pipeline (flush, confirm the LSN, close channels) within the stop timeout, then releases
     * the home. Observed: only disconnects; the other engine keeps running.
     */
    @Override
    void close();

    /** How long {@link #close()} may take at most, for the console's own watchdog. */
    Duration stopTimeout();

    /** A pipeline's source and destination as shown in the list. */
    record Endpoints(String source, String destination) {}
}
