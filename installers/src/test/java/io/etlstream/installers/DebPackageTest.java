package io.etlstream.installers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the .deb the "installers" profile just built, without installing it: control data, file list, the desktop
 * entries and maintainer scripts, and that the unpacked payload's CLI starts.
 */
class DebPackageTest {

    static final String VERSION = AppImageTest.VERSION;
    static final String PREFIX = "./opt/etl-stream/";

    static Path deb;
    @TempDir
    static Path unpacked;

    @BeforeAll
    static void unpack() throws IOException {
        Path out = Path.of(AppImageTest.required("installers.out"));
        try (Stream<Path> s = Files.list(out)) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().endsWith(".deb")).toList();
            assertThat(debs).as("one .deb in " + out).hasSize(1);
            deb = debs.get(0);
        }
        assertThat(deb.getFileName().toString()).isEqualTo("etl-stream_" + VERSION + "-1_amd64.deb");
        Run x = Run.of("dpkg-deb", "-x", deb.toString(), unpacked.resolve("root").toString());
        assertThat(x.exitCode()).as(x.describe()).isZero();
        Run e = Run.of("dpkg-deb", "-e", deb.toString(), unpacked.resolve("control").toString());
        assertThat(e.exitCode()).as(e.describe()).isZero();
    }

    @Test
    void controlNamesThePackageAndNeedsGtk() {
        Run info = Run.of("dpkg-deb", "--info", deb.toString());
        assertThat(info.exitCode()).as(info.describe()).isZero();
        assertThat(info.out()).contains("Package: etl-stream", "Version: " + VERSION + "-1", "Architecture: amd64",
                "Maintainer: etl-stream <maintainers@etl-stream.invalid>");
        String depends = info.out().lines().filter(l -> l.strip().startsWith("Depends:")).findFirst().orElse("");
        assertThat(depends).as(info.out()).contains("libgtk-3-0", "xdg-utils", "libc6");
    }

    @Test
    void installsBothLaunchersTheMenuEntryAndNoTestEquipment() {
        Run contents = Run.of("dpkg-deb", "--contents", deb.toString());
        assertThat(contents.exitCode()).as(contents.describe()).isZero();
        List<String> paths = contents.out().lines().map(l -> l.substring(l.indexOf("./"))).toList();
        assertThat(paths).contains(PREFIX + "bin/etl-stream", PREFIX + "bin/etl-stream-cli",
                PREFIX + "lib/etl-stream-etl-stream.desktop", PREFIX + "lib/etl-stream.png",
                PREFIX + "lib/app/etl-stream.cfg", PREFIX + "lib/app/etl-stream-cli.cfg",
                PREFIX + "lib/app/etl-stream-app-" + VERSION + ".jar",
                PREFIX + "lib/app/etl-stream-engine-" + VERSION + ".jar",
                PREFIX + "lib/runtime/lib/server/libjvm.so");
        List<String> jars = paths.stream().filter(p -> p.startsWith(PREFIX + "lib/app/") && p.endsWith(".jar"))
                .map(p -> p.substring((PREFIX + "lib/app/").length())).toList();
        AppImageTest.assertNoTestEquipment(jars);
        assertThat(contents.out().lines().filter(l -> l.contains(PREFIX + "bin/")))
                .allMatch(l -> l.startsWith("-rwxr-xr-x root/root") || l.startsWith("drwxr-xr-x root/root"));
    }

    @Test
    void menuEntryStartsTheConsoleWithTheProjectIcon() throws IOException {
        Path lib = unpacked.resolve("root/opt/etl-stream/lib");
        List<String> console = Files.readAllLines(lib.resolve("etl-stream-etl-stream.desktop"));
        assertThat(console).contains("[Desktop Entry]", "Name=etl-stream", "Exec=/opt/etl-stream/bin/etl-stream",
                "Icon=/opt/etl-stream/lib/etl-stream.png", "Terminal=false", "Type=Application",
                "Categories=Development;Database;", "StartupWMClass=io.etlstream.app.EtlStreamApp");
        assertThat(console).noneMatch(l -> l.startsWith("NoDisplay"));
        // The CLI gets an entry from jpackage too; ours hides it from menus and runs it in a terminal.
        List<String> cli = Files.readAllLines(lib.resolve("etl-stream-etl-stream-cli.desktop"));
        assertThat(cli).contains("Exec=/opt/etl-stream/bin/etl-stream-cli", "NoDisplay=true", "Terminal=true");

        Path icon = Path.of(AppImageTest.required("installers.icon"));
        assertThat(Files.mismatch(lib.resolve("etl-stream.png"), icon)).as("installed icon = " + icon).isEqualTo(-1);
    }

    @Test
    void maintainerScriptsRegisterTheMenuEntryAndLinkTheCliOntoPath() throws IOException {
        Path postinst = unpacked.resolve("control/postinst");
        Path prerm = unpacked.resolve("control/prerm");
        for (Path script : List.of(postinst, prerm)) {
            assertThat(script).isExecutable();
            Run syntax = Run.of("sh", "-n", script.toString());
            assertThat(syntax.exitCode()).as(syntax.describe()).isZero();
        }
        assertThat(Files.readString(postinst)).contains(
                "xdg-desktop-menu install /opt/etl-stream/lib/etl-stream-etl-stream.desktop",
                "ln -s /opt/etl-stream/bin/etl-stream-cli /usr/bin/etl-stream-cli");
        assertThat(Files.readString(prerm)).contains("xdg-desktop-menu uninstall", "rm -f /usr/bin/etl-stream-cli");
        // The link's target is in the payload.
        assertThat(unpacked.resolve("root/opt/etl-stream/bin/etl-stream-cli")).isExecutable();
    }

    @Test
    void unpackedPayloadRunsTheCli() {
        Path cli = unpacked.resolve("root/opt/etl-stream/bin/etl-stream-cli");
        Run r = Run.of(cli, "--version");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out().strip()).isEqualTo("etl-stream " + VERSION);
    }
}
