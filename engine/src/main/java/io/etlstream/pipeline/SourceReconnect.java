package io.etlstream.pipeline;

import java.time.Instant;

/**
 * The pipeline's source lost its PostgreSQL connection, or has not been able to make one since the pipeline started,
 * and is trying again on its own (the pipeline itself keeps running).
 *
 * @param attempt failed connection attempts since the connection was lost (1 = the loss itself) or since the start
 * @param lastError why the last attempt failed
 * @param nextAttemptAt when the source tries again, null while an attempt is under way
 * @param since when the source first reported the loss (or the first failed attempt)
 * @param neverConnected true: the source has not reached PostgreSQL since the pipeline started, so nothing was lost
 *        (the server is down or not reachable from here); false: a working connection was lost
 */
public record SourceReconnect(int attempt, String lastError, Instant nextAttemptAt, Instant since,
        boolean neverConnected) {

    /** A lost connection (the source had connected before). */
    public SourceReconnect(int attempt, String lastError, Instant nextAttemptAt, Instant since) {
        this(attempt, lastError, nextAttemptAt, since, false);
    }
}
