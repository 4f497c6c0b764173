package io.etlstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code ./etl-stream} script, copied into a scratch checkout whose {@code mvnw} only
 * records that it was called and lays out what {@code package} would (jar + classpath.txt per module,
 * the classpath being this test JVM's, so the real CLI runs). Running the real Maven build from inside
 * this module's own test run would rebuild the classes under test.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "bash launcher; etl-stream.cmd is its Windows twin")
class LauncherScriptTest {

    private static final Path REAL_SCRIPT = Path.of(System.getProperty("user.dir")).getParent().resolve("etl-stream");
    private static final String[] MODULES = {"engine", "snowflake-emulator", "app"};

    @TempDir
    Path root;

    record Run(int exit, String out, String err, Duration took) {
    }

    @BeforeEach
    void scratchCheckout() throws IOException {
        assertThat(REAL_SCRIPT).isExecutable();
        Path script = root.resolve("etl-stream");
        Files.copy(REAL_SCRIPT, script, StandardCopyOption.COPY_ATTRIBUTES);
        // This JVM's classpath runs the real CLI. The emulator is on it too (the engine's tests use it), so it is
        // left out: the scratch classpath must hold neither the console's nor the emulator's main class.
        String cp = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.contains("snowflake-emulator"))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        Files.writeString(root.resolve("cp.txt"), cp);
        try (OutputStream out = Files.newOutputStream(root.resolve("empty.jar"));
             JarOutputStream jar = new JarOutputStream(out, new Manifest())) {
            jar.flush();
        }
        Path mvnw = root.resolve("mvnw");
        Files.writeString(mvnw, """
                #!/usr/bin/env bash
                here="$(cd "$(dirname "$0")" && pwd)"
                echo "$*" >> "$here/mvnw.log"
                if [ -f "$here/fail-build" ]; then echo "[ERROR] compilation failed" >&2; exit 3; fi
                for m in engine snowflake-emulator app; do
                    mkdir -p "$m/target"
                    cp "$here/cp.txt" "$m/target/classpath.txt"
                    cp "$here/empty.jar" "$m/target/etl-stream-$m-0.1.0.jar"
                    cp "$here/empty.jar" "$m/target/etl-stream-$m-0.1.0-tests.jar"
                done
                """);
        Files.setPosixFilePermissions(mvnw, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(root.resolve("pom.xml"), "<project/>");
        for (String m : MODULES) {
            Path src = Files.createDirectories(root.resolve(m).resolve("src/main/java"));
            Files.writeString(src.resolve("A.java"), "class A {}");
            Files.writeString(root.resolve(m).resolve("pom.xml"), "<project/>");
        }
        // Sources older than any stamp the launcher will write.
        try (var files = Files.walk(root)) {
            for (Path p : files.toList()) {
                Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            }
        }
    }

    private Run run(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("etl-stream").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().put("ETL_STREAM_LAUNCHER_TRACE", "1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("ETL_STREAM_JAVA_OPTS");
        pb.environment().putAll(env);
        Path out = root.resolve("out.txt");
        Path err = root.resolve("err.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        long start = System.nanoTime();
        Process p = pb.start();
        boolean finished = p.waitFor(120, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        assertThat(finished).as("launcher finished; stderr: %s", Files.readString(err, StandardCharsets.UTF_8))
                .isTrue();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), took);
    }

    private Run run(String... args) throws Exception {
        return run(Map.of(), args);
    }

    private List<String> mavenCalls() throws IOException {
        Path log = root.resolve("mvnw.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    @Test
    void buildsOnceThenStartsWithoutMaven() throws Exception {
        Run first = run("--version");
        assertThat(first.err()).contains("etl-stream launcher: building (never built by the launcher)");
        assertThat(first.out().trim()).isEqualTo("etl-stream 0.1.0");
        assertThat(first.exit()).isZero();
        assertThat(mavenCalls()).containsExactly("-B -q -DskipTests package");

        Run second = run("--version");
        assertThat(second.err()).contains("etl-stream launcher: up to date").doesNotContain("building");
        assertThat(second.out().trim()).isEqualTo("etl-stream 0.1.0");
        assertThat(mavenCalls()).hasSize(1);
        System.out.printf("launcher: first call %d ms (with build), second call %d ms (no build)%n",
                first.took().toMillis(), second.took().toMillis());
    }

    @Test
    void aChangedSourceOrPomOrAMissingJarTriggersABuild() throws Exception {
        run("--version");
        Path source = root.resolve("engine/src/main/java/A.java");
        Files.setLastModifiedTime(source, FileTime.from(Instant.now()));
        assertThat(run("--version").err()).contains("building (engine/src/main/java/A.java changed)");
        assertThat(run("--version").err()).contains("up to date");

        Files.setLastModifiedTime(root.resolve("app/pom.xml"), FileTime.from(Instant.now()));
        assertThat(run("--version").err()).contains("building (app/pom.xml changed)");

        Files.delete(root.resolve("snowflake-emulator/target/etl-stream-snowflake-emulator-0.1.0.jar"));
        assertThat(run("--version").err()).contains("building (snowflake-emulator is not packaged)");
        assertThat(mavenCalls()).hasSize(4);
    }

    @Test
    void aFailedBuildStopsAndIsRetriedNextTime() throws Exception {
        Files.writeString(root.resolve("fail-build"), "");
        Run failed = run("--version");
        assertThat(failed.exit()).isEqualTo(1);
        assertThat(failed.err()).contains("[ERROR] compilation failed", "the build failed");
        assertThat(failed.out()).isEmpty();

        Files.delete(root.resolve("fail-build"));
        Run retried = run("--version");
        assertThat(retried.err()).contains("building");
        assertThat(retried.exit()).isZero();
    }

    @Test
    void exitCodeArgumentsAndJvmFlagsPassThrough() throws Exception {
        Run usage = run("--no-such-option");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Unknown option: '--no-such-option'");

        Run flags = run(Map.of("ETL_STREAM_JAVA_OPTS", "-Detl.probe=hello -XshowSettings:properties"), "--version");
        assertThat(flags.exit()).isZero();
        assertThat(flags.err()).contains("etl.probe = hello", "keystore.pkcs12.macIterationCount = 600000",
                "file.encoding = UTF-8");
    }

    @Test
    void consoleAndEmulatorStartTheirOwnMainClasses() throws Exception {
        // The scratch classpath has neither class, so the JVM names the main class it was asked to start.
        Run bare = run();
        assertThat(bare.exit()).isNotZero();
        assertThat(bare.err()).contains("io.etlstream.app.Launcher");
        assertThat(run("console", "--x").err()).contains("io.etlstream.app.Launcher");
        assertThat(run("emulator", "--port", "0").err()).contains("io.etlstream.emulator.EmulatorMain");
    }

    @Test
    void aBrokenJavaHomeIsReported() throws Exception {
        run("--version");
        Run broken = run(Map.of("JAVA_HOME", root.resolve("no-jdk").toString()), "--version");
        assertThat(broken.exit()).isEqualTo(1);
        assertThat(broken.err()).contains("JAVA_HOME is " + root.resolve("no-jdk"), "not executable");
    }
}
