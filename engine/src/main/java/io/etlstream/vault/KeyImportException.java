package io.etlstream.vault;

import io.etlstream.UserFacingException;

/** A PEM file that cannot be imported as a Snowflake RSA private key; the message says how to fix the file. */
public final class KeyImportException extends UserFacingException {
    private static final long serialVersionUID = 1L;

    /** What is wrong with the file. */
    public enum Problem {
        NO_PEM_BLOCK,
        PUBLIC_KEY,
        CERTIFICATE,
        NOT_RSA,
        OPENSSH_FORMAT,
        LEGACY_ENCRYPTED_PEM,
        PASSPHRASE_MISSING,
        WRONG_PASSPHRASE,
        UNSUPPORTED_ENCRYPTION,
        BAD_BASE64,
        TRUNCATED,
        KEY_TOO_SMALL
    }

    private final Problem problem;

    public KeyImportException(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public KeyImportException(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
