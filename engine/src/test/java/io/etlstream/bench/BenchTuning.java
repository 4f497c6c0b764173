package io.etlstream.bench;

import io.etlstream.sink.snowflake.SnowpipeTuning;
import java.time.Duration;

/**
 * The client settings a benchmark runs with: the engine's defaults, or those given as system properties
 * ({@code -Dbench.maxClientLagMs=1000 -Dbench.maxChannelBytes=300000 -Dbench.flushCheckMs=50
 * -Dbench.compression=ZSTD}; {@code -Dbench.maxChannelBytes=0} = the SDK default), to compare settings.
 */
final class BenchTuning {

    static SnowpipeTuning fromProperties() {
        SnowpipeTuning t = SnowpipeTuning.DEFAULT;
        String lag = System.getProperty("bench.maxClientLagMs");
        if (lag != null) {
            t = t.withMaxClientLag(Duration.ofMillis(Long.parseLong(lag)));
        }
        String size = System.getProperty("bench.maxChannelBytes");
        if (size != null) {
            long n = Long.parseLong(size);
            t = t.withMaxChannelSizeBytes(n == 0 ? null : n);
        }
        String check = System.getProperty("bench.flushCheckMs");
        if (check != null) {
            long n = Long.parseLong(check);
            t = t.withFlushCheckInterval(n == 0 ? null : Duration.ofMillis(n));
        }
        String compression = System.getProperty("bench.compression");
        if (compression != null) {
            t = t.withCompression(compression);
        }
        return t;
    }

    private BenchTuning() {}
}
