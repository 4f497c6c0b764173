package io.etlstream.cli;

/**
 * Marks a command that sets up logging itself (e.g. the headless engine, which logs like the console);
 * every other command gets {@code Logging.configureForCli} before it runs.
 */
public interface ConfiguresOwnLogging {
}
