package io.etlstream.pipeline;

import java.time.Instant;
import java.util.Objects;

/** The last failure of a pipeline: what happened, what the user should do, and whether a retry can help. */
public record PipelineError(Instant at, String cause, String suggestedAction, boolean permanent) {
    public PipelineError {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(suggestedAction, "suggestedAction");
    }
}
