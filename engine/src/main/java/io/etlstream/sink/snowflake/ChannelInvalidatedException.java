package io.etlstream.sink.snowflake;

import io.etlstream.UserFacingException;

/**
 * A Snowpipe Streaming channel stopped accepting rows (another client reopened it, or Snowflake invalidated it).
 * Rows it buffered may not have been committed, so the pipeline must restart from the last durable position: the
 * source replays from PostgreSQL and the sink skips what the channels already committed. Nothing is lost.
 */
public final class ChannelInvalidatedException extends UserFacingException {
    private static final long serialVersionUID = 1L;

    public ChannelInvalidatedException(String message, Throwable cause) {
        super(message, cause);
    }
}
