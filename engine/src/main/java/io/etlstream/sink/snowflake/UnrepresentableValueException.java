package io.etlstream.sink.snowflake;

import io.etlstream.UserFacingException;

/** A value the destination column cannot hold under {@link ValuePolicy#STOP_TABLE}; stops its table only. */
public final class UnrepresentableValueException extends UserFacingException {
    private static final long serialVersionUID = 1L;

    public UnrepresentableValueException(String message) {
        super(message);
    }
}
