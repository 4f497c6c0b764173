package io.etlstream.pipeline.bench;

import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineManager;
import io.etlstream.pipeline.PipelineStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the concurrency benchmark drives: the actor manager, or the old single-lock registry. */
interface Registry extends AutoCloseable {

    void create(PipelineDefinition def);

    PipelineStatus status(String name);

    List<PipelineStatus> statuses();

    /** Runs a command and returns once it took effect. */
    PipelineStatus command(String name, PipelineCommand command) throws Exception;

    @Override
    void close();

    /** The actor design. */
    static Registry actors(PipelineManager manager) {
        return new Registry() {
            @Override
            public void create(PipelineDefinition def) {
                manager.create(def);
            }

            @Override
            public PipelineStatus status(String name) {
                return manager.status(name).orElse(null);
            }

            @Override
            public List<PipelineStatus> statuses() {
                return manager.statuses();
            }

            @Override
            public PipelineStatus command(String name, PipelineCommand command) throws Exception {
                return manager.send(name, command).get(30, TimeUnit.SECONDS);
            }

            @Override
            public void close() {
                manager.shutdown(Duration.ofSeconds(30));
                manager.close();
            }
        };
    }
}
