/**
 * The Destination SPI ({@link io.etlstream.sink.ConnectedDestination}, {@link io.etlstream.sink.SinkOptions}), sink events,
 * and the engine-wide {@link io.etlstream.sink.FlushLimiter}. A pipeline's sink is a
 * {@link io.etlstream.source.pg.ChangeSink}; the null sink for benchmarks is {@link io.etlstream.source.pg.NullSink}.
 */
package io.etlstream.sink;
