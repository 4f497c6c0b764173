package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.source.pg.PgSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code run --replication-timeout}: 60 s unless chosen, 0 turns it off, values under a second or over an hour are refused. */
class RunReplicationTimeoutTest {

    private static RunCommand parse(String... args) {
        CommandLine.ParseResult r = EtlStreamCommand.commandLine().parseArgs(args);
        return (RunCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void defaultIsSixtySecondsEverywhere() {
        assertThat(RunCommand.replicationTimeout(parse("run").replicationTimeout)).isEqualTo(Duration.ofSeconds(60));
        assertThat(EngineHost.Settings.defaults().replicationTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(PgSource.Options.defaults().replicationTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void chosenValuesAndOff() {
        assertThat(RunCommand.replicationTimeout(parse("run", "--replication-timeout", "15s").replicationTimeout))
                .isEqualTo(Duration.ofSeconds(15));
        assertThat(RunCommand.replicationTimeout(parse("run", "--replication-timeout", "2m").replicationTimeout))
                .isEqualTo(Duration.ofMinutes(2));
        assertThat(RunCommand.replicationTimeout("0")).isZero();
        assertThat(EngineHost.Settings.defaults().withReplicationTimeout(Duration.ofSeconds(15)).withStopTimeout(
                Duration.ofSeconds(5)).replicationTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void tooShortOrNegativeIsRefusedWithTheOptionName() {
        for (String bad : new String[] {"500ms", "-5s", "soon", "61m", "999999h"}) {
            assertThatThrownBy(() -> RunCommand.replicationTimeout(bad)).as(bad)
                    .isInstanceOf(UserFacingException.class).hasMessageContaining("--replication-timeout")
                    .hasMessageContaining(bad.equals("soon") ? "not a duration" : bad.endsWith("h") || bad.endsWith("m")
                            ? "at most 1h" : "at least 1s");
        }
        assertThat(RunCommand.replicationTimeout("1h")).isEqualTo(Duration.ofHours(1));
    }
}
