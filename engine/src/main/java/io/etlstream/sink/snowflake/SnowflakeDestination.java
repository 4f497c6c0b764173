package io.etlstream.sink.snowflake;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Destination;
import io.etlstream.sink.ConnectedDestination;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.SinkEvents;
import io.etlstream.sink.SinkThreads;
import java.net.URI;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.snowflake.ingest.streaming.OpenChannelRequest;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestChannel;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClient;
import net.snowflake.ingest.utils.SnowflakeURL;

/**
 * A connected Snowflake destination: one Snowpipe Streaming client and one SQL API session, both signed with the
 * same private key in-process, shared by every pipeline writing to it; each pipeline gets a {@link SnowflakeSink}
 * (one channel per table). Sinks run their background work on a scheduler shared engine-wide.
 */
public final class SnowflakeDestination implements ConnectedDestination {

    private final Destination config;
    private final SnowflakeAccount account;
    private final SnowflakeStreamingIngestClient client;
    private final SqlSession sql;
    private final FlushLimiter limiter;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;

    private SnowflakeDestination(Destination config, SnowflakeAccount account, SnowflakeStreamingIngestClient client,
            SqlSession sql, FlushLimiter limiter, ScheduledExecutorService scheduler, boolean ownsScheduler) {
        this.config = config;
        this.account = account;
        this.client = client;
        this.sql = sql;
        this.limiter = limiter;
        this.scheduler = scheduler;
        this.ownsScheduler = ownsScheduler;
    }

    /** The endpoint of a catalog destination: its URL, or the public one of its account. */
    public static URI endpoint(Destination d) {
        return d.url() != null && !d.url().isBlank() ? URI.create(d.url()) : SnowflakeAccount.urlForAccount(d.account());
    }

    /**
     * Connects. The key stays a {@link PrivateKey} object throughout (SDK client and JWT signer); the caller keeps
     * ownership of it.
     */
    public static SnowflakeDestination open(Destination d, PrivateKey key, SnowpipeTuning tuning, FlushLimiter limiter) {
        return open(d, key, tuning, limiter, null);
    }

    /**
     * As {@link #open(Destination, PrivateKey, SnowpipeTuning, FlushLimiter)}, with the engine-wide sink scheduler
     * ({@link SinkThreads}) its sinks share with every other destination's; null: this destination makes its own
     * and shuts it down on close.
     */
    public static SnowflakeDestination open(Destination d, PrivateKey key, SnowpipeTuning tuning, FlushLimiter limiter,
            ScheduledExecutorService scheduler) {
        URI url = endpoint(d);
        SnowflakeAccount account = new SnowflakeAccount(url, d.userName(), d.roleName());
        String jwtAccount = d.account() != null && !d.account().isBlank() ? d.account()
                : new SnowflakeURL(account.sdkUrl()).getAccount();
        KeyPairJwt jwt = new KeyPairJwt(KeyPairJwt.jwtAccount(jwtAccount), d.userName(), key);
        SqlSession sql = new SqlSession(new SqlApiClient(url, jwt), d.databaseName(), d.schemaName(), d.warehouse(),
                d.roleName(), Duration.ofMinutes(10));
        SnowflakeStreamingIngestClient client = SnowpipeClientFactory.open("etl-stream-" + d.name(), account, key, tuning);
        boolean own = scheduler == null;
        return new SnowflakeDestination(d, account, client, sql, limiter, own ? SinkThreads.create(limiter) : scheduler,
                own);
    }

    /** A sink for one pipeline; the caller closes it before this destination. */
    @Override
    public SnowflakeSink openSink(String pipeline, SinkOptions options, SinkEvents events) {
        return openSink(pipeline, options, events, MergeWatermarks.inMemory());
    }

    /** A sink whose mirrors' merge positions persist in {@code watermarks}, so an idle restart runs no MERGE. */
    public SnowflakeSink openSink(String pipeline, SinkOptions options, SinkEvents events, MergeWatermarks watermarks) {
        return openSink(pipeline, options, events, watermarks, TableKeys.inMemory());
    }

    /**
     * A sink that also remembers in {@code keys} the key each table is merged on, so a key changed while the engine
     * was stopped stops the table on the next start (as a key changed while it runs does).
     */
    public SnowflakeSink openSink(String pipeline, SinkOptions options, SinkEvents events, MergeWatermarks watermarks,
            TableKeys keys) {
        return new SnowflakeSink(pipeline, client, sql, options, events, limiter, Clock.systemUTC(), watermarks, keys,
                scheduler);
    }

    public SqlSession sql() {
        return sql;
    }

    public Destination config() {
        return config;
    }

    @Override
    public String check() {
        TestReport r = test();
        return "SQL API " + r.sqlApi().toMillis() + " ms, Snowpipe Streaming channel commit " + r.channel().toMillis()
                + " ms (" + r.endpoint() + ")";
    }

    /** The result of {@link #test()}: what was checked, and how long each step took. */
    public record TestReport(String endpoint, Duration sqlApi, Duration channel, String committedToken) {}

    /**
     * Checks the whole path: one SQL API statement (creates the scratch table {@code ETL_STREAM_CONNECTION_TEST}),
     * then a channel on it that writes one row and waits until Snowflake commits it.
     */
    public TestReport test() {
        Instant t0 = Instant.now();
        DestinationTables scratch = new DestinationTables(null, config.databaseName(), config.schemaName(),
                SnowflakeName.of("ETL_STREAM_CONNECTION_TEST"), SnowflakeName.of("ETL_STREAM_CONNECTION_TEST"));
        sql.run("CREATE TABLE IF NOT EXISTS " + scratch.qualifiedMirror() + " (CHECKED_AT TIMESTAMP_TZ(6), NOTE VARCHAR)");
        Instant t1 = Instant.now();
        SnowflakeStreamingIngestChannel ch = client.openChannel(OpenChannelRequest.builder("etl-stream.test")
                .setDBName(SnowflakeName.fromUser(config.databaseName()).sdk())
                .setSchemaName(SnowflakeName.fromUser(config.schemaName()).sdk())
                .setTableName("ETL_STREAM_CONNECTION_TEST")
                .setOnErrorOption(OpenChannelRequest.OnErrorOption.ABORT).build());
        String token = Long.toString(System.currentTimeMillis());
        try {
            ch.insertRows(List.of(Map.of("CHECKED_AT", Instant.now().atOffset(ZoneOffset.UTC), "NOTE",
                    "etl-stream destination test")), token);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!token.equals(ch.getLatestCommittedOffsetToken())) {
                if (System.nanoTime() > deadline) {
                    throw new UserFacingException("The test row was sent but Snowflake did not commit it within 60 s."
                            + " Check the role's INSERT privilege on " + scratch.qualifiedMirror() + ".");
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserFacingException("interrupted", e);
        } finally {
            ch.close();
        }
        Instant t2 = Instant.now();
        return new TestReport(account.sdkUrl(), Duration.between(t0, t1), Duration.between(t1, t2), token);
    }

    @Override
    public void close() throws Exception {
        try {
            client.close();
        } finally {
            if (ownsScheduler) {
                scheduler.shutdownNow();
            }
        }
    }
}
