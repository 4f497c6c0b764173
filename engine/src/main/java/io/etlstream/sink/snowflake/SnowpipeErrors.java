package io.etlstream.sink.snowflake;

import io.etlstream.UserFacingException;
import java.util.Locale;
import net.snowflake.ingest.utils.ErrorCode;
import net.snowflake.ingest.utils.SFException;

/**
 * What the sink does about an error of the Snowpipe Streaming SDK, decided in one place for every SDK call (open,
 * insertRows, committed offset token, close), so the same failure never means a restart on one path and a stop for
 * good on another.
 */
final class SnowpipeErrors {

    private SnowpipeErrors() {}

    /** The sink's reaction to an SDK error. */
    enum Kind {
        /**
         * The channel is fenced (another client opened it), invalidated or closed, or could not be opened: rows it
         * buffered may be uncommitted. The pipeline restarts from the last durable position; nothing is lost.
         */
        CHANNEL_LOST,
        /** Snowflake refused a row's value or shape: the table stops until it is fixed and resynced. */
        ROW_REFUSED,
        /** Retrying cannot help (missing or unauthorised object, bad key or settings): the user must act. */
        USER_ACTION,
        /** Anything else (a failed request, an I/O error): the pipeline restarts with backoff. */
        TRANSIENT
    }

    static Kind kind(SFException e) {
        String code = e.getVendorCode();
        if (is(code, ErrorCode.INVALID_CHANNEL, ErrorCode.CLOSED_CHANNEL, ErrorCode.CLOSED_CLIENT,
                ErrorCode.CHANNEL_STATUS_INVALID, ErrorCode.CHANNELS_WITH_UNCOMMITTED_ROWS)) {
            return Kind.CHANNEL_LOST;
        }
        if (is(code, ErrorCode.INVALID_FORMAT_ROW, ErrorCode.INVALID_VALUE_ROW, ErrorCode.MAX_ROW_SIZE_EXCEEDED,
                ErrorCode.UNKNOWN_DATA_TYPE, ErrorCode.UNSUPPORTED_DATA_TYPE, ErrorCode.INVALID_COLLATION_STRING)) {
            return Kind.ROW_REFUSED;
        }
        if (is(code, ErrorCode.INVALID_PRIVATE_KEY, ErrorCode.INVALID_ENCRYPTED_KEY, ErrorCode.KEYPAIR_CREATION_FAILURE,
                ErrorCode.INVALID_URL, ErrorCode.INVALID_CONFIG_PARAMETER, ErrorCode.MISSING_CONFIG)) {
            return Kind.USER_ACTION;
        }
        if (is(code, ErrorCode.OPEN_CHANNEL_FAILURE)) {
            // The SDK keeps only the service's message of a refused open, not its status code: the refusals a retry
            // cannot cure (status 4, 5, 6, 8, 9) say so; the rest (a fenced or transient status) are retried.
            String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            return m.contains("does not exist") || m.contains("not authorized") || m.contains("not supported")
                    || m.contains("limit exceeded") ? Kind.USER_ACTION : Kind.CHANNEL_LOST;
        }
        return Kind.TRANSIENT;
    }

    private static boolean is(String vendorCode, ErrorCode... codes) {
        for (ErrorCode c : codes) {
            if (c.getMessageCode().equals(vendorCode)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The exception the sink throws for {@code e}, met while doing {@code action} (e.g. "opening the channel for
     * DB.S.T_HISTORY") on {@code channel}. {@link Kind#ROW_REFUSED} is the caller's to handle (it stops the table);
     * here it is treated as transient.
     */
    static RuntimeException toSinkError(SFException e, String action, String channel) {
        return switch (kind(e)) {
            case CHANNEL_LOST -> new ChannelInvalidatedException("The Snowflake channel " + channel + " was invalidated"
                    + " while " + action + " (" + e.getMessage() + "): another writer took it over, or Snowflake closed"
                    + " or refused it. The pipeline restarts from the last durable position; nothing is lost or"
                    + " duplicated.", e);
            case USER_ACTION -> new UserFacingException("Snowflake refused " + action + " (" + e.getMessage()
                    + "). Check that the database, schema and table exist, that the destination's role may INSERT"
                    + " into the table, and the destination's key and settings ('etl-stream destination test').", e);
            case ROW_REFUSED, TRANSIENT -> new IllegalStateException("Snowflake failed while " + action + " ("
                    + e.getMessage() + "); the pipeline retries from the last durable position.", e);
        };
    }
}
