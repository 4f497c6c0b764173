package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Properties;
import net.snowflake.ingest.utils.ParameterProvider;
import org.junit.jupiter.api.Test;

class SnowpipeTuningTest {

    @Test
    void everyKnobReachesTheSdk() {
        SnowpipeTuning t = SnowpipeTuning.DEFAULT.withMaxClientLag(Duration.ofSeconds(3)).withCompression("gzip")
                .withMaxChannelSizeBytes(500_000L).withFlushCheckInterval(Duration.ofMillis(40));
        ParameterProvider p = new ParameterProvider(t.parameterOverrides(), new Properties());
        assertThat(p.getCachedMaxClientLagInMs()).isEqualTo(3000L);
        assertThat(p.getMaxChannelSizeInBytes()).isEqualTo(500_000L);
        assertThat(p.getBufferFlushCheckIntervalInMs()).isEqualTo(40L);
        assertThat(t.compression()).isEqualTo("GZIP");
    }

    @Test
    void unsetKnobsLeaveTheSdkDefaults() {
        SnowpipeTuning t = SnowpipeTuning.DEFAULT.withMaxChannelSizeBytes(null).withFlushCheckInterval(null);
        ParameterProvider p = new ParameterProvider(t.parameterOverrides(), new Properties());
        assertThat(p.getMaxChannelSizeInBytes()).isEqualTo(ParameterProvider.MAX_CHANNEL_SIZE_IN_BYTES_DEFAULT);
        assertThat(p.getBufferFlushCheckIntervalInMs())
                .isEqualTo(ParameterProvider.BUFFER_FLUSH_CHECK_INTERVAL_IN_MILLIS_DEFAULT);
        assertThat(t.toString()).contains("max_channel_size_in_bytes=sdk default");
    }

    @Test
    void refusesWhatTheSdkWouldRefuseOrIgnore() {
        assertThatThrownBy(() -> SnowpipeTuning.DEFAULT.withMaxClientLag(Duration.ofMinutes(11)))
                .hasMessageContaining("between 1 s and 10 min");
        assertThatThrownBy(() -> SnowpipeTuning.DEFAULT.withCompression("LZ4")).hasMessageContaining("ZSTD or GZIP");
        assertThatThrownBy(() -> SnowpipeTuning.DEFAULT.withMaxChannelSizeBytes(10L)).hasMessageContaining("1024");
        assertThatThrownBy(() -> SnowpipeTuning.DEFAULT.withFlushCheckInterval(Duration.ofMillis(5)))
                .hasMessageContaining("10 ms and 1 s");
    }
}
