package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class SinkTuningOptionsTest {

    @Command(name = "t")
    static final class Holder {
        @Mixin
        SinkTuningOptions options = new SinkTuningOptions();
    }

    static SinkTuningOptions parse(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.options;
    }

    @Test
    void noOptionsGiveTheDefaults() {
        SinkTuningOptions o = parse();
        assertThat(o.tuning()).isEqualTo(SnowpipeTuning.DEFAULT);
        assertThat(o.limiter().size()).isEqualTo(FlushLimiter.DEFAULT_CONCURRENT_FLUSHES);
    }

    @Test
    void everyOptionIsApplied() {
        SinkTuningOptions o = parse("--snowpipe-max-client-lag", "5s", "--snowpipe-max-channel-bytes", "400000",
                "--snowpipe-compression", "GZIP", "--snowpipe-flush-check-interval", "50ms",
                "--max-concurrent-flushes", "6");
        assertThat(o.tuning()).isEqualTo(new SnowpipeTuning(Duration.ofSeconds(5), "GZIP", 400_000L,
                Duration.ofMillis(50)));
        assertThat(o.limiter().size()).isEqualTo(6);
        assertThat(parse("--snowpipe-max-channel-bytes", "0").tuning().maxChannelSizeBytes()).isNull();
    }

    @Test
    void badValuesSayWhatIsAllowed() {
        assertThatThrownBy(() -> parse("--snowpipe-max-client-lag", "500ms").tuning())
                .isInstanceOf(UserFacingException.class).hasMessageContaining("between 1 s and 10 min");
        assertThatThrownBy(() -> parse("--snowpipe-compression", "snappy").tuning())
                .isInstanceOf(UserFacingException.class).hasMessageContaining("ZSTD or GZIP");
        assertThatThrownBy(() -> parse("--max-concurrent-flushes", "0").limiter())
                .isInstanceOf(UserFacingException.class).hasMessageContaining("between 1 and 64");
    }
}
