package io.etlstream.source.pg.pgoutput;

/** The bytes are not a pgoutput message this decoder understands: a protocol or slot-option mismatch. */
public final class PgOutputFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PgOutputFormatException(String message) {
        super(message);
    }

    public PgOutputFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
