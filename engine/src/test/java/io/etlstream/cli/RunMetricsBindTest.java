package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.home.HomeLock;
import io.etlstream.pipeline.Engine;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code run --metrics-bind}: loopback unless the user asks to expose the endpoint. */
class RunMetricsBindTest {

    private static RunCommand parse(String... args) {
        CommandLine.ParseResult r = EtlStreamCommand.commandLine().parseArgs(args);
        return (RunCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void defaultBindAddressIsLoopback() {
        assertThat(parse("run", "--metrics-port", "0").metricsBind).isEqualTo("127.0.0.1");
        assertThat(Engine.Options.of(HomeLock.RUN, null).metricsBind()).isEqualTo("127.0.0.1");
    }

    @Test
    void bindAddressCanBeChosen() {
        assertThat(parse("run", "--metrics-port", "9400", "--metrics-bind", "0.0.0.0").metricsBind)
                .isEqualTo("0.0.0.0");
    }
}
