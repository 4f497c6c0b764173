package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.source.pg.PgSource;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code etl-stream run}'s source memory and spill options: parsing, validation, help, and what the sources get. */
class SourceMemoryOptionsTest {

    @TempDir
    Path dir;

    @Command(name = "t")
    static final class Holder {
        @Mixin
        SourceMemoryOptions options = new SourceMemoryOptions();
    }

    static SourceMemoryOptions parse(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.options;
    }

    @Test
    void noOptionsKeepTheDefaults() {
        EngineHost.SourceMemory m = parse().sourceMemory();
        assertThat(m).isEqualTo(EngineHost.SourceMemory.DEFAULT);
        PgSource.Options o = m.applyTo(PgSource.Options.defaults(), dir);
        assertThat(o.memoryLimitBytes()).isEqualTo(512L * 1024 * 1024);
        assertThat(o.spillThreshold()).isEqualTo(128L * 1024 * 1024); // a quarter of the memory
        assertThat(o.spillDirectory()).isEqualTo(dir.resolve("tmp").resolve("spill"));
    }

    @Test
    void everyOptionReachesTheSourceOptions() {
        Path spill = dir.resolve("big disk").resolve("spill");
        PgSource.Options o = parse("--source-max-memory-bytes", "134217728", "--spill-threshold-bytes", "8388608",
                "--spill-dir", spill.toString()).sourceMemory().applyTo(PgSource.Options.defaults(), dir);
        assertThat(o.memoryLimitBytes()).isEqualTo(134_217_728L);
        assertThat(o.spillThreshold()).isEqualTo(8_388_608L);
        assertThat(o.spillDirectory()).isEqualTo(spill);
        assertThat(spill).isDirectory(); // created up front, so a bad folder fails the start, not the first spill
        assertThat(parse("--source-max-memory-bytes", "134217728").sourceMemory()
                .applyTo(PgSource.Options.defaults(), dir).spillThreshold()).isEqualTo(33_554_432L);
    }

    @Test
    void badValuesSayWhatIsAllowed() throws Exception {
        assertThatThrownBy(() -> parse("--source-max-memory-bytes", "1000").sourceMemory())
                .isInstanceOf(UserFacingException.class).hasMessageContaining("--source-max-memory-bytes must be at"
                        + " least 67108864");
        assertThatThrownBy(() -> parse("--spill-threshold-bytes", "100").sourceMemory())
                .isInstanceOf(UserFacingException.class).hasMessageContaining("at least 1048576");
        assertThatThrownBy(() -> parse("--spill-threshold-bytes", "-1").sourceMemory())
                .isInstanceOf(UserFacingException.class).hasMessageContaining("must be 0");
        assertThatThrownBy(() -> parse("--source-max-memory-bytes", "67108864", "--spill-threshold-bytes",
                "67108865").sourceMemory()).isInstanceOf(UserFacingException.class)
                .hasMessageContaining("more than the source memory").hasMessageContaining("raise");
        assertThatThrownBy(() -> parse("--spill-threshold-bytes", "536870913").sourceMemory())
                .isInstanceOf(UserFacingException.class).hasMessageContaining("the default");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThatThrownBy(() -> parse("--spill-dir", file.toString()).sourceMemory())
                .isInstanceOf(UserFacingException.class).hasMessageContaining("is a file, not a folder");
    }

    @Test
    void runRefusesABadValueBeforeAskingForAnyPasswordAndDocumentsTheOptions() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(CliRunner.run(dir, out, err, "run", "--spill-threshold-bytes", "100")).isEqualTo(1);
        assertThat(err.toString()).contains("--spill-threshold-bytes must be 0").doesNotContain("Exception");
        out = new StringWriter();
        assertThat(CliRunner.run(dir, out, err, "run", "--help")).isEqualTo(0);
        assertThat(out.toString()).contains("--source-max-memory-bytes=BYTES").contains("--spill-threshold-bytes=BYTES")
                .contains("--spill-dir=DIR").contains("a quarter of");
    }
}
