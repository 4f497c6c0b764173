package io.etlstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SQL API v2 over HTTP: dialect, result shape, error codes and JWT checks. */
class SqlApiTest {

  static SnowflakeEmulator emu;
  static KeyPair key;
  static String token;

  @BeforeAll
  static void start() {
    key = TestSupport.rsa();
    emu = SnowflakeEmulator.start(EmulatorConfig.inMemory());
    emu.registerUser("sql_user", key.getPublic());
    token = TestSupport.jwt(emu, "SQL_USER", key);
  }

  @AfterAll
  static void stop() {
    emu.close();
  }

  static TestSupport.Response run(String sql) {
    return TestSupport.sqlApi(emu, token, sql, "SALES", "RAW");
  }

  static TestSupport.Response ok(String sql) {
    TestSupport.Response r = run(sql);
    assertThat(r.status()).as("%s -> %s", sql, r.body()).isEqualTo(200);
    return r;
  }

  static List<List<String>> data(TestSupport.Response r) {
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode row : r.body().path("data")) {
      List<String> out = new ArrayList<>();
      row.forEach(v -> out.add(v.isNull() ? null : v.asText()));
      rows.add(out);
    }
    return rows;
  }

  @Test
  void ddlDmlAndMergeFollowSnowflakeRules() {
    ok("CREATE DATABASE IF NOT EXISTS sales");
    ok("CREATE SCHEMA IF NOT EXISTS sales.raw");
    TestSupport.Response created = ok("create table if not exists orders (id number(10,0) not null primary key,"
        + " \"MixedCase\" varchar(20), amount number(12,2), paid boolean, placed date, at timestamp_ntz,"
        + " doc variant)");
    assertThat(created.value(0, 0)).isEqualTo("Table ORDERS successfully created.");
    assertThat(ok("CREATE TABLE IF NOT EXISTS ORDERS (ID NUMBER)").value(0, 0)).contains("already exists");

    ok("insert into orders (id, \"MixedCase\", amount, paid, placed, at, doc) select 1, 'a', 10.5, true,"
        + " '2024-02-29', '2024-02-29 10:11:12.123456789', parse_json('{\"x\":1}')");
    TestSupport.Response ins = ok("INSERT INTO sales.raw.orders (ID, \"MixedCase\", AMOUNT) VALUES (2, 'b', 20), (3, 'c', 30)");
    assertThat(ins.body().path("resultSetMetaData").path("rowType").get(0).path("name").asText())
        .isEqualTo("number of rows inserted");
    assertThat(ins.value(0, 0)).isEqualTo("2");

    TestSupport.Response sel = ok("select id, \"MixedCase\", amount, paid, placed, at, doc from orders where id = 1");
    JsonNode rowType = sel.body().path("resultSetMetaData").path("rowType");
    assertThat(rowType.get(0).path("type").asText()).isEqualTo("fixed");
    assertThat(rowType.get(1).path("name").asText()).isEqualTo("MixedCase");
    assertThat(rowType.get(2).path("scale").asInt()).isEqualTo(2);
    assertThat(rowType.get(5).path("type").asText()).isEqualTo("timestamp_ntz");
    assertThat(data(sel)).containsExactly(List.of("1", "a", "10.50", "true",
        Long.toString(java.time.LocalDate.of(2024, 2, 29).toEpochDay()),
        java.time.LocalDateTime.of(2024, 2, 29, 10, 11, 12).toEpochSecond(java.time.ZoneOffset.UTC) + ".123456789",
        "{\"x\":1}"));

    ok("CREATE TABLE orders_stage (id NUMBER, amount NUMBER(12,2), op VARCHAR)");
    ok("INSERT INTO orders_stage VALUES (2, 99, 'U'), (3, NULL, 'D'), (4, 40, 'I')");
    TestSupport.Response merge = ok("MERGE INTO orders t USING orders_stage s ON t.id = s.id"
        + " WHEN MATCHED AND s.op = 'D' THEN DELETE"
        + " WHEN MATCHED THEN UPDATE SET amount = s.amount"
        + " WHEN NOT MATCHED THEN INSERT (id, amount) VALUES (s.id, s.amount)");
    assertThat(data(merge)).containsExactly(List.of("1", "1", "1"));
    assertThat(data(ok("SELECT ID, AMOUNT FROM ORDERS ORDER BY ID")))
        .containsExactly(List.of("1", "10.50"), List.of("2", "99.00"), List.of("4", "40.00"));

    ok("ALTER TABLE orders ADD COLUMN note VARCHAR, region NUMBER(3,0)");
    List<List<String>> desc = data(ok("DESCRIBE TABLE orders"));
    assertThat(desc).extracting(r -> r.get(0) + " " + r.get(1) + " " + r.get(3)).containsExactly(
        "ID NUMBER(10,0) N", "MixedCase VARCHAR(20) Y", "AMOUNT NUMBER(12,2) Y", "PAID BOOLEAN Y",
        "PLACED DATE Y", "AT TIMESTAMP_NTZ(9) Y", "DOC VARIANT Y", "NOTE VARCHAR(16777216) Y",
        "REGION NUMBER(3,0) Y");

    assertThat(data(ok("DELETE FROM orders WHERE id >= 4"))).containsExactly(List.of("1"));
    List<List<String>> tables = data(ok("SHOW TABLES LIKE 'ORD%' IN SCHEMA sales.raw"));
    assertThat(tables).extracting(r -> r.get(1)).containsExactly("ORDERS", "ORDERS_STAGE");
    ok("TRUNCATE TABLE orders_stage");
    assertThat(data(ok("SELECT count(*) FROM orders_stage"))).containsExactly(List.of("0"));
    ok("DROP TABLE orders_stage");
    assertThat(run("SELECT * FROM orders_stage").code()).isEqualTo("002003");
    assertThat(data(ok("SHOW TABLES LIKE 'orders%' IN DATABASE SALES"))).extracting(r -> r.get(1)).containsExactly("ORDERS");
  }

  @Test
  void bindingsAreApplied() {
    ok("CREATE DATABASE IF NOT EXISTS SALES");
    ok("CREATE SCHEMA IF NOT EXISTS SALES.RAW");
    ok("CREATE OR REPLACE TABLE BOUND (ID NUMBER, NAME VARCHAR)");
    ObjectNode b = TestSupport.JSON.createObjectNode();
    b.putObject("1").put("type", "FIXED").putArray("value").add("1").add("2");
    b.putObject("2").put("type", "TEXT").putArray("value").add("one").add("two");
    TestSupport.Response r = TestSupport.sqlApi(emu, token, "INSERT INTO BOUND VALUES (?, ?)", "SALES", "RAW", b);
    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    assertThat(r.value(0, 0)).isEqualTo("2");
    ObjectNode one = TestSupport.JSON.createObjectNode();
    one.putObject("1").put("type", "TEXT").put("value", "two");
    TestSupport.Response q = TestSupport.sqlApi(emu, token, "SELECT ID FROM BOUND WHERE NAME = ?", "SALES", "RAW", one);
    assertThat(data(q)).containsExactly(List.of("2"));
  }

  @Test
  void unknownObjectsAndBadSqlGetSnowflakeErrorCodes() {
    ok("CREATE DATABASE IF NOT EXISTS SALES");
    ok("CREATE SCHEMA IF NOT EXISTS SALES.RAW");
    TestSupport.Response missing = run("SELECT * FROM NOPE");
    assertThat(missing.status()).isEqualTo(422);
    assertThat(missing.code()).isEqualTo("002003");
    assertThat(missing.body().path("sqlState").asText()).isEqualTo("42S02");
    assertThat(missing.body().path("message").asText()).contains("Table 'SALES.RAW.NOPE' does not exist or not authorized.");

    TestSupport.Response noDb = TestSupport.sqlApi(emu, token, "SELECT * FROM GHOST.RAW.T", null, null);
    assertThat(noDb.code()).isEqualTo("002003");
    assertThat(noDb.body().path("message").asText()).contains("Database 'GHOST'");

    TestSupport.Response syntax = run("SELEC 1");
    assertThat(syntax.status()).isEqualTo(422);
    assertThat(syntax.code()).isEqualTo("001003");

    ok("CREATE TABLE IF NOT EXISTS ERRS (ID NUMBER)");
    TestSupport.Response column = run("SELECT NO_SUCH_COLUMN FROM ERRS");
    assertThat(column.code()).isEqualTo("000904");
    assertThat(column.body().path("message").asText()).contains("invalid identifier");

    TestSupport.Response exists = run("CREATE TABLE ERRS (ID NUMBER)");
    assertThat(exists.code()).isEqualTo("002002");
  }

  @Test
  void badJwtsAreRefusedAndTheSecondKeySlotWorks() throws Exception {
    ok("SELECT 1");
    // Tampered payload: sub switched to another user, original signature kept.
    String[] parts = token.split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
        .replace("SQL_USER", "SQL_USEX");
    String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    TestSupport.Response r = TestSupport.sqlApi(emu, tampered, "SELECT 1", null, null);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.code()).isEqualTo("390144");

    String badSignature = parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 4) + "AAAA";
    assertThat(TestSupport.sqlApi(emu, badSignature, "SELECT 1", null, null).status()).isEqualTo(401);

    KeyPair other = TestSupport.rsa();
    assertThat(TestSupport.sqlApi(emu, TestSupport.jwt(emu, "SQL_USER", other), "SELECT 1", null, null).status())
        .isEqualTo(401);

    String expired = TestSupport.jwt(emu.account(), "SQL_USER", key, System.currentTimeMillis() - 7_200_000, 3_500_000);
    TestSupport.Response exp = TestSupport.sqlApi(emu, expired, "SELECT 1", null, null);
    assertThat(exp.status()).isEqualTo(401);
    assertThat(exp.code()).isEqualTo("390318");

    String wrongAccount = TestSupport.jwt("OTHERACCT", "SQL_USER", key, System.currentTimeMillis(), 3_000_000);
    assertThat(TestSupport.sqlApi(emu, wrongAccount, "SELECT 1", null, null).status()).isEqualTo(401);

    // Key rotation through SQL: RSA_PUBLIC_KEY_2 is accepted next to the first key.
    String der = Base64.getEncoder().encodeToString(other.getPublic().getEncoded());
    ok("ALTER USER sql_user SET RSA_PUBLIC_KEY_2 = '" + der + "'");
    assertThat(TestSupport.sqlApi(emu, TestSupport.jwt(emu, "SQL_USER", other), "SELECT 1", null, null).status())
        .isEqualTo(200);
    ok("CREATE USER IF NOT EXISTS reader RSA_PUBLIC_KEY = '" + der + "'");
    assertThat(TestSupport.sqlApi(emu, TestSupport.jwt(emu, "READER", other), "SELECT 1", null, null).status())
        .isEqualTo(200);
  }

  @Test
  void cteNamesResolveBeforeTablesAlsoRecursiveAndInsideAMergeSource() {
    emu.sql("CREATE DATABASE IF NOT EXISTS CTEDB");
    emu.sql("CREATE SCHEMA IF NOT EXISTS CTEDB.S");
    emu.sql("CREATE OR REPLACE TABLE CTEDB.S.N (A NUMBER)");
    emu.sql("INSERT INTO CTEDB.S.N VALUES (1)");
    // N is a table of the schema too: inside the statement the CTE wins, as in Snowflake
    assertThat(emu.sql("WITH RECURSIVE N (A) AS (SELECT 10 UNION ALL SELECT A + 1 FROM N WHERE A < 12),"
        + " M AS (SELECT A * 2 AS B FROM N) SELECT B FROM M ORDER BY B", "CTEDB", "S").rows())
        .containsExactly(List.of("20"), List.of("22"), List.of("24"));
    emu.sql("MERGE INTO CTEDB.S.N t USING (WITH RECURSIVE R (A) AS (SELECT 1 UNION ALL SELECT A + 1 FROM R"
        + " WHERE A < 3) SELECT A FROM R) s ON t.A = s.A WHEN NOT MATCHED THEN INSERT (A) VALUES (s.A)",
        "CTEDB", "S");
    assertThat(emu.sql("SELECT A FROM N ORDER BY A", "CTEDB", "S").rows())
        .containsExactly(List.of("1"), List.of("2"), List.of("3"));
  }

  @Test
  void directSqlKeepsItsOwnUseContext() {
    emu.sql("CREATE DATABASE IF NOT EXISTS CTX");
    emu.sql("USE DATABASE ctx");
    emu.sql("CREATE OR REPLACE TABLE T1 (A NUMBER)");
    emu.sql("INSERT INTO T1 VALUES (5)");
    // A USE over HTTP lives only in its request.
    ok("CREATE DATABASE IF NOT EXISTS SALES");
    assertThat(ok("USE DATABASE SALES").status()).isEqualTo(200);
    assertThat(emu.sql("SELECT A FROM T1").rows()).containsExactly(List.of("5"));
    assertThat(emu.sql("SELECT A FROM T1", "ctx", "public").rows()).containsExactly(List.of("5"));
  }

  @Test
  void delayedRequestsStillAnswer() {
    emu.faults().delay(Faults.Endpoint.SQL_STATEMENTS, 1, java.time.Duration.ofMillis(300));
    long t0 = System.nanoTime();
    assertThat(run("SELECT 1").status()).isEqualTo(200);
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(300_000_000L);
  }

  @Test
  void injectedSqlFaultsAnswerTheGivenStatusOnce() {
    emu.faults().httpStatus(Faults.Endpoint.SQL_STATEMENTS, 1, 429);
    assertThat(run("SELECT 1").status()).isEqualTo(429);
    assertThat(run("SELECT 1").status()).isEqualTo(200);
  }
}
