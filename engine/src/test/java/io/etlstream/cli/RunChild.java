package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** {@code etl-stream run} in its own JVM with the flags the launcher gives it; its output is collected line by line. */
final class RunChild {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private RunChild(Process p) {
        this.process = p;
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child is gone
            }
        }, "child-out");
        t.setDaemon(true);
        t.start();
    }

    /** Starts {@code etl-stream --home HOME run ARGS...} on this JVM's classpath. */
    static RunChild start(Path home, String... runArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx768m", "-XX:TieredStopAtLevel=1", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "-Dkeystore.pkcs12.macIterationCount=600000",
                "-cp", System.getProperty("java.class.path"), EtlStreamCommand.class.getName(), "--home",
                home.toString(), "run"));
        cmd.addAll(List.of(runArgs));
        return new RunChild(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    void awaitLine(String contains, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (lines.stream().noneMatch(l -> l.contains(contains)) && process.isAlive()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for child line '" + contains + "'; output:\n" + stdout());
            }
            Thread.sleep(50);
        }
        assertThat(lines).as("child output").anyMatch(l -> l.contains(contains));
    }

    void sigterm(long seconds) throws InterruptedException {
        process.destroy(); // SIGTERM on Unix
        assertThat(process.waitFor(seconds, TimeUnit.SECONDS)).as("stopped within " + seconds + " s").isTrue();
    }

    /**
     * Kills the child with SIGKILL ({@link Process#destroyForcibly()} on Linux sends signal 9: no shutdown hook, no
     * flush, no goodbye to PostgreSQL or Snowflake) and returns its exit status, 137 = 128 + 9 when the signal did it.
     */
    int sigkill(long seconds) throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(seconds, TimeUnit.SECONDS)).as("killed within " + seconds + " s").isTrue();
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    String stdout() {
        return String.join("\n", lines);
    }

    void destroy() {
        process.destroyForcibly();
    }
}
