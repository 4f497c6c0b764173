package io.etlstream.pipeline;

/** A failure a runner has already classified: permanent ones stop the pipeline, transient ones are retried. */
public final class PipelineFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean permanent;
    private final String suggestedAction;

    public PipelineFailure(String message, String suggestedAction, boolean permanent, Throwable cause) {
        super(message, cause);
        this.permanent = permanent;
        this.suggestedAction = suggestedAction;
    }

    public static PipelineFailure permanent(String message, String suggestedAction) {
        return new PipelineFailure(message, suggestedAction, true, null);
    }

    public static PipelineFailure transientFailure(String message, Throwable cause) {
        return new PipelineFailure(message, "none needed: etl-stream retries on its own", false, cause);
    }

    public boolean permanent() {
        return permanent;
    }

    public String suggestedAction() {
        return suggestedAction;
    }
}
