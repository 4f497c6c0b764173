package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import net.snowflake.ingest.internal.net.snowflake.client.core.SFSessionProperty;
import net.snowflake.ingest.streaming.internal.SnowflakeStreamingIngestClientInternal;
import net.snowflake.ingest.utils.Constants;
import net.snowflake.ingest.utils.ParameterProvider;
import net.snowflake.ingest.utils.SnowflakeURL;
import org.junit.jupiter.api.Test;

class SnowpipeClientFactoryTest {

    /** Fails when an SDK upgrade removes the only route that takes the key as an object (see the factory). */
    @Test
    void sdkStillHasThePrivateKeyObjectConstructor() throws Exception {
        Constructor<?> c = SnowflakeStreamingIngestClientInternal.class.getConstructor(
                String.class, SnowflakeURL.class, Properties.class, Map.class, boolean.class);
        assertThat(Modifier.isPublic(c.getModifiers())).isTrue();
        assertThat(SFSessionProperty.PRIVATE_KEY.getPropertyKey()).isEqualTo(SnowpipeClientFactory.PRIVATE_KEY_PROPERTY);
    }

    @Test
    void sdkHonoursTheLowerCaseOverrides() {
        ParameterProvider p = new ParameterProvider(SnowpipeTuning.DEFAULT.parameterOverrides(), new Properties());
        assertThat(p.getCachedMaxClientLagInMs()).isEqualTo(1000L);
        assertThat(p.getBdecParquetCompressionAlgorithm()).isEqualTo(Constants.BdecParquetCompression.ZSTD);

        SnowpipeTuning small = new SnowpipeTuning(Duration.ofSeconds(2), "GZIP", 300_000L);
        ParameterProvider q = new ParameterProvider(small.parameterOverrides(), new Properties());
        assertThat(q.getCachedMaxClientLagInMs()).isEqualTo(2000L);
        assertThat(q.getMaxChannelSizeInBytes()).isEqualTo(300_000L);
        assertThat(q.getBdecParquetCompressionAlgorithm()).isEqualTo(Constants.BdecParquetCompression.GZIP);
    }

    @Test
    void upperCaseKeysWouldBeIgnoredWhichIsWhyTheSdkConstantsAreUsed() {
        ParameterProvider p = new ParameterProvider(Map.of("MAX_CLIENT_LAG", 5000L), new Properties());
        assertThat(p.getCachedMaxClientLagInMs()).isNotEqualTo(5000L);
    }

    @Test
    void rejectsLagBelowTheSdkMinimum() {
        assertThatThrownBy(() -> new SnowpipeTuning(Duration.ofMillis(500), "ZSTD", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void accountUrls() {
        assertThat(new SnowflakeAccount(SnowflakeAccount.urlForAccount("MyOrg-Acct1"), "U", "R").sdkUrl())
                .isEqualTo("https://myorg-acct1.snowflakecomputing.com:443");
        assertThat(new SnowflakeAccount(java.net.URI.create("http://127.0.0.1:8123"), "U", "R").sdkUrl())
                .isEqualTo("http://127.0.0.1:8123");
        assertThatThrownBy(() -> SnowflakeAccount.urlForAccount("bad/acct")).isInstanceOf(IllegalArgumentException.class);
    }
}
