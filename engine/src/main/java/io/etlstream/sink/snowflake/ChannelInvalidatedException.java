package io.etlstream.sink.snowflake;

/**
 * A Snowpipe Streaming channel stopped accepting rows (another client reopened it, or Snowflake invalidated it).
 * Rows it buffered may not have been committed, so the pipeline must restart from the last durable position: the
 * source replays from PostgreSQL and the sink skips what the channels already committed. Nothing is lost.
 * Not a {@link io.etlstream.UserFacingException}: there is nothing for the user to do, and the pipeline treats
 * it as transient (a restart with backoff), where a user-facing error would stop it for good.
 */
public final class ChannelInvalidatedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ChannelInvalidatedException(String message, Throwable cause) {
        super(message, cause);
    }
}
