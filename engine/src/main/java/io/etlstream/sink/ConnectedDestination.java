package io.etlstream.sink;

import io.etlstream.source.pg.ChangeSink;

/**
 * A connected destination (the Destination SPI; the catalog record of the same name holds only its settings): it owns the connection to the warehouse and hands each pipeline a
 * {@link ChangeSink}. Snowflake's is {@code io.etlstream.sink.snowflake.SnowflakeDestination}; the SDK stays behind
 * this interface so a second adapter (e.g. Snowflake's newer streaming SDK) can be added. For benchmarks without a
 * destination use {@code io.etlstream.source.pg.NullSink}.
 */
public interface ConnectedDestination extends AutoCloseable {

    /** A sink for one pipeline; the caller closes it before this destination. */
    ChangeSink openSink(String pipeline, SinkOptions options, SinkEvents events);

    /** Checks the whole write path end to end and says what was checked; throws a user-facing error otherwise. */
    String check();
}
