package io.etlstream.cli;

import io.etlstream.catalog.Catalog;
import io.etlstream.home.EtlHome;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.control.ControlApi;
import io.etlstream.pipeline.control.ControlClient;
import io.etlstream.pipeline.control.StatusCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Sends a control request to the engine running on the home, or, when none runs, answers it on the catalog
 * directly. CLI commands use this so they behave the same with and without a running engine.
 */
final class EngineCalls {

    private EngineCalls() {}

    static Map<String, Object> call(EtlHome home, Map<String, Object> request) {
        Optional<ControlClient> client = ControlClient.connect(home);
        if (client.isPresent()) {
            try (ControlClient c = client.get()) {
                return c.request(request);
            }
        }
        try (Catalog catalog = Catalog.open(home)) {
            Map<String, Object> answer = ControlApi.offline(new CatalogPipelineStore(catalog)).apply(request);
            return answer;
        }
    }

    /** The names of the home's sources, from the running engine or the catalog. */
    @SuppressWarnings("unchecked")
    static List<String> sourceNames(EtlHome home) {
        return (List<String>) call(home, ControlApi.sourcesRequest()).get("sources");
    }

    @SuppressWarnings("unchecked")
    static List<PipelineStatus> pipelines(Map<String, Object> answer) {
        List<PipelineStatus> out = new ArrayList<>();
        for (Map<String, Object> m : (List<Map<String, Object>>) answer.get("pipelines")) {
            out.add(StatusCodec.fromMap(m));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static PipelineStatus pipeline(Map<String, Object> answer) {
        return StatusCodec.fromMap((Map<String, Object>) answer.get("pipeline"));
    }
}
