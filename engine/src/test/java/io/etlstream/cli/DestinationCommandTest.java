package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.home.EtlHome;
import io.etlstream.vault.Vault;
import io.etlstream.vault.VaultPublicKey;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code etl-stream destination ...} against the emulator, with the key taken from a real vault. */
class DestinationCommandTest {

    static SnowflakeEmulator emu;

    @TempDir
    Path dir;

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    @BeforeAll
    static void start() {
        emu = SnowflakeEmulator.start(EmulatorConfig.inMemory());
        emu.sql("CREATE DATABASE IF NOT EXISTS ANALYTICS");
        emu.sql("CREATE SCHEMA IF NOT EXISTS ANALYTICS.RAW");
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return CliRunner.run(dir.resolve("home"), out, err, args);
    }

    @Test
    void addListShowTestRemove() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        char[] master = "correct horse battery staple 42".toCharArray();
        Path pwFile = dir.resolve("master.txt");
        Files.writeString(pwFile, new String(master) + "\n", StandardCharsets.UTF_8);
        try (Vault v = Vault.open(new EtlHome(home).vaultFile())) {
            v.init(master);
            VaultPublicKey pub = v.generateKey("sf-etl", 2048);
            emu.registerUser("ETL_LOADER", pub.key());
        }

        assertThat(run("destination", "add", "wh", "--url", emu.url().toString(), "--user", "ETL_LOADER",
                "--role", "LOADER", "--database", "analytics", "--schema", "raw", "--key", "sf-etl")).isZero();
        assertThat(out.toString()).contains("Added destination wh").contains("etl-stream destination test wh");

        assertThat(run("destination", "add", "wh", "--account", "myorg-acct", "--user", "U", "--role", "R",
                "--database", "D", "--schema", "S", "--key", "k")).isEqualTo(1);
        assertThat(err.toString()).contains("exists already");

        assertThat(run("destination", "add", "bad", "--account", "my/org", "--user", "U", "--role", "R",
                "--database", "D", "--schema", "S", "--key", "k")).isEqualTo(1);
        assertThat(run("destination", "add", "x", "--user", "U", "--role", "R", "--database", "D", "--schema", "S",
                "--key", "k")).as("neither --account nor --url").isEqualTo(2);

        assertThat(run("destination", "list", "--json")).isZero();
        assertThat(out.toString()).contains("\"name\" : \"wh\"").contains("\"endpoint\" : \"" + emu.url())
                .contains("\"key\" : \"sf-etl\"");
        assertThat(run("destination", "show", "wh")).isZero();
        assertThat(out.toString()).contains("ETL_LOADER").contains("analytics");

        assertThat(run("destination", "test", "wh", "--password-file", pwFile.toString())).isZero();
        assertThat(out.toString()).contains("Destination wh at " + emu.url() + " is OK");
        assertThat(emu.sql("SELECT COUNT(*) FROM ANALYTICS.RAW.ETL_STREAM_CONNECTION_TEST").rows().get(0).get(0))
                .isEqualTo("1");

        assertThat(run("destination", "remove", "wh")).isZero();
        assertThat(run("destination", "list")).isZero();
        assertThat(out.toString()).contains("No destinations yet");
        assertThat(run("destination", "remove", "wh")).isEqualTo(1);
        assertThat(err.toString()).contains("no destination named 'wh'");
    }

    @Test
    void testWithAnUnregisteredKeyTellsWhatToCheck() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        char[] master = "correct horse battery staple 42".toCharArray();
        Path pwFile = dir.resolve("master.txt");
        Files.writeString(pwFile, new String(master) + "\n", StandardCharsets.UTF_8);
        try (Vault v = Vault.open(new EtlHome(home).vaultFile())) {
            v.init(master);
            v.generateKey("unregistered", 2048);
        }
        assertThat(run("destination", "add", "wh", "--url", emu.url().toString(), "--user", "NOBODY",
                "--role", "LOADER", "--database", "ANALYTICS", "--schema", "RAW", "--key", "unregistered")).isZero();
        assertThat(run("destination", "test", "wh", "--password-file", pwFile.toString())).isEqualTo(1);
        assertThat(err.toString()).containsIgnoringCase("key");
    }
}
