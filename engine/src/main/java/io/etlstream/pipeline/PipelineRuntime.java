package io.etlstream.pipeline;

/** Creates the source runner of a pipeline; the real one builds a PostgreSQL source with its sink. */
@FunctionalInterface
public interface PipelineRuntime {

    /** A new, not yet started runner for {@code plan}. Must not do I/O: {@link SourceRunner#start()} does. */
    SourceRunner open(RunPlan plan, RunnerListener listener);
}
