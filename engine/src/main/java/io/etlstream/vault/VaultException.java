package io.etlstream.vault;

import io.etlstream.UserFacingException;

/** A vault operation that failed for a reason the user can act on; {@link #reason()} says which. */
public final class VaultException extends UserFacingException {
    private static final long serialVersionUID = 1L;

    /** Why the operation failed. */
    public enum Reason {
        NOT_INITIALIZED,
        ALREADY_EXISTS,
        LOCKED,
        WRONG_PASSWORD,
        TAMPERED,
        CORRUPTED,
        WEAK_PASSWORD,
        WEAK_PROTECTION,
        NO_SUCH_ALIAS,
        ALIAS_EXISTS,
        INVALID_ALIAS,
        INVALID_ARGUMENT,
        IO
    }

    private final Reason reason;

    public VaultException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public VaultException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
