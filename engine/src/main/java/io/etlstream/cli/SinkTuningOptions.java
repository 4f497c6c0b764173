package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Engine settings of the Snowflake sink on {@code etl-stream run}: the Snowpipe Streaming client knobs (one client per
 * destination, all with these settings) and how many Snowflake SQL statements may run at once across every pipeline.
 * Unset options keep {@link SnowpipeTuning#DEFAULT} and {@link FlushLimiter#DEFAULT_CONCURRENT_FLUSHES}.
 */
public final class SinkTuningOptions {

    static final String DEFAULT_CHANNEL_BYTES_TEXT = "the SDK's 64 MB";
    static final String DEFAULT_FLUSH_CHECK_TEXT = "the SDK's 100ms";

    @Option(names = "--snowpipe-max-client-lag", paramLabel = "DURATION",
            description = "Longest a row waits in the Snowpipe Streaming client before it is flushed (1s..10m;"
                    + " default 1s, the SDK's minimum).")
    String maxClientLag;

    @Option(names = "--snowpipe-max-channel-bytes", paramLabel = "BYTES",
            description = "Flush a table's channel as soon as its buffer holds this many bytes, before the client lag"
                    + " is up (lower = lower latency, more and smaller files; 0 = the SDK's 64 MB; default "
                    + SinkTuningOptions.DEFAULT_CHANNEL_BYTES_TEXT + ").")
    Long maxChannelBytes;

    @Option(names = "--snowpipe-compression", paramLabel = "ZSTD|GZIP",
            description = "Parquet compression of the files sent to Snowflake (default ZSTD: about half GZIP's CPU).")
    String compression;

    @Option(names = "--snowpipe-flush-check-interval", paramLabel = "DURATION",
            description = "How often the client checks whether a channel must flush (10ms..1s; default "
                    + SinkTuningOptions.DEFAULT_FLUSH_CHECK_TEXT + ").")
    String flushCheckInterval;

    @Option(names = "--max-concurrent-flushes", paramLabel = "N",
            description = "Hand-offs into Snowpipe Streaming (rows to a channel, channel flush) and, separately,"
                    + " Snowflake SQL statements (mirror MERGEs, DDL) running at once across all pipelines"
                    + " (default " + FlushLimiter.DEFAULT_CONCURRENT_FLUSHES + " each).")
    Integer maxConcurrentFlushes;

    /** The client settings these options ask for, on top of the defaults. */
    public SnowpipeTuning tuning() {
        SnowpipeTuning t = SnowpipeTuning.DEFAULT;
        try {
            if (maxClientLag != null) {
                t = t.withMaxClientLag(PipelineSettings.parseInterval(maxClientLag));
            }
            if (maxChannelBytes != null) {
                t = t.withMaxChannelSizeBytes(maxChannelBytes == 0 ? null : maxChannelBytes);
            }
            if (compression != null) {
                t = t.withCompression(compression);
            }
            if (flushCheckInterval != null) {
                Duration d = PipelineSettings.parseInterval(flushCheckInterval);
                t = t.withFlushCheckInterval(d);
            }
        } catch (IllegalArgumentException e) {
            throw new UserFacingException("Invalid Snowpipe Streaming setting: " + e.getMessage()
                    + ". See 'etl-stream run --help' for the ranges.", e);
        }
        return t;
    }

    /** The engine-wide bound on concurrent Snowflake statements. */
    public FlushLimiter limiter() {
        int n = maxConcurrentFlushes == null ? FlushLimiter.DEFAULT_CONCURRENT_FLUSHES : maxConcurrentFlushes;
        if (n < 1 || n > 64) {
            throw new UserFacingException("--max-concurrent-flushes must be between 1 and 64, not " + n + ".");
        }
        return new FlushLimiter(n);
    }
}
