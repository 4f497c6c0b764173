package io.etlstream.catalog;

/** The catalog database failed in a way the caller cannot fix (I/O error, bug); carries the SQL cause. */
public class CatalogException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CatalogException(String message, Throwable cause) {
        super(message, cause);
    }
}
