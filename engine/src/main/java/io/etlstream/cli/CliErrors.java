package io.etlstream.cli;

import io.etlstream.UserFacingException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception out of a command into one clear line on stderr and exit code 1.
 * {@link UserFacingException}s are the expected kind: their message says what to do.
 * Anything else is a bug and gets its stack trace.
 */
final class CliErrors implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        if (ex instanceof UserFacingException) {
            cmd.getErr().println("error: " + ex.getMessage());
        } else {
            cmd.getErr().println("error: unexpected failure: " + ex);
            ex.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return 1;
    }
}
