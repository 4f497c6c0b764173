package io.etlstream.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.Level;
import ch.qos.logback.core.util.FileSize;
import io.etlstream.home.EtlHome;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LoggingTest {

    @TempDir
    Path dir;

    private final PrintStream originalErr = System.err;

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        Logging.configureStderrOnly(context());
    }

    private static LoggerContext context() {
        return (LoggerContext) LoggerFactory.getILoggerFactory();
    }

    @Test
    void cliWritesInfoToTheFileAndOnlyWarningsToStderr() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        Path file = Logging.configureForCli(new EtlHome(dir));
        assertThat(file).isEqualTo(dir.resolve("logs").resolve("etl-stream-cli.log"));

        Logger log = LoggerFactory.getLogger("io.etlstream.test");
        log.info("an info line");
        log.warn("a warning line");
        LoggerFactory.getLogger("org.flywaydb.core.Flyway").info("library chatter");

        String content = Files.readString(file);
        assertThat(content).contains("INFO  [main] io.etlstream.test - an info line", "WARN  [main] io.etlstream.test - a warning line");
        assertThat(content).doesNotContain("library chatter");
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(stderr).contains("a warning line").doesNotContain("an info line");
    }

    @Test
    void consoleWritesTheEngineLog() throws Exception {
        Path file = Logging.configureForConsole(new EtlHome(dir));
        assertThat(file).isEqualTo(dir.resolve("logs").resolve("etl-stream.log"));
        LoggerFactory.getLogger("io.etlstream.test").info("engine line");
        assertThat(Files.readString(file)).contains("engine line");
    }

    @Test
    void rotatesBySizeIntoCompressedArchives() throws Exception {
        Path file = Logging.configure(new EtlHome(dir), Logging.ENGINE_LOG, Level.WARN, FileSize.valueOf("2KB"));
        Logger log = LoggerFactory.getLogger("io.etlstream.test");
        for (int i = 0; i < 200; i++) {
            log.info("line {} {}", i, "x".repeat(40));
            if (i % 30 == 29) {
                // About one rotation per 30 lines. Rotations a few milliseconds apart make logback's asynchronous
                // archive clean-up delete the day's first archives (seen with 1.5.18 and 1.5.38 in a standalone
                // loop, about 1 run in 100); with 20 MB files real rotations are never that close.
                Thread.sleep(20);
            }
        }
        // Compression runs in the background: stopping the appender waits for the last one, and the loop waits for
        // the earlier ones (their *.tmp inputs disappear), so the check does not depend on a busy machine's speed.
        context().getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(Logging.FILE_APPENDER).stop();
        for (int i = 0; i < 300; i++) {
            try (Stream<Path> files = Files.list(dir.resolve("logs"))) {
                if (files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp"))) {
                    break;
                }
            }
            Thread.sleep(50);
        }
        List<Path> archives;
        try (Stream<Path> files = Files.list(dir.resolve("logs"))) {
            archives = files.filter(p -> p.getFileName().toString()
                    .matches("etl-stream\\.\\d{4}-\\d{2}-\\d{2}\\.\\d+\\.log\\.gz")).sorted().toList();
        }
        assertThat(archives).as("rotated archives in %s; status %s", dir.resolve("logs"),
                context().getStatusManager().getCopyOfStatusList()).hasSizeGreaterThanOrEqualTo(2);
        StringBuilder all = new StringBuilder();
        for (Path archive : archives) {
            try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(archive))) {
                all.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        String active = Files.readString(file);
        assertThat(active).contains("line 199 ").doesNotContain("line 0 ");
        assertThat(Files.size(file)).isLessThan(4096);
        all.append(active);
        // Every line is kept exactly once across the archives and the active file: rotation loses nothing.
        for (int i = 0; i < 200; i++) {
            String marker = "line " + i + " ";
            int first = all.indexOf(marker);
            assertThat(first).as("line %d kept; archives %s", i, archives).isGreaterThanOrEqualTo(0);
            assertThat(all.indexOf(marker, first + 1)).as("line %d kept once", i).isEqualTo(-1);
        }
        assertThat(context().getStatusManager().getCopyOfStatusList())
                .noneMatch(s -> s.getEffectiveLevel() >= ch.qos.logback.core.status.Status.ERROR);
    }
}
