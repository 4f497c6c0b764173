package io.etlstream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A second JVM on the test classpath running a test main class; its stdout lines arrive in a queue. */
public final class ChildJvm implements AutoCloseable {

    private static final String EOF = "\u0000EOF";

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> stderr = new ArrayList<>();

    private ChildJvm(Process process) {
        this.process = process;
        Thread out = new Thread(() -> pump(new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)), lines::add), "child-stdout");
        Thread err = new Thread(() -> pump(new BufferedReader(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8)), this::addErr), "child-stderr");
        out.setDaemon(true);
        err.setDaemon(true);
        out.start();
        err.start();
    }

    /** Starts {@code mainClass} with {@code args} in a new JVM using this JVM's classpath. */
    public static ChildJvm start(Class<?> mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(cmd).start());
    }

    private void pump(BufferedReader reader, java.util.function.Consumer<String> sink) {
        try (reader) {
            String line;
            while ((line = reader.readLine()) != null) {
                sink.accept(line);
            }
        } catch (IOException ignored) {
            // the child died; what was read is what it wrote
        } finally {
            sink.accept(EOF);
        }
    }

    private synchronized void addErr(String line) {
        if (!EOF.equals(line)) {
            stderr.add(line);
        }
    }

    public synchronized String stderr() {
        return String.join("\n", stderr);
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    /** The next stdout line, or null at end of output; fails after {@code seconds}. */
    public String nextLine(long seconds) throws InterruptedException {
        String line = lines.poll(seconds, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("child " + pid() + " wrote nothing for " + seconds + " s; stderr:\n" + stderr());
        }
        return EOF.equals(line) ? null : line;
    }

    /** Waits for a line starting with {@code prefix}, skipping others. */
    public String awaitLine(String prefix, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String line = nextLine(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime())));
            if (line == null) {
                throw new AssertionError("child " + pid() + " exited before printing '" + prefix + "'; stderr:\n" + stderr());
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError("no '" + prefix + "' from child " + pid());
    }

    /** Kills the child (SIGKILL on Unix) and waits for it to die; returns the lines it still had written. */
    public List<String> killAndDrain() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        List<String> rest = new ArrayList<>();
        String line;
        while ((line = nextLine(30)) != null) {
            rest.add(line);
        }
        return rest;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
