package io.etlstream.sink.snowflake;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import net.snowflake.ingest.utils.ParameterProvider;

/**
 * Snowpipe Streaming client knobs, as SDK parameter overrides; one set per engine (settings of {@code etl-stream run}).
 *
 * <p>Why these defaults (measured, see REFERENCE.md and the README's benchmark section): ZSTD halves the client's CPU
 * per row against the SDK's default GZIP (154k-184k rows/s against 102k-126k on 2 cores), which leaves a core for
 * decoding PostgreSQL. {@code max_client_lag} is the longest a row waits in the client before its blob is built; the
 * SDK refuses less than 1 s. A row therefore waits up to a second unless the channel's buffer reaches
 * {@code max_channel_size_in_bytes} first, which flushes at once (checked every {@code flushCheckInterval}).
 * Override keys must be lower case; the SDK silently ignores others.
 */
public record SnowpipeTuning(Duration maxClientLag, String compression, Long maxChannelSizeBytes,
        Duration flushCheckInterval) {

    /** The SDK's own flush check interval. */
    public static final Duration SDK_FLUSH_CHECK_INTERVAL = Duration.ofMillis(100);

    /** Low latency with ZSTD: the engine's default. */
    public static final SnowpipeTuning DEFAULT = new SnowpipeTuning(Duration.ofSeconds(1), "ZSTD", null, null);

    public SnowpipeTuning {
        Objects.requireNonNull(maxClientLag, "maxClientLag");
        Objects.requireNonNull(compression, "compression");
        if (maxClientLag.compareTo(Duration.ofSeconds(1)) < 0 || maxClientLag.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("max client lag must be between 1 s and 10 min (the SDK refuses"
                    + " others), not " + maxClientLag.toMillis() + " ms");
        }
        compression = compression.toUpperCase(java.util.Locale.ROOT);
        if (!compression.equals("ZSTD") && !compression.equals("GZIP")) {
            throw new IllegalArgumentException("compression must be ZSTD or GZIP, not " + compression);
        }
        if (maxChannelSizeBytes != null && maxChannelSizeBytes < 1024) {
            throw new IllegalArgumentException("max channel size must be at least 1024 bytes, not "
                    + maxChannelSizeBytes);
        }
        if (flushCheckInterval != null && (flushCheckInterval.toMillis() < 10 || flushCheckInterval.toMillis() > 1000)) {
            throw new IllegalArgumentException("flush check interval must be between 10 ms and 1 s, not "
                    + flushCheckInterval.toMillis() + " ms");
        }
    }

    /** Without a flush check interval: the SDK's own (100 ms). */
    public SnowpipeTuning(Duration maxClientLag, String compression, Long maxChannelSizeBytes) {
        this(maxClientLag, compression, maxChannelSizeBytes, null);
    }

    public SnowpipeTuning withMaxClientLag(Duration d) {
        return new SnowpipeTuning(d, compression, maxChannelSizeBytes, flushCheckInterval);
    }

    public SnowpipeTuning withCompression(String c) {
        return new SnowpipeTuning(maxClientLag, c, maxChannelSizeBytes, flushCheckInterval);
    }

    /** {@code null}: the SDK's default (64 MB). */
    public SnowpipeTuning withMaxChannelSizeBytes(Long bytes) {
        return new SnowpipeTuning(maxClientLag, compression, bytes, flushCheckInterval);
    }

    /** {@code null}: the SDK's default (100 ms). */
    public SnowpipeTuning withFlushCheckInterval(Duration d) {
        return new SnowpipeTuning(maxClientLag, compression, maxChannelSizeBytes, d);
    }

    /** The SDK parameter overrides; the constants the SDK itself defines carry the (lower-case) key names. */
    public Map<String, Object> parameterOverrides() {
        Map<String, Object> o = new HashMap<>();
        o.put(ParameterProvider.MAX_CLIENT_LAG, maxClientLag.toMillis());
        o.put(ParameterProvider.BDEC_PARQUET_COMPRESSION_ALGORITHM, compression);
        if (maxChannelSizeBytes != null) {
            o.put(ParameterProvider.MAX_CHANNEL_SIZE_IN_BYTES, maxChannelSizeBytes);
        }
        if (flushCheckInterval != null) {
            o.put(ParameterProvider.BUFFER_FLUSH_CHECK_INTERVAL_IN_MILLIS, flushCheckInterval.toMillis());
        }
        return o;
    }

    @Override
    public String toString() {
        return "max_client_lag=" + maxClientLag.toMillis() + "ms, compression=" + compression
                + ", max_channel_size_in_bytes=" + (maxChannelSizeBytes == null ? "sdk default" : maxChannelSizeBytes)
                + ", buffer_flush_check_interval=" + (flushCheckInterval == null ? "sdk default"
                        : flushCheckInterval.toMillis() + "ms");
    }
}
