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
        }
        // Compression runs in the background; wait for the first archive.
        Path archive = null;
        for (int i = 0; i < 100 && archive == null; i++) {
            try (Stream<Path> files = Files.list(dir.resolve("logs"))) {
                List<Path> gz = files.filter(p -> p.getFileName().toString()
                        .matches("etl-stream\\.\\d{4}-\\d{2}-\\d{2}\\.0\\.log\\.gz")).toList();
                archive = gz.isEmpty() ? null : gz.get(0);
            }
            if (archive == null) {
                Thread.sleep(100);
            }
        }
        assertThat(archive).as("rotated archive in %s", dir.resolve("logs")).isNotNull();
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(archive))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("line 0 ");
        }
        assertThat(Files.readString(file)).contains("line 199 ").doesNotContain("line 0 ");
        assertThat(Files.size(file)).isLessThan(4096);
        assertThat(context().getStatusManager().getCopyOfStatusList())
                .noneMatch(s -> s.getEffectiveLevel() >= ch.qos.logback.core.status.Status.ERROR);
    }
}
