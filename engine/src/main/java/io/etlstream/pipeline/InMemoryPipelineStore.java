package io.etlstream.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link PipelineStore} in memory: for benchmarks, tests and tools that do not persist. */
public final class InMemoryPipelineStore implements PipelineStore {

    private final Map<String, PipelineRecord> records = new ConcurrentHashMap<>();

    @Override
    public void save(PipelineRecord record) {
        records.put(record.definition().name(), record);
    }

    @Override
    public void delete(String pipeline) {
        records.remove(pipeline);
    }

    @Override
    public List<PipelineRecord> loadAll() {
        return new ArrayList<>(records.values());
    }

    public PipelineRecord get(String pipeline) {
        return records.get(pipeline);
    }
}
