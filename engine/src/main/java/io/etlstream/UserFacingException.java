package io.etlstream;

/** A failure whose message tells the user what went wrong and what to do next; printed without a stack trace. */
public class UserFacingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserFacingException(String message) {
        super(message);
    }

    public UserFacingException(String message, Throwable cause) {
        super(message, cause);
    }
}
