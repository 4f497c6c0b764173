package io.etlstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import net.snowflake.ingest.streaming.InsertValidationResponse;
import net.snowflake.ingest.streaming.OpenChannelRequest;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestChannel;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClient;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real snowflake-ingest-sdk 4.3.0 against the emulator, end to end. */
class StreamingSdkTest {

  static final String USER = "INGEST_USER";
  static SnowflakeEmulator emu;
  static KeyPair key;
  static String token;

  @BeforeAll
  static void start() {
    key = TestSupport.rsa();
    emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser(USER, key.getPublic()));
    token = TestSupport.jwt(emu, USER, key);
    emu.sql("CREATE DATABASE IF NOT EXISTS DB");
    emu.sql("CREATE SCHEMA IF NOT EXISTS DB.S");
  }

  @AfterAll
  static void stop() {
    emu.close();
  }

  static SnowflakeStreamingIngestClient client(String name) {
    return SnowflakeStreamingIngestClientFactory.builder(name)
        .setProperties(TestSupport.sdkProps(emu, USER, key)).build();
  }

  static SnowflakeStreamingIngestChannel open(SnowflakeStreamingIngestClient c, String table, String ch) {
    return c.openChannel(OpenChannelRequest.builder(ch).setDBName("DB").setSchemaName("S")
        .setTableName(table).setOnErrorOption(OpenChannelRequest.OnErrorOption.ABORT).build());
  }

  static void await(String what, Duration timeout, BooleanSupplier cond) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  static void awaitCommitted(SnowflakeStreamingIngestChannel ch, String token) throws InterruptedException {
    await("offset token " + token, Duration.ofSeconds(60), () -> token.equals(ch.getLatestCommittedOffsetToken()));
  }

  // ---- all types, 100k rows --------------------------------------------------------------------

  static Map<String, Object> row(int i) {
    boolean nulls = i % 7 == 3;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("ID", i);
    r.put("N_SMALL", nulls ? null : i % 10_000 - 5_000);
    r.put("N_INT", (long) i * 1_000_003L);
    r.put("N_DEC", BigDecimal.valueOf(i * 7L + 1, 3));
    r.put("N_BIG", nulls ? null : BigDecimal.valueOf(i).multiply(new BigDecimal("1000000000000.0000000001")));
    r.put("F", nulls ? null : i * 1.25 - 3.5);
    r.put("S", nulls ? null : "row-" + i + " \u00fcn\u00efc\u00f8d\u00e9 \u2713" + (i % 3 == 0 ? "" : " \"q'"));
    r.put("S10", "s" + i);
    r.put("B", nulls ? null : new byte[] {(byte) (i >>> 16), (byte) (i >>> 8), (byte) i, (byte) 0xFF, 0});
    r.put("BOOL", nulls ? null : i % 2 == 0);
    r.put("D", nulls ? null : LocalDate.of(2000, 1, 1).plusDays(i % 20_000));
    r.put("T", nulls ? null : LocalTime.ofNanoOfDay((i * 1_234_567_891L) % 86_400_000_000_000L));
    r.put("T3", LocalTime.ofNanoOfDay((i * 1_000_000L * 37) % 86_400_000_000_000L));
    r.put("NTZ", nulls ? null : LocalDateTime.of(2024, 1, 1, 0, 0).plusNanos(i * 1_000_000_123L));
    r.put("NTZ6", LocalDateTime.of(1999, 12, 31, 23, 0).plusNanos(i * 1_000L * 333));
    r.put("LTZ", nulls ? null : OffsetDateTime.of(LocalDateTime.of(2021, 6, 1, 12, 0).plusNanos(i * 987_654_321L),
        ZoneOffset.ofHours(i % 5)));
    r.put("TZ", nulls ? null : OffsetDateTime.of(LocalDateTime.of(2022, 3, 4, 5, 6).plusNanos(i * 1_111_111_111L),
        ZoneOffset.ofHoursMinutes(i % 14 - 7, i % 14 - 7 < 0 ? -30 : 30)));
    r.put("TZ3", OffsetDateTime.of(LocalDateTime.of(2010, 1, 1, 0, 0).plusNanos(i * 1_000_000L),
        ZoneOffset.ofHoursMinutes(-5, -30)));
    r.put("V", nulls ? null : Map.of("k", i, "s", "x" + i, "nested", List.of(1, 2)));
    r.put("O", nulls ? null : Map.of("a", i % 3 == 0, "b", "o" + i));
    r.put("A", nulls ? null : List.of(i, "a", true));
    return r;
  }

  static String secs(long epoch, int nanos, int scale) {
    return BigDecimal.valueOf(epoch).add(BigDecimal.valueOf(nanos, 9))
        .setScale(scale, java.math.RoundingMode.DOWN).toPlainString();
  }

  /** The value the SQL API must return for column {@code col} of {@code row(i)}. */
  static String expected(String col, Object v) {
    if (v == null) {
      return null;
    }
    switch (col) {
      case "ID": case "N_SMALL": case "N_INT":
        return v.toString();
      case "N_DEC":
        return ((BigDecimal) v).setScale(3).toPlainString();
      case "N_BIG":
        return ((BigDecimal) v).setScale(10).toPlainString();
      case "F":
        return Double.toString((Double) v);
      case "S": case "S10":
        return (String) v;
      case "B":
        return HexFormat.of().withUpperCase().formatHex((byte[]) v);
      case "BOOL":
        return v.toString();
      case "D":
        return Long.toString(((LocalDate) v).toEpochDay());
      case "T": case "T3": {
        long n = ((LocalTime) v).toNanoOfDay();
        return secs(n / 1_000_000_000L, (int) (n % 1_000_000_000L), col.equals("T") ? 9 : 3);
      }
      case "NTZ": case "NTZ6": {
        LocalDateTime l = (LocalDateTime) v;
        return secs(l.toEpochSecond(ZoneOffset.UTC), l.getNano(), col.equals("NTZ") ? 9 : 6);
      }
      case "LTZ": {
        Instant in = ((OffsetDateTime) v).toInstant();
        return secs(in.getEpochSecond(), in.getNano(), 9);
      }
      case "TZ": case "TZ3": {
        OffsetDateTime o = (OffsetDateTime) v;
        return secs(o.toEpochSecond(), o.getNano(), col.equals("TZ") ? 9 : 3) + " "
            + (o.getOffset().getTotalSeconds() / 60 + 1440);
      }
      default:
        throw new IllegalArgumentException(col);
    }
  }

  @Test
  void hundredThousandRowsOfEveryTypeComeBackUnchanged() throws Exception {
    emu.sql("CREATE TABLE DB.S.ALL_TYPES (ID NUMBER(38,0) NOT NULL, N_SMALL NUMBER(4,0), N_INT NUMBER(18,0),"
        + " N_DEC NUMBER(12,3), N_BIG NUMBER(38,10), F FLOAT, S VARCHAR, S10 VARCHAR(10), B BINARY,"
        + " BOOL BOOLEAN, D DATE, T TIME(9), T3 TIME(3), NTZ TIMESTAMP_NTZ(9), NTZ6 TIMESTAMP_NTZ(6),"
        + " LTZ TIMESTAMP_LTZ(9), TZ TIMESTAMP_TZ(9), TZ3 TIMESTAMP_TZ(3), V VARIANT, O OBJECT, A ARRAY)");
    int total = 100_000;
    long t0 = System.nanoTime();
    java.time.Duration ingest0 = emu.ingestTime();
    try (SnowflakeStreamingIngestClient client = client("all-types")) {
      SnowflakeStreamingIngestChannel ch = open(client, "all_types", "CH_ALL");
      assertThat(ch.getLatestCommittedOffsetToken()).isNull();
      for (int start = 0; start < total; start += 1000) {
        List<Map<String, Object>> batch = new ArrayList<>(1000);
        for (int i = start; i < start + 1000; i++) {
          batch.add(row(i));
        }
        InsertValidationResponse resp = ch.insertRows(batch, Integer.toString(start + 999));
        assertThat(resp.hasErrors()).as("insert errors %s", resp.getInsertErrors()).isFalse();
      }
      long t1 = System.nanoTime();
      awaitCommitted(ch, Integer.toString(total - 1));
      System.out.printf("all types: inserted in %d ms, committed after %d ms, emulator ingest %d ms%n",
          (t1 - t0) / 1_000_000, (System.nanoTime() - t0) / 1_000_000,
          emu.ingestTime().minus(ingest0).toMillis());
      ch.close().get();
    }
    long t2 = System.nanoTime();
    TestSupport.Response r = TestSupport.sqlApi(emu, token, "select * from all_types order by id", "DB", "S");
    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    JsonNode rowType = r.body().path("resultSetMetaData").path("rowType");
    assertThat(r.body().path("resultSetMetaData").path("numRows").asInt()).isEqualTo(total);
    List<String> names = new ArrayList<>();
    rowType.forEach(c -> names.add(c.path("name").asText()));
    assertThat(names).containsExactlyElementsOf(row(0).keySet());
    assertThat(rowType.get(names.indexOf("TZ")).path("type").asText()).isEqualTo("timestamp_tz");
    assertThat(rowType.get(names.indexOf("N_DEC")).path("scale").asInt()).isEqualTo(3);
    JsonNode data = r.body().path("data");
    System.out.printf("all types: SQL API select took %d ms%n", (System.nanoTime() - t2) / 1_000_000);
    for (int i = 0; i < total; i++) {
      Map<String, Object> expectedRow = row(i);
      JsonNode got = data.get(i);
      int c = 0;
      for (Map.Entry<String, Object> e : expectedRow.entrySet()) {
        JsonNode cell = got.get(c++);
        String actual = cell.isNull() ? null : cell.asText();
        if (e.getKey().equals("F")) {
          // Float text is not canonical (Snowflake prints exponents differently); compare values.
          assertThat(actual == null ? null : Double.valueOf(actual)).as("row %d column F", i)
              .isEqualTo(e.getValue());
        } else if (e.getKey().equals("V") || e.getKey().equals("O") || e.getKey().equals("A")) {
          JsonNode want = e.getValue() == null ? null : TestSupport.JSON.valueToTree(e.getValue());
          assertThat(actual == null ? null : TestSupport.JSON.readTree(actual))
              .as("row %d column %s", i, e.getKey()).isEqualTo(want);
        } else {
          assertThat(actual).as("row %d column %s", i, e.getKey()).isEqualTo(expected(e.getKey(), e.getValue()));
        }
      }
    }
  }

  // ---- fencing -----------------------------------------------------------------------------------

  @Test
  void reopeningFromASecondClientFencesTheFirstAndReturnsTheCommittedOffset() throws Exception {
    emu.sql("CREATE TABLE DB.S.FENCE (ID NUMBER, NOTE VARCHAR)");
    try (SnowflakeStreamingIngestClient a = client("client-a"); SnowflakeStreamingIngestClient b = client("client-b")) {
      SnowflakeStreamingIngestChannel chA = open(a, "FENCE", "SHARED");
      chA.insertRows(List.of(Map.of("ID", 1, "NOTE", "a"), Map.of("ID", 2, "NOTE", "a")), "2");
      awaitCommitted(chA, "2");

      SnowflakeStreamingIngestChannel chB = open(b, "FENCE", "SHARED");
      assertThat(chB.getLatestCommittedOffsetToken()).isEqualTo("2");

      // The old owner's next blob is refused with status 20 and the SDK invalidates its channel.
      chA.insertRow(Map.of("ID", 3, "NOTE", "stale"), "3");
      await("channel A invalidated", Duration.ofSeconds(30), () -> !chA.isValid());
      assertThatThrownBy(() -> chA.insertRow(Map.of("ID", 4, "NOTE", "stale"), "4"))
          .hasMessageContaining("invalid");

      chB.insertRow(Map.of("ID", 3, "NOTE", "b"), "3");
      awaitCommitted(chB, "3");
    }
    SqlResult rows = emu.sql("SELECT ID, NOTE FROM DB.S.FENCE ORDER BY ID");
    assertThat(rows.rows()).containsExactly(List.of("1", "a"), List.of("2", "a"), List.of("3", "b"));
  }

  @Test
  void aQuotedMixedCaseTableNameKeepsWorkingAfterOpen() throws Exception {
    // The SDK echoes the names from the open response in status and register requests: unquoted, a name
    // such as "Mixed Case_H" was upper-cased there, so the channel was "not found" (status 25).
    emu.sql("CREATE TABLE DB.S.\"Mixed Case_H\" (ID NUMBER, \"Note\" VARCHAR)");
    try (SnowflakeStreamingIngestClient c = client("quoted")) {
      SnowflakeStreamingIngestChannel ch = open(c, "\"Mixed Case_H\"", "Q1");
      ch.insertRows(List.of(Map.of("ID", 1, "\"Note\"", "a"), Map.of("ID", 2, "\"Note\"", "b")), "7");
      awaitCommitted(ch, "7");
      assertThat(ch.isValid()).isTrue();
    }
    assertThat(emu.sql("SELECT ID, \"Note\" FROM DB.S.\"Mixed Case_H\" ORDER BY ID").rows())
        .containsExactly(List.of("1", "a"), List.of("2", "b"));
  }

  // ---- faults ------------------------------------------------------------------------------------

  @Test
  void injected5xxAndStatus10AreRetriedWithoutLossOrDuplicates() throws Exception {
    emu.sql("CREATE TABLE DB.S.FAULTY (ID NUMBER NOT NULL, V VARCHAR)");
    try (SnowflakeStreamingIngestClient c = client("faulty")) {
      SnowflakeStreamingIngestChannel ch = open(c, "FAULTY", "F1");
      emu.faults().httpStatus(Faults.Endpoint.REGISTER_BLOBS, 2, 503)
          .statusCode(Faults.Endpoint.REGISTER_BLOBS, 2, 10);
      for (int batch = 0; batch < 10; batch++) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = batch * 2000; i < (batch + 1) * 2000; i++) {
          rows.add(Map.of("ID", i, "V", "v" + i));
        }
        ch.insertRows(rows, Integer.toString(batch));
        Thread.sleep(200);
      }
      awaitCommitted(ch, "9");
      assertThat(emu.faults().fired(Faults.Endpoint.REGISTER_BLOBS)).isEqualTo(4);
      assertThat(ch.isValid()).isTrue();
    }
    SqlResult r = emu.sql("SELECT count(*) AS N, count(DISTINCT ID) AS D, min(ID) AS LO, max(ID) AS HI"
        + " FROM DB.S.FAULTY");
    assertThat(r.rows()).containsExactly(List.of("20000", "20000", "0", "19999"));
  }

  // ---- auth ----------------------------------------------------------------------------------------

  @Test
  void aClientWithAnUnregisteredKeyIsRefused() {
    KeyPair stranger = TestSupport.rsa();
    int before = emu.authFailures();
    Properties p = TestSupport.sdkProps(emu, USER, stranger);
    assertThatThrownBy(() -> SnowflakeStreamingIngestClientFactory.builder("stranger").setProperties(p).build())
        .isInstanceOf(RuntimeException.class);
    assertThat(emu.authFailures()).isGreaterThan(before);
  }

  // ---- the engine's constructor route --------------------------------------------------------------

  @Test
  void internalConstructorWithAPrivateKeyObjectIngests() throws Exception {
    emu.sql("CREATE TABLE DB.S.CTOR (ID NUMBER)");
    Properties props = new Properties();
    props.put("user", USER);
    props.put("role", "ACCOUNTADMIN");
    props.put("authorization_type", "JWT");
    props.put("privateKey", key.getPrivate());
    try (var client = new net.snowflake.ingest.streaming.internal.SnowflakeStreamingIngestClientInternal<>(
        "ctor", new net.snowflake.ingest.utils.SnowflakeURL(emu.url().toString()), props, null, false, null,
        new HashMap<String, Object>())) {
      SnowflakeStreamingIngestChannel ch = open(client, "CTOR", "C1");
      ch.insertRows(List.of(Map.of("ID", 1), Map.of("ID", 2)), "two");
      awaitCommitted(ch, "two");
    }
    assertThat(emu.sql("SELECT count(*) FROM DB.S.CTOR").rows().get(0).get(0)).isEqualTo("2");
  }
}
