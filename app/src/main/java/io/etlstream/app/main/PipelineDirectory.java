package io.etlstream.app.main;

import java.util.List;

/** Where the console reads the pipeline list from; called on a background thread and may block. */
@FunctionalInterface
public interface PipelineDirectory {
    List<PipelineRow> list() throws Exception;
}
