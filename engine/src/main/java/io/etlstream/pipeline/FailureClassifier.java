package io.etlstream.pipeline;

import io.etlstream.UserFacingException;
import io.etlstream.source.pg.ReplicationStream.SlotMissingException;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Locale;

/**
 * Decides whether a failure is permanent (authentication, missing table or publication, invalidated slot:
 * retrying cannot help, the user must act) or transient (network, server restart, timeouts: retry with backoff).
 * Unknown failures are treated as transient so that a blip never stops a pipeline for good; the retry count
 * and last error stay visible in the status.
 */
public final class FailureClassifier {

    private static final String RESYNC = "resync the pipeline: etl-stream pipeline resync NAME (drops and recreates"
            + " the slot, copies the tables again)";

    private FailureClassifier() {}

    public static PipelineError classify(Throwable failure, Instant at) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PipelineFailure pf) {
                return new PipelineError(at, message(pf), pf.suggestedAction(), pf.permanent());
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            // Before the SQL and generic branches: found at start it has no SQLException inside, and "start the
            // pipeline" (the generic advice) can never work for a lost slot.
            if (t instanceof SlotMissingException slot) {
                return new PipelineError(at, slot.getMessage(), RESYNC, true);
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                PipelineError e = fromSql(sql, at);
                if (e != null) {
                    return e;
                }
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UserFacingException u) {
                return new PipelineError(at, u.getMessage(), "follow the advice in the message, then start the pipeline",
                        true);
            }
        }
        boolean io = false;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            io |= t instanceof IOException;
        }
        return new PipelineError(at, message(failure),
                io ? "none needed: etl-stream retries; check the network if this persists"
                        : "none needed: etl-stream retries; if this persists, send the log to support",
                false);
    }

    private static PipelineError fromSql(SQLException e, Instant at) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String msg = e.getMessage() == null ? "" : e.getMessage();
        String lower = msg.toLowerCase(Locale.ROOT);
        if (state.equals("28P01") || state.equals("28000")) {
            return new PipelineError(at, "PostgreSQL refused the login: " + msg,
                    "check the source's user and password (etl-stream source edit) and pg_hba.conf, then start the pipeline",
                    true);
        }
        if (state.equals("42P01") || state.equals("3F000")) {
            return new PipelineError(at, "a selected table or schema is missing: " + msg,
                    "create the table again or remove it from the pipeline (pipeline remove-table), then start it", true);
        }
        if (state.equals("42501")) {
            return new PipelineError(at, "permission denied: " + msg,
                    "grant the source user SELECT on the tables and the REPLICATION attribute, then start the pipeline",
                    true);
        }
        if (lower.contains("can no longer get changes from replication slot")
                || lower.contains("has been invalidated") || lower.contains("wal_status = lost")) {
            return new PipelineError(at, "the replication slot was invalidated (PostgreSQL removed WAL it still needed): "
                    + msg, RESYNC, true);
        }
        if (lower.contains("publication") && lower.contains("does not exist")) {
            return new PipelineError(at, "the publication is missing: " + msg,
                    "run etl-stream doctor on the source to recreate it, then start the pipeline", true);
        }
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")
                || state.equals("53300") || state.equals("55006") || state.startsWith("40")) {
            return new PipelineError(at, message(e), "none needed: etl-stream retries until PostgreSQL is reachable",
                    false);
        }
        return null;
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
