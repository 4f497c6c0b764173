package io.etlstream.app.error;

import io.etlstream.UserFacingException;
import io.etlstream.app.AppInfo;
import io.etlstream.app.i18n.Messages;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Objects;

/**
 * What the error window shows for one failure: a summary, what to do next, the stable code and the
 * details a user pastes into a bug report.
 */
public record ErrorReport(ErrorCode code, String summary, String nextStep, String details) {

    public ErrorReport {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(nextStep, "nextStep");
        Objects.requireNonNull(details, "details");
    }

    public static ErrorReport of(Throwable failure) {
        ErrorCode code = ErrorCode.of(failure);
        UserFacingException userFacing = findUserFacing(failure);
        String summary;
        String nextStep;
        if (userFacing != null) {
            // Its message already says what went wrong and what to do next.
            summary = userFacing.getMessage();
            nextStep = Messages.get("error.nextStep.userFacing");
        } else {
            summary = Messages.get("error.summary.unexpected", failure.getClass().getSimpleName());
            nextStep = Messages.get("error.nextStep.unexpected");
        }
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        String details = "etl-stream " + AppInfo.version() + "\n"
                + "Error code: " + code + "\n"
                + AppInfo.runtime() + "\n\n"
                + trace;
        return new ErrorReport(code, summary, nextStep, details);
    }

    private static UserFacingException findUserFacing(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UserFacingException u) {
                return u;
            }
        }
        return null;
    }
}
