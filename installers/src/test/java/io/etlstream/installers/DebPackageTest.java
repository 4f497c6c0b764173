package io.etlstream.installers;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the .deb the "installers" profile just built, without installing it: control data, file list, the menu
 * entry and icons, the maintainer scripts, and that the unpacked payload's CLI works against a real PostgreSQL.
 * {@link DebInstallTest} installs it for real.
 */
class DebPackageTest {

    static final String VERSION = AppImageTest.VERSION;
    static final String PREFIX = "./opt/etl-stream/";
    static final String DESKTOP = "usr/share/applications/etl-stream.desktop";
    static final List<Integer> ICON_SIZES = List.of(16, 32, 48, 64, 128, 256);

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
        assertThat(depends).as(info.out()).contains("libgtk-3-0", "libc6");
        // Only jpackage's xdg-desktop-menu calls needed it; the menu entry is a packaged file now.
        assertThat(depends).as(info.out()).doesNotContain("xdg-utils");
    }

    static String iconPath(int size) {
        return "usr/share/icons/hicolor/" + size + "x" + size + "/apps/etl-stream.png";
    }

    @Test
    void installsBothLaunchersTheMenuEntryAndNoTestEquipment() {
        Run contents = Run.of("dpkg-deb", "--contents", deb.toString());
        assertThat(contents.exitCode()).as(contents.describe()).isZero();
        List<String> paths = contents.out().lines().map(l -> l.substring(l.indexOf("./"))).toList();
        assertThat(paths).contains(PREFIX + "bin/etl-stream", PREFIX + "bin/etl-stream-cli", "./" + DESKTOP,
                PREFIX + "lib/etl-stream.png",
                PREFIX + "lib/app/etl-stream.cfg", PREFIX + "lib/app/etl-stream-cli.cfg",
                PREFIX + "lib/app/etl-stream-app-" + VERSION + ".jar",
                PREFIX + "lib/app/etl-stream-engine-" + VERSION + ".jar",
                PREFIX + "lib/runtime/lib/server/libjvm.so");
        List<String> jars = paths.stream().filter(p -> p.startsWith(PREFIX + "lib/app/") && p.endsWith(".jar"))
                .map(p -> p.substring((PREFIX + "lib/app/").length())).toList();
        AppImageTest.assertNoTestEquipment(jars);
        for (int size : ICON_SIZES) {
            assertThat(paths).contains("./" + iconPath(size));
        }
        // jpackage's own desktop files are gone with --linux-shortcut; ours is the only one.
        assertThat(paths).filteredOn(p -> p.endsWith(".desktop")).containsExactly("./" + DESKTOP);
        assertThat(contents.out().lines().filter(l -> l.contains(PREFIX + "bin/")))
                .allMatch(l -> l.startsWith("-rwxr-xr-x root/root") || l.startsWith("drwxr-xr-x root/root"));
        assertThat(contents.out().lines().filter(l -> l.contains("./usr/share/")))
                .allMatch(l -> l.startsWith("-rw-r--r-- root/root") || l.startsWith("drwxr-xr-x root/root"));
        assertThat(contents.out().lines()).allMatch(l -> l.contains(" root/root "), "every file owned by root");
    }

    @Test
    void menuEntryStartsTheConsoleWithTheProjectIcon() throws IOException {
        Path root = unpacked.resolve("root");
        List<String> console = Files.readAllLines(root.resolve(DESKTOP));
        assertThat(console).contains("[Desktop Entry]", "Name=etl-stream", "Exec=/opt/etl-stream/bin/etl-stream",
                "Icon=etl-stream", "Terminal=false", "Type=Application", "Categories=Development;Database;",
                "StartupWMClass=io.etlstream.app.EtlStreamApp");
        assertThat(console).noneMatch(l -> l.startsWith("NoDisplay"));
        assertThat(root.resolve("opt/etl-stream/bin/etl-stream")).isExecutable();
        if (ConsoleOnXvfbTest.onPath("desktop-file-validate")) {
            Run valid = Run.of("desktop-file-validate", root.resolve(DESKTOP).toString());
            assertThat(valid.exitCode()).as(valid.describe()).isZero();
            assertThat(valid.out() + valid.err()).as(valid.describe()).isBlank();
        } else {
            System.out.println("desktop-file-validate is not installed (apt-get install desktop-file-utils): "
                    + DESKTOP + " was checked line by line only");
        }

        // Icon=etl-stream resolves through the hicolor theme: every size is the console's own window icon.
        Path icons = Path.of(AppImageTest.required("installers.icon")).getParent();
        for (int size : ICON_SIZES) {
            Path shipped = root.resolve(iconPath(size));
            assertThat(Files.mismatch(shipped, icons.resolve("etl-stream-" + size + ".png"))).as(shipped.toString())
                    .isEqualTo(-1);
            BufferedImage image = ImageIO.read(shipped.toFile());
            assertThat(image.getWidth()).as(shipped.toString()).isEqualTo(size);
            assertThat(image.getHeight()).as(shipped.toString()).isEqualTo(size);
        }
        Path icon = Path.of(AppImageTest.required("installers.icon"));
        assertThat(Files.mismatch(root.resolve("opt/etl-stream/lib/etl-stream.png"), icon)).isEqualTo(-1);
    }

    @Test
    void maintainerScriptsOnlyLinkTheCliOntoPath() throws IOException {
        Path postinst = unpacked.resolve("control/postinst");
        Path prerm = unpacked.resolve("control/prerm");
        for (Path script : List.of(postinst, prerm)) {
            assertThat(script).isExecutable();
            Run syntax = Run.of("sh", "-n", script.toString());
            assertThat(syntax.exitCode()).as(syntax.describe()).isZero();
        }
        assertThat(Files.readString(postinst)).contains(
                "ln -s /opt/etl-stream/bin/etl-stream-cli /usr/bin/etl-stream-cli");
        assertThat(Files.readString(prerm)).contains("rm -f /usr/bin/etl-stream-cli");
        // xdg-desktop-menu exits 3 where /usr/share/desktop-directories is missing (a server), which failed
        // configure and remove alike; dpkg's triggers handle the packaged menu entry and icons instead.
        for (Path script : List.of(postinst, prerm, unpacked.resolve("control/preinst"),
                unpacked.resolve("control/postrm"))) {
            assertThat(Files.readAllLines(script)).as(script.toString())
                    .noneMatch(l -> !l.strip().startsWith("#") && l.contains("xdg-"));
        }
        // The link's target is in the payload.
        assertThat(unpacked.resolve("root/opt/etl-stream/bin/etl-stream-cli")).isExecutable();
    }

    @Test
    void copyrightWhereDebianLooksAndMd5sumsOfEveryFile() throws IOException {
        Path root = unpacked.resolve("root");
        assertThat(root.resolve("usr/share/doc/etl-stream/copyright")).content()
                .contains("Copyright: etl-stream contributors");
        Path md5sums = unpacked.resolve("control/md5sums");
        List<String> lines = Files.readAllLines(md5sums);
        assertThat(lines).anyMatch(l -> l.endsWith("  opt/etl-stream/bin/etl-stream-cli"))
                .anyMatch(l -> l.endsWith("  opt/etl-stream/lib/runtime/lib/server/libjvm.so"))
                .anyMatch(l -> l.endsWith("  " + DESKTOP))
                .anyMatch(l -> l.endsWith("  " + iconPath(256)));
        long files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).count();
        }
        assertThat(lines).as("one line per file of the payload").hasSize((int) files);
        // dpkg wants names relative to the root, without "./" or "/".
        assertThat(lines).allMatch(l -> l.matches("\\p{XDigit}{32}  [^./].*"));
        Run check = Run.of(List.of("sh", "-c", "cd \"$1\" && md5sum --quiet -c \"$2\"", "sh", root.toString(),
                md5sums.toString()), null, null, 120);
        assertThat(check.exitCode()).as(check.describe()).isZero();
    }

    @Test
    void unpackedPayloadRunsTheCli() {
        Path cli = unpacked.resolve("root/opt/etl-stream/bin/etl-stream-cli");
        Run r = Run.of(cli, "--version");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.out().strip()).isEqualTo("etl-stream " + VERSION);
    }

    @Test
    void unpackedPayloadRunsDoctorAgainstARealPostgres(@TempDir Path tmp) throws IOException {
        CliOnPostgres.assertDoctorAndPipelineList(unpacked.resolve("root/opt/etl-stream/bin/etl-stream-cli"), tmp);
    }
}
