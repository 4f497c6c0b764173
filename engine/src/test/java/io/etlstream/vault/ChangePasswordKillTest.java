package io.etlstream.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.vault.VaultException.Reason;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kills a JVM with SIGKILL in the middle of change-password: the old or the new store opens, with every entry. */
class ChangePasswordKillTest {
    static final char[] OLD = "old master password".toCharArray();
    static final char[] NEW = "new master password".toCharArray();

    @TempDir
    Path dir;

    private Path prepare() {
        Path file = dir.resolve("vault.p12");
        try (Vault v = Vault.open(file)) {
            v.init(OLD);
            v.generateKey("k", 2048);
            v.putPassword("p", "db-secret".toCharArray());
        }
        return file;
    }

    private Process child(Path file, String mode, String direction) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dkeystore.pkcs12.macIterationCount=600000",
                "-cp", System.getProperty("java.class.path"),
                ChangePasswordCrashChild.class.getName(), file.toString(), mode, direction));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static void awaitLine(Process p, String expected) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        StringBuilder seen = new StringBuilder();
        while ((line = r.readLine()) != null) {
            if (line.equals(expected)) {
                return;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("child ended before " + expected + ":\n" + seen);
    }

    private static void sigkill(Process p) throws Exception {
        p.destroyForcibly(); // SIGKILL on Linux: no finally blocks, no shutdown hooks
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    /** Which password opens the store; asserts every entry is there and readable. */
    private static String assertOpensWithAllEntries(Path file) {
        for (char[] pw : new char[][] {OLD, NEW}) {
            try (Vault v = Vault.open(file)) {
                v.unlock(pw);
                assertThat(v.storeAliasesForTest(pw)).containsExactlyInAnyOrder("key/k", "password/p");
                assertThat(new String(v.password("p"))).isEqualTo("db-secret");
                assertThat(v.privateKey("k").getAlgorithm()).isEqualTo("RSA");
                return pw == OLD ? "old" : "new";
            } catch (VaultException e) {
                assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSWORD);
            }
        }
        throw new AssertionError("the store opens with neither password");
    }

    @Test
    void killedAfterTheTempFileIsWrittenLeavesTheOldStore() throws Exception {
        Path file = prepare();
        byte[] before = Files.readAllBytes(file);
        Process p = child(file, "pause-before-move", "old-to-new");
        awaitLine(p, "TEMP-WRITTEN");
        sigkill(p);
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        try (var s = Files.newDirectoryStream(dir, "vault.p12.*.tmp")) {
            assertThat(s.iterator().hasNext()).as("the killed write left its temp file").isTrue();
        }
        assertThat(assertOpensWithAllEntries(file)).isEqualTo("old");
        // The next write cleans up what the crash left behind.
        try (Vault v = Vault.open(file)) {
            v.unlock(OLD);
            v.putPassword("q", "x".toCharArray());
        }
        try (var s = Files.newDirectoryStream(dir, "vault.p12.*.tmp")) {
            assertThat(s.iterator().hasNext()).isFalse();
        }
    }

    /** Slow (three child JVMs doing 600k-iteration work): runs with -Pbench. */
    @Test
    @Tag("bench")
    void killedAtArbitraryMomentsLeavesOldOrNewStore() throws Exception {
        Path file = prepare();
        // One uninterrupted run measures how long a change takes in a child JVM on this machine.
        Process full = child(file, "run", "old-to-new");
        awaitLine(full, "START");
        long t0 = System.nanoTime();
        awaitLine(full, "DONE");
        long durationMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(full.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(assertOpensWithAllEntries(file)).isEqualTo("new");

        List<String> outcomes = new ArrayList<>();
        String current = "new";
        for (double fraction : new double[] {0.4, 0.95}) {
            Process p = child(file, "run", current.equals("new") ? "new-to-old" : "old-to-new");
            awaitLine(p, "START");
            Thread.sleep((long) (durationMs * fraction));
            sigkill(p);
            current = assertOpensWithAllEntries(file);
            outcomes.add(current);
        }
        System.out.println("change-password takes ~" + durationMs + " ms in a child JVM; after SIGKILL at 40%/95%"
                + " the store opened with the password: " + outcomes);
    }
}
