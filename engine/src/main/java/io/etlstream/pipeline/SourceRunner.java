package io.etlstream.pipeline;

/**
 * The port a running source plugs into (the PostgreSQL source, a replay source in benchmarks). A runner does its
 * I/O on threads it owns; the pipeline actor only calls these two non-blocking methods and hears back through the
 * {@link RunnerListener} it gave to {@link PipelineRuntime#open}.
 */
public interface SourceRunner {

    /** Begins snapshotting/streaming; returns at once. Failures to connect are reported to the listener. */
    void start();

    /**
     * Asks the runner to finish: flush what is in flight, confirm the durable LSN to PostgreSQL, close every
     * connection and channel, then call {@link RunnerListener#stopped(long)} exactly once. Returns at once;
     * calling it twice is harmless.
     */
    void requestStop();

    /**
     * Asks the running runner to copy {@code table} again from scratch while the other tables keep streaming.
     * Returns false when this runner cannot do that live (the pipeline then restarts with the table to resync);
     * non-blocking like the other methods. Progress comes back as {@link RunnerListener#tableProgress}.
     */
    default boolean resyncTable(TableRef table) {
        return false;
    }
}
