package io.etlstream.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.util.FileSize;
import io.etlstream.UserFacingException;
import io.etlstream.home.EtlHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Logback set up in code (no logback.xml to lose or override): a rolling file under
 * {@code <home>/logs} plus warnings on stderr.
 *
 * <p>The engine processes (console, headless {@code run}) write {@value #ENGINE_LOG}; short CLI commands
 * write {@value #CLI_LOG}. Separate files because logback's rolling appender is not safe with two JVMs
 * rolling the same file, and a CLI command may run next to an engine.
 */
public final class Logging {

    public static final String ENGINE_LOG = "etl-stream.log";
    public static final String CLI_LOG = "etl-stream-cli.log";
    /** Name of the file appender on the root logger. */
    public static final String FILE_APPENDER = "FILE";
    public static final String STDERR_APPENDER = "STDERR";

    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} - %msg%n";
    static final FileSize MAX_FILE_SIZE = FileSize.valueOf("20MB");
    static final int MAX_HISTORY_DAYS = 14;
    static final FileSize TOTAL_SIZE_CAP = FileSize.valueOf("500MB");

    private Logging() {
    }

    /** CLI command: INFO and up to {@value #CLI_LOG}, warnings and errors on stderr. Returns the log file. */
    public static Path configureForCli(EtlHome home) {
        return configure(home, CLI_LOG, Level.WARN);
    }

    /** The JavaFX console's embedded engine: INFO and up to {@value #ENGINE_LOG}, warnings on stderr. */
    public static Path configureForConsole(EtlHome home) {
        return configure(home, ENGINE_LOG, Level.WARN);
    }

    /** The headless engine: {@value #ENGINE_LOG} plus INFO on stderr, which service managers capture. */
    public static Path configureForHeadlessEngine(EtlHome home) {
        return configure(home, ENGINE_LOG, Level.INFO);
    }

    /** Before a home is known (and for {@code --help}/{@code --version}): warnings on stderr only. */
    public static void configureStderrOnly(LoggerContext ctx) {
        ctx.reset();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr(ctx, Level.WARN));
        quietLibraries(ctx);
    }

    private static Path configure(EtlHome home, String fileName, Level stderrThreshold) {
        return configure(home, fileName, stderrThreshold, MAX_FILE_SIZE);
    }

    /** {@code maxFileSize} is a parameter so a test can watch a real size-triggered rotation. */
    static Path configure(EtlHome home, String fileName, Level stderrThreshold, FileSize maxFileSize) {
        Path logsDir = home.logsDir();
        try {
            home.createDir();
            Files.createDirectories(logsDir);
        } catch (IOException e) {
            throw new UserFacingException("Cannot create the log folder " + logsDir + ": " + e.getMessage()
                    + ". Check that the home folder is writable, or use --home DIR.", e);
        }
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        Path file = logsDir.resolve(fileName);

        RollingFileAppender<ILoggingEvent> fileAppender = new RollingFileAppender<>();
        fileAppender.setContext(ctx);
        fileAppender.setName(FILE_APPENDER);
        fileAppender.setFile(file.toString());
        fileAppender.setEncoder(encoder(ctx));

        SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(ctx);
        policy.setParent(fileAppender);
        String base = fileName.substring(0, fileName.length() - ".log".length());
        // Rotated daily and at MAX_FILE_SIZE, gzipped, kept MAX_HISTORY_DAYS and never above TOTAL_SIZE_CAP.
        policy.setFileNamePattern(logsDir.resolve(base + ".%d{yyyy-MM-dd}.%i.log.gz").toString());
        policy.setMaxFileSize(maxFileSize);
        policy.setMaxHistory(MAX_HISTORY_DAYS);
        policy.setTotalSizeCap(TOTAL_SIZE_CAP);
        policy.start();
        fileAppender.setRollingPolicy(policy);
        fileAppender.start();

        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(fileAppender);
        root.addAppender(stderr(ctx, stderrThreshold));
        quietLibraries(ctx);

        List<Status> errors = ctx.getStatusManager().getCopyOfStatusList().stream()
                .filter(s -> s.getEffectiveLevel() >= Status.ERROR).toList();
        if (!fileAppender.isStarted() || !errors.isEmpty()) {
            configureStderrOnly(ctx);
            throw new UserFacingException("Cannot write the log file " + file + ": "
                    + (errors.isEmpty() ? "appender did not start" : errors.get(0).getMessage())
                    + ". Check that the folder is writable, or use --home DIR.");
        }
        return file;
    }

    private static ConsoleAppender<ILoggingEvent> stderr(LoggerContext ctx, Level threshold) {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName(STDERR_APPENDER);
        console.setTarget("System.err");
        console.setEncoder(encoder(ctx));
        ThresholdFilter filter = new ThresholdFilter();
        filter.setLevel(threshold.levelStr);
        filter.start();
        console.addFilter(filter);
        console.start();
        return console;
    }

    private static PatternLayoutEncoder encoder(LoggerContext ctx) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN);
        encoder.start();
        return encoder;
    }

    /** Libraries whose INFO chatter drowns the engine's own lines. */
    private static void quietLibraries(LoggerContext ctx) {
        ctx.getLogger("org.flywaydb").setLevel(Level.WARN);
        ctx.getLogger("net.snowflake").setLevel(Level.WARN);
        ctx.getLogger("org.apache.arrow").setLevel(Level.WARN);
    }
}
