package io.etlstream.installers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs the built .deb on this machine with dpkg, as a user would, and checks the installed package: files dpkg
 * owns, the CLI on PATH against a real PostgreSQL, the console on Xvfb, a reinstall, then remove and purge (the
 * user's home is left alone). Runs only with {@code -Dinstallers.deb.install=true}, as root, on a machine where
 * etl-stream is not installed; it purges the package at the end, also when a check failed.
 */
class DebInstallTest {

    static final String PACKAGE = "etl-stream";
    static final Path OPT = Path.of("/opt/etl-stream");
    static final Path CLI_LINK = Path.of("/usr/bin/etl-stream-cli");

    @Test
    void installsRunsReinstallsRemovesAndPurges(@TempDir Path tmp) throws Exception {
        assumeTrue(Boolean.getBoolean("installers.deb.install"), "not asked to install the .deb on this machine:"
                + " run with -Dinstallers.deb.install=true (as root)");
        Run id = Run.of("id", "-u");
        assertThat(id.out().strip()).as("-Dinstallers.deb.install=true needs root (dpkg -i)").isEqualTo("0");
        assertThat(installedStatus()).as("etl-stream is already installed here; this test would replace and then"
                + " purge it: dpkg -P etl-stream first").isEmpty();
        assertThat(CLI_LINK).as("something else owns " + CLI_LINK).doesNotExist();
        assertThat(OPT).as(OPT + " is left from an earlier install").doesNotExist();
        Path deb = debFile();

        try {
            Run install = Run.of(List.of("dpkg", "-i", deb.toString()), null, Map.of("DEBIAN_FRONTEND",
                    "noninteractive"), 300);
            assertThat(install.exitCode()).as(install.describe()).isZero();
            assertThat(installedStatus()).isEqualTo("install ok installed");

            // Files of the package, as dpkg -S sees them (the menu entry and icons are no longer made by scripts).
            for (String file : List.of("/usr/share/applications/etl-stream.desktop",
                    "/usr/share/icons/hicolor/256x256/apps/etl-stream.png",
                    "/usr/share/icons/hicolor/16x16/apps/etl-stream.png", "/usr/share/doc/etl-stream/copyright",
                    "/opt/etl-stream/bin/etl-stream-cli",
                    "/opt/etl-stream/lib/runtime/lib/server/libjvm.so")) {
                Run owner = Run.of("dpkg", "-S", file);
                assertThat(owner.exitCode()).as(owner.describe()).isZero();
                assertThat(owner.out()).as(owner.describe()).startsWith(PACKAGE + ": ");
                assertThat(Path.of(file)).exists();
            }
            assertThat(Files.readSymbolicLink(CLI_LINK)).isEqualTo(OPT.resolve("bin/etl-stream-cli"));
            // dpkg compares every installed file with the package's md5sums: nothing is missing or changed.
            Run verify = Run.of("dpkg", "--verify", PACKAGE);
            assertThat(verify.exitCode()).as(verify.describe()).isZero();
            assertThat(verify.out()).as(verify.describe()).isBlank();

            Run version = Run.of(CLI_LINK, "--version");
            assertThat(version.exitCode()).as(version.describe()).isZero();
            assertThat(version.out().strip()).isEqualTo("etl-stream " + AppImageTest.VERSION);
            Run help = Run.of(CLI_LINK, "--help");
            assertThat(help.exitCode()).as(help.describe()).isZero();
            assertThat(help.out()).contains("doctor", "pipeline", "run", "vault");

            Path userData = tmp.resolve("user");
            CliOnPostgres.assertDoctorAndPipelineList(CLI_LINK, userData);
            if (ConsoleOnXvfbTest.onPath("Xvfb") && ConsoleOnXvfbTest.onPath("xwininfo")) {
                ConsoleOnXvfbTest.assertConsoleOpensAndStops(OPT.resolve("bin/etl-stream"),
                        userData.resolve("gui-home"), "console-installed-xvfb.png");
            } else {
                System.out.println("Xvfb or xwininfo is not installed (apt-get install xvfb x11-utils): the installed"
                        + " console's window was not checked");
            }

            // The same version again: prerm upgrade drops the link, postinst configure makes it again.
            Run reinstall = Run.of(List.of("dpkg", "-i", deb.toString()), null, Map.of("DEBIAN_FRONTEND",
                    "noninteractive"), 300);
            assertThat(reinstall.exitCode()).as(reinstall.describe()).isZero();
            assertThat(Files.readSymbolicLink(CLI_LINK)).isEqualTo(OPT.resolve("bin/etl-stream-cli"));

            Map<String, Long> before = listing(userData);
            assertThat(before).containsKeys("home/vault.p12", "fresh-home/catalog");
            Run remove = Run.of("dpkg", "-r", PACKAGE);
            assertThat(remove.exitCode()).as(remove.describe()).isZero();
            assertThat(installedStatus()).isEqualTo("deinstall ok config-files");
            assertThat(CLI_LINK).doesNotExist();
            assertThat(OPT).doesNotExist();
            assertThat(Path.of("/usr/share/applications/etl-stream.desktop")).doesNotExist();
            assertThat(Path.of("/usr/share/icons/hicolor/256x256/apps/etl-stream.png")).doesNotExist();
            assertThat(listing(userData)).as("the user's homes after dpkg -r").isEqualTo(before);

            Run purge = Run.of("dpkg", "-P", PACKAGE);
            assertThat(purge.exitCode()).as(purge.describe()).isZero();
            assertThat(installedStatus()).isEmpty();
            assertThat(listing(userData)).as("the user's homes after dpkg -P").isEqualTo(before);
        } finally {
            if (!installedStatus().isEmpty()) {
                Run.of("dpkg", "-P", PACKAGE);
            }
        }
    }

    /** dpkg's status of the package ("install ok installed", ...), or "" when dpkg knows nothing of it. */
    static String installedStatus() {
        Run s = Run.of("dpkg-query", "-W", "-f=${Status}", PACKAGE);
        return s.exitCode() == 0 ? s.out().strip() : "";
    }

    static Path debFile() throws IOException {
        Path out = Path.of(AppImageTest.required("installers.out"));
        try (Stream<Path> s = Files.list(out)) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().endsWith(".deb")).toList();
            assertThat(debs).as("one .deb in " + out).hasSize(1);
            return debs.get(0);
        }
    }

    /** Every file under {@code dir} with its size (folders as -1), to show that nothing there was touched. */
    static Map<String, Long> listing(Path dir) throws IOException {
        Map<String, Long> files = new TreeMap<>();
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(all::add);
        }
        for (Path p : all) {
            files.put(dir.relativize(p).toString(), Files.isDirectory(p) ? -1L : Files.size(p));
        }
        return files;
    }
}
