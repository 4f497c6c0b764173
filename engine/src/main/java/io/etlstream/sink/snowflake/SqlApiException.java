package io.etlstream.sink.snowflake;

import io.etlstream.UserFacingException;

/** Snowflake's SQL API refused a request; carries the HTTP status and Snowflake's error code. */
public final class SqlApiException extends UserFacingException {
    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final String code;

    public SqlApiException(int httpStatus, String code, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.code = code;
    }

    public SqlApiException(String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = 0;
        this.code = null;
    }

    /** 0 when no HTTP response arrived. */
    public int httpStatus() {
        return httpStatus;
    }

    public String code() {
        return code;
    }

    /** True for 401/403: the key-pair login itself was refused. */
    public boolean isAuthenticationFailure() {
        return httpStatus == 401 || httpStatus == 403;
    }
}
