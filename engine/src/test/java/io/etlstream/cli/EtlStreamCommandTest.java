package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etlstream.logging.Logging;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

class EtlStreamCommandTest {

    @TempDir
    Path dir;

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    private int run(CommandLine cl, String... args) {
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @AfterEach
    void resetLogging() {
        Logging.configureStderrOnly((LoggerContext) LoggerFactory.getILoggerFactory());
    }

    @Test
    void versionPrintsTheProjectVersion() {
        assertThat(run(EtlStreamCommand.commandLine(), "--version")).isZero();
        assertThat(out.toString().trim()).matches("etl-stream \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        assertThat(out.toString()).doesNotContain("unknown");
    }

    @Test
    void helpListsCommandsAndOptions() {
        assertThat(run(EtlStreamCommand.commandLine(), "--help")).isZero();
        assertThat(out.toString()).contains("Usage: etl-stream", "--home=DIR", "--version", "Commands:", "help");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertThat(run(EtlStreamCommand.commandLine(), "--no-such-option")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--no-such-option'");
    }

    @Test
    void helpAndVersionDoNotTouchTheHome() {
        Path home = dir.resolve("home");
        run(EtlStreamCommand.commandLine(), "--home", home.toString(), "--version");
        run(EtlStreamCommand.commandLine(), "--home", home.toString(), "help");
        assertThat(home).doesNotExist();
    }

    /** A listing subcommand as real ones will be written: JsonOption mixin, Listing, logs to the CLI log. */
    @Command(name = "probe")
    static final class ProbeCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            LoggerFactory.getLogger(ProbeCommand.class).info("probe ran in {}", EtlStreamCommand.of(spec).home().dir());
            Listing.of(List.of("a", "bb")).column("name", s -> s).column("length", String::length).print(spec, json);
            return 0;
        }
    }

    @Test
    void subcommandsLogToTheHomeAndHonourJson() throws Exception {
        CommandLine cl = EtlStreamCommand.commandLine().addSubcommand("probe", new ProbeCommand());
        assertThat(run(cl, "--home", dir.toString(), "probe", "--json")).isZero();
        JsonNode rows = new ObjectMapper().readTree(out.toString());
        assertThat(rows).hasSize(2);
        assertThat(rows.get(1).get("name").asText()).isEqualTo("bb");
        assertThat(rows.get(1).get("length").asInt()).isEqualTo(2);

        Path log = dir.resolve("logs").resolve(Logging.CLI_LOG);
        assertThat(Files.readString(log)).contains("INFO", "probe ran in " + dir.toAbsolutePath());

        out.getBuffer().setLength(0);
        CommandLine again = EtlStreamCommand.commandLine().addSubcommand("probe", new ProbeCommand());
        assertThat(run(again, "--home", dir.toString(), "probe")).isZero();
        assertThat(out.toString()).isEqualTo("NAME  LENGTH" + System.lineSeparator() + "a     1"
                + System.lineSeparator() + "bb    2" + System.lineSeparator());
    }

    @Command(name = "fail")
    static final class FailingCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new io.etlstream.UserFacingException("Source 'x' does not exist. Add it first.");
        }
    }

    @Test
    void userFacingErrorsPrintOneLineAndExitOne() {
        CommandLine cl = EtlStreamCommand.commandLine().addSubcommand("fail", new FailingCommand());
        assertThat(run(cl, "--home", dir.toString(), "fail")).isEqualTo(1);
        assertThat(err.toString().trim()).isEqualTo("error: Source 'x' does not exist. Add it first.");
    }
}
