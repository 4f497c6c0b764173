package io.etlstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.security.KeyPair;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import net.snowflake.ingest.streaming.OpenChannelRequest;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestChannel;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClient;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClientFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How fast the emulator ingests what the real SDK sends: 1M rows of 10 columns on one channel, timed
 * end to end (insert until the last offset token is committed) and inside the emulator (time spent
 * handling write/blobs), so engine benchmarks can subtract the emulator's share.
 * Run: {@code ./mvnw -B -o -pl snowflake-emulator test -Pbench -Dtest=EmulatorIngestBenchmark}.
 */
@Tag("bench")
class EmulatorIngestBenchmark {

  @Test
  void rowsPerSecond() throws Exception {
    int total = Integer.getInteger("bench.rows", 1_000_000);
    String compression = System.getProperty("bench.compression", "ZSTD");
    KeyPair key = TestSupport.rsa();
    try (SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("BENCH", key.getPublic()))) {
      emu.sql("CREATE DATABASE BENCH");
      emu.sql("CREATE TABLE BENCH.PUBLIC.T (ID NUMBER(19,0) NOT NULL, A NUMBER(10,0), B NUMBER(12,2),"
          + " C VARCHAR, D VARCHAR, E FLOAT, F BOOLEAN, G TIMESTAMP_NTZ(6), H VARCHAR, I NUMBER(38,0))");
      Properties props = TestSupport.sdkProps(emu, "BENCH", key);
      props.put("bdec_parquet_compression_algorithm", compression);
      long cpu0 = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
          .getProcessCpuTime();
      long start = System.nanoTime();
      try (SnowflakeStreamingIngestClient client = SnowflakeStreamingIngestClientFactory.builder("bench")
          .setProperties(props).build()) {
        SnowflakeStreamingIngestChannel ch = client.openChannel(OpenChannelRequest.builder("B1")
            .setDBName("BENCH").setSchemaName("PUBLIC").setTableName("T")
            .setOnErrorOption(OpenChannelRequest.OnErrorOption.ABORT).build());
        LocalDateTime base = LocalDateTime.of(2024, 1, 1, 0, 0);
        for (int s = 0; s < total; s += 1000) {
          List<Map<String, Object>> rows = new ArrayList<>(1000);
          for (int i = s; i < s + 1000; i++) {
            Map<String, Object> r = new HashMap<>(16);
            r.put("ID", i);
            r.put("A", i % 100_000);
            r.put("B", BigDecimal.valueOf(i, 2));
            r.put("C", "customer-" + i);
            r.put("D", i % 3 == 0 ? null : "some longer text value " + (i % 977));
            r.put("E", i * 0.5);
            r.put("F", i % 2 == 0);
            r.put("G", base.plusNanos(i * 1000L));
            r.put("H", "h");
            r.put("I", (long) i * 31);
            rows.add(r);
          }
          ch.insertRows(rows, Integer.toString(s + 999));
        }
        String last = Integer.toString(total - 1);
        while (!last.equals(ch.getLatestCommittedOffsetToken())) {
          Thread.sleep(20);
        }
      }
      double secs = (System.nanoTime() - start) / 1e9;
      double cpu = (ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class)
          .getProcessCpuTime() - cpu0) / 1e9;
      double emuSecs = emu.ingestTime().toNanos() / 1e9;
      assertThat(emu.sql("SELECT count(*) FROM BENCH.PUBLIC.T").rows().get(0).get(0))
          .isEqualTo(Integer.toString(total));
      System.out.printf("BENCH emulator ingest (%s): %,d rows in %.1f s end to end = %,.0f rows/s"
              + " (process CPU %.1f s); emulator write/blobs handling %.2f s = %,.0f rows/s,"
              + " %d blob requests%n",
          compression, total, secs, total / secs, cpu, emuSecs, total / emuSecs, emu.blobRequestsCommitted());
      long[] profile = emu.ingestProfile();
      // DuckDB runs single-threaded on the handling thread, so its CPU is the emulator's whole cost.
      System.out.printf("BENCH emulator profile: handling wall %.2f s, handling-thread CPU %.2f s"
              + " = %,.0f rows per emulator CPU-second, DuckDB append wall %.2f s%n",
          profile[0] / 1e9, profile[1] / 1e9, total / (profile[1] / 1e9), profile[2] / 1e9);
    }
  }
}
