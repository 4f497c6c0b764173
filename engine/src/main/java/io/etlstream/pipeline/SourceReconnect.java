package io.etlstream.pipeline;

import java.time.Instant;

/**
 * The pipeline's source lost its PostgreSQL connection and is trying again on its own (the pipeline itself keeps
 * running).
 *
 * @param attempt failed connection attempts since the connection was lost (1 = the loss itself)
 * @param lastError why the last attempt failed
 * @param nextAttemptAt when the source tries again, null while an attempt is under way
 * @param since when the source first reported the loss
 */
public record SourceReconnect(int attempt, String lastError, Instant nextAttemptAt, Instant since) {
}
