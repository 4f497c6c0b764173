package io.etlstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.PipelineMode;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.snowflake.SnowflakeAccount;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowflakeSink;
import io.etlstream.sink.snowflake.SnowpipeClientFactory;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.source.pg.Lsn;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.snowflake.ingest.streaming.OpenChannelRequest;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestChannel;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * End-to-end throughput on PgSourceBench's workload (1M rows, 10 columns, 1000-row transactions): PostgreSQL →
 * PgSource → SnowflakeSink (history mode) → real SDK → emulator, timed until every row is visible through a query on
 * the emulator; beside, in the same run, {@code pg_recvlogical} draining the same WAL and the SDK alone writing the
 * same rows straight into the emulator (no PostgreSQL). Run:
 * {@code ./mvnw -B -o -pl engine -am test -Pbench -Dtest=EndToEndBench -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class EndToEndBench {

    static final int ROWS = Integer.getInteger("bench.rows", 1_000_000);
    static final int TXN_ROWS = 1000;

    @Test
    void postgresToEmulatorBesidePgRecvlogicalAndTheSdkAlone(PgDatabase db) throws Exception {
        String recv = BenchSupport.clientTool("pg_recvlogical");
        SnowpipeTuning tuning = BenchTuning.fromProperties();
        System.out.println("[bench] e2e: PostgreSQL " + db.queryOne("SHOW server_version") + ", "
                + BenchSupport.run(List.of(recv, "--version")).trim() + ", " + BenchSupport.machine() + ", tuning "
                + tuning);
        db.execute("CREATE TABLE bench_t " + BenchSupport.TABLE_DDL);
        TableId table = BenchSupport.table("bench_t");
        KeyPair key = BenchSupport.rsa();
        try (PgPassword pw = PgPassword.none();
                SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("ETL", key.getPublic()))) {
            emu.sql("CREATE DATABASE IF NOT EXISTS DB");
            emu.sql("CREATE SCHEMA IF NOT EXISTS DB.S");
            PgConnector conn = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("bench_e2e"));
            slots.ensurePublication(List.of(table));
            slots.createSlotWithSnapshot().close();
            db.execute("SELECT pg_create_logical_replication_slot('bench_e2e_recv', 'pgoutput')");
            long t0 = System.nanoTime();
            for (int i = 0; i < ROWS / TXN_ROWS; i++) {
                long from = (long) i * TXN_ROWS + 1;
                db.execute(BenchSupport.insertRows("bench_t", from, from + TXN_ROWS - 1));
            }
            String endLsn = db.queryOne("SELECT pg_current_wal_lsn()");
            System.out.printf(Locale.ROOT, "[bench] e2e: inserted %d rows in %d transactions in %.1f s%n", ROWS,
                    ROWS / TXN_ROWS, (System.nanoTime() - t0) / 1e9);

            // 1. pg_recvlogical: the physical limit of one slot (walsender + pgoutput), output discarded.
            long r0 = System.nanoTime();
            BenchSupport.run(List.of(recv, "-d", BenchSupport.conninfo(db), "-S", "bench_e2e_recv", "--start", "-E",
                    endLsn, "--no-loop", "-o", "proto_version=2", "-o", "streaming=on", "-o",
                    "publication_names=" + slots.names().publication(), "-f", "/dev/null"));
            double recvSecs = (System.nanoTime() - r0) / 1e9;
            db.execute("SELECT pg_drop_replication_slot('bench_e2e_recv')");

            // 2. The engine end to end, until COUNT(*) on the history table shows every row.
            Destination d = Destination.draft("emu", null, emu.url().toString(), "ETL", "ACCOUNTADMIN", "DB", "S", "k");
            FlushLimiter limiter = new FlushLimiter(2);
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            ledger.markCompleted(table);
            long[] emu0 = emu.ingestProfile();
            long blobs0 = emu.blobRequestsCommitted();
            double cpu0 = BenchSupport.processCpuSeconds();
            double engineSecs;
            double durableSecs;
            try (SnowflakeDestination dest = SnowflakeDestination.open(d, key.getPrivate(), tuning, limiter)) {
                SnowflakeSink sink = dest.openSink("bench_e2e", SinkOptions.DEFAULT.withMode(PipelineMode.HISTORY),
                        (level, t, message) -> System.out.println("[bench] sink event " + level + " " + message));
                long e0 = System.nanoTime();
                try (PgSource source = new PgSource(conn, "bench_e2e", List.of(table), sink, ledger,
                        PgSource.Options.defaults().withHeartbeatInterval(Duration.ZERO))) {
                    source.start();
                    BenchSupport.await(() -> source.failure().isPresent()
                            || BenchSupport.count(emu, "DB.S.BENCH_T_HISTORY") >= ROWS, 600, source::toString);
                    engineSecs = (System.nanoTime() - e0) / 1e9;
                    assertThat(source.failure()).isEmpty();
                    long end = Lsn.parse(endLsn);
                    BenchSupport.await(() -> Long.compareUnsigned(source.status().durableLsn(), end) >= 0
                            || source.failure().isPresent(), 120, source::toString);
                    durableSecs = (System.nanoTime() - e0) / 1e9;
                }
                sink.close();
            }
            double engineCpu = BenchSupport.processCpuSeconds() - cpu0;
            long[] emu1 = emu.ingestProfile();
            long engineBlobs = emu.blobRequestsCommitted() - blobs0;
            assertThat(BenchSupport.count(emu, "DB.S.BENCH_T_HISTORY")).isEqualTo(ROWS);
            assertThat(emu.sql("SELECT COUNT(DISTINCT ID), MIN(ID), MAX(ID) FROM DB.S.BENCH_T_HISTORY").rows().get(0))
                    .containsExactly(Integer.toString(ROWS), "1", Integer.toString(ROWS));
            slots.dropAll();

            // 3. The SDK alone: the same rows (same table shape, same values, same client settings) straight in.
            StringBuilder ddl = new StringBuilder();
            for (List<String> c : emu.sql("DESCRIBE TABLE DB.S.BENCH_T_HISTORY").rows()) {
                ddl.append(ddl.length() == 0 ? "" : ", ").append(c.get(0)).append(' ').append(c.get(1));
            }
            emu.sql("CREATE TABLE DB.S.BENCH_T_SDK (" + ddl + ")");
            long[] emu2 = emu.ingestProfile();
            long blobs2 = emu.blobRequestsCommitted();
            double cpu2 = BenchSupport.processCpuSeconds();
            long s0 = System.nanoTime();
            try (SnowflakeStreamingIngestClient client = SnowpipeClientFactory.open("bench-sdk-alone",
                    new SnowflakeAccount(emu.url(), "ETL", "ACCOUNTADMIN"), key.getPrivate(), tuning)) {
                SnowflakeStreamingIngestChannel ch = client.openChannel(OpenChannelRequest.builder("sdk_alone")
                        .setDBName("DB").setSchemaName("S").setTableName("BENCH_T_SDK")
                        .setOnErrorOption(OpenChannelRequest.OnErrorOption.ABORT).setDefaultTimezone(ZoneOffset.UTC)
                        .build());
                for (int i = 0; i < ROWS / TXN_ROWS; i++) {
                    long from = (long) i * TXN_ROWS + 1;
                    ch.insertRows(sameRows(from, TXN_ROWS, i), Long.toString(from + TXN_ROWS - 1));
                }
                BenchSupport.await(() -> BenchSupport.count(emu, "DB.S.BENCH_T_SDK") >= ROWS, 600,
                        () -> "SDK alone: " + BenchSupport.count(emu, "DB.S.BENCH_T_SDK") + " rows visible");
            }
            double sdkSecs = (System.nanoTime() - s0) / 1e9;
            double sdkCpu = BenchSupport.processCpuSeconds() - cpu2;
            long[] emu3 = emu.ingestProfile();
            long sdkBlobs = emu.blobRequestsCommitted() - blobs2;
            assertThat(emu.sql("SELECT COUNT(*) FROM DB.S.BENCH_T_SDK s JOIN DB.S.BENCH_T_HISTORY h ON s.ID = h.ID"
                    + " AND s.C = h.C AND s.E = h.E AND s.I = h.I").rows().get(0).get(0))
                    .as("the SDK-alone rows are the engine's rows").isEqualTo(Integer.toString(ROWS));

            double recvRate = ROWS / recvSecs;
            double engineRate = ROWS / engineSecs;
            double sdkRate = ROWS / sdkSecs;
            System.out.printf(Locale.ROOT, "[bench] e2e 1M rows (%s): pg_recvlogical %.0f rows/s (%.1f s);"
                            + " emulator alone (SDK -> emulator) %.0f rows/s (%.1f s, %.1f CPU-s, %d blob requests);"
                            + " engine PG -> emulator visible %.0f rows/s (%.1f s, durable+confirmable at %.1f s,"
                            + " %.1f CPU-s, %d blob requests)%n",
                    BenchSupport.machine(), recvRate, recvSecs, sdkRate, sdkSecs, sdkCpu, sdkBlobs, engineRate,
                    engineSecs, durableSecs, engineCpu, engineBlobs);
            System.out.printf(Locale.ROOT, "[bench] e2e ratios: engine/pg_recvlogical %.2f, engine/emulator-alone %.2f,"
                            + " emulator-alone/pg_recvlogical %.2f%n", engineRate / recvRate, engineRate / sdkRate,
                    sdkRate / recvRate);
            System.out.printf(Locale.ROOT, "[bench] e2e emulator share: write/blobs handling CPU %.1f s (engine run),"
                            + " %.1f s (SDK-alone run); DuckDB append wall %.1f s / %.1f s; flush limiter waits %d%n",
                    (emu1[1] - emu0[1]) / 1e9, (emu3[1] - emu2[1]) / 1e9, (emu1[2] - emu0[2]) / 1e9,
                    (emu3[2] - emu2[2]) / 1e9, limiter.contended());
        }
    }

    /** Exactly the values PostgreSQL's INSERT of {@link BenchSupport#insertRows} produces, as the sink's SDK rows. */
    static List<Map<String, Object>> sameRows(long from, int n, int txn) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        OffsetDateTime base = OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        List<Map<String, Object>> rows = new ArrayList<>(n);
        for (long g = from; g < from + n; g++) {
            String hex = HexFormat.of().formatHex(md5.digest(Long.toString(g).getBytes(StandardCharsets.US_ASCII)));
            Map<String, Object> r = new HashMap<>(32);
            r.put("ID", g);
            r.put("A", (int) (g % 1000));
            r.put("B", g * 7);
            r.put("C", hex);
            r.put("D", "row " + g);
            r.put("E", BigDecimal.valueOf(g, 2));
            r.put("F", base.plusSeconds(g));
            r.put("G", g % 2 == 0);
            r.put("H", g * 0.5);
            r.put("I", hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                    + hex.substring(16, 20) + "-" + hex.substring(20));
            r.put("_ETL_OP", "I");
            r.put("_ETL_LSN", Long.toUnsignedString(0x1_0000_0000L + txn * 4096L));
            r.put("_ETL_SEQ", (int) (g - from));
            r.put("_ETL_COMMIT_TS", now);
            r.put("_ETL_SYNCED_AT", now);
            rows.add(r);
        }
        return rows;
    }
}
