package io.etlstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The standalone entry point and a file-backed emulator surviving a restart. */
class EmulatorMainTest {

  @TempDir
  Path dir;

  @Test
  void optionsStartAFileBackedEmulatorWhoseStateSurvivesARestart() throws Exception {
    KeyPair key = TestSupport.rsa();
    Path pub = dir.resolve("demo.pub");
    Files.writeString(pub, "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(key.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
    Path data = dir.resolve("data");
    EmulatorMain main = new EmulatorMain();
    new CommandLine(main).parseArgs("--port", "0", "--data", data.toString(), "--user", "demo",
        "--public-key", pub.toString());
    try (SnowflakeEmulator emu = main.open()) {
      assertThat(emu.url().toString()).matches("http://127\\.0\\.0\\.1:\\d+");
      assertThat(Files.exists(data.resolve("emulator.duckdb"))).isTrue();
      TestSupport.Response r = TestSupport.sqlApi(emu, TestSupport.jwt(emu, "DEMO", key),
          "CREATE DATABASE D", null, null);
      assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
      emu.sql("CREATE TABLE D.PUBLIC.T (ID NUMBER(5,0), TS TIMESTAMP_TZ(3))");
      emu.sql("INSERT INTO D.PUBLIC.T VALUES (7, '2024-05-06 07:08:09.123 +02:00')");
    }
    // Same directory again, no --user: tables, types and the user come back from DuckDB.
    try (SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.persistent(0, data))) {
      assertThat(emu.sql("DESCRIBE TABLE D.PUBLIC.T").rows()).extracting(r -> r.get(1))
          .containsExactly("NUMBER(5,0)", "TIMESTAMP_TZ(3)");
      assertThat(emu.sql("SELECT ID, TS FROM D.PUBLIC.T").rows())
          .containsExactly(java.util.List.of("7", "1714972089.123 1560"));
      TestSupport.Response r = TestSupport.sqlApi(emu, TestSupport.jwt(emu, "DEMO", key), "SELECT 1", null, null);
      assertThat(r.status()).isEqualTo(200);
    }
  }

  @Test
  void unpairedUsersAndKeysAreAUsageError() {
    int code = new CommandLine(new EmulatorMain()).execute("--user", "a", "--user", "b",
        "--public-key", dir.resolve("x.pub").toString());
    assertThat(code).isEqualTo(2);
  }
}
