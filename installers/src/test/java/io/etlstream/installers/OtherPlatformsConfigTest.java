package io.etlstream.installers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What can be checked on Linux of the .msi and .dmg configuration, which is never built here: the argument files
 * as Maven filtered them, and the Windows and macOS icons' structure.
 */
class OtherPlatformsConfigTest {

    static final Path CONFIG = Path.of(AppImageTest.required("installers.config"));

    /**
     * jpackage reads a backslash inside a quoted argument-file value as an escape, so a Maven path (backslashes on
     * Windows) must never be written into one; the pom passes paths as plain arguments. Linux's own package.args
     * may keep its --resource-dir: it is read on Linux only.
     */
    @Test
    void argumentFilesHoldNoMavenPathsAndNoUnresolvedProperties() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(CONFIG)) {
            files = s.filter(p -> p.toString().endsWith(".args")).sorted().toList();
        }
        assertThat(files).extracting(p -> CONFIG.relativize(p).toString()).contains("app-image.args",
                "linux/app-image.args", "linux/package.args", "windows/app-image.args", "windows/package.args",
                "mac/app-image.args", "mac/package.args");
        String buildDir = CONFIG.getParent().getParent().toString();
        for (Path file : files) {
            List<String> args = Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .toList();
            assertThat(args).as(file.toString()).noneMatch(l -> l.contains("${"));
            if (!file.equals(CONFIG.resolve("linux/package.args"))) {
                assertThat(args).as(file + " must not hold a path of the build").noneMatch(l -> l.contains(buildDir));
            }
        }
        assertThat(Files.readString(CONFIG.resolve("windows/package.args"))).contains("--type msi",
                "--win-upgrade-uuid 3f0b5c1e-8d2a-4c7e-9b61-5a4e2d7c9f10", "--win-menu", "--win-shortcut");
        assertThat(Files.readString(CONFIG.resolve("windows/cli.properties"))).contains("win-console=true",
                "main-class=io.etlstream.cli.EtlStreamCommand");
        // macOS refuses an app version whose first number is 0; the mac profile prefixes a 1 (0.1.0 -> 10.1.0).
        assertThat(Files.readString(CONFIG.resolve("mac/package.args"))).contains("--type dmg",
                "--mac-package-identifier io.etlstream.console");
    }

    /** The .ico holds 16 to 256 px images; each directory entry points at a bitmap or PNG inside the file. */
    @Test
    void windowsIconHoldsEverySize() throws IOException {
        ByteBuffer ico = ByteBuffer.wrap(Files.readAllBytes(CONFIG.resolve("windows/etl-stream.ico")))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(ico.getShort(0)).isZero();
        assertThat(ico.getShort(2)).as("type 1 = icon").isEqualTo((short) 1);
        int count = ico.getShort(4);
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int entry = 6 + 16 * i;
            int width = Byte.toUnsignedInt(ico.get(entry));
            sizes.add(width == 0 ? 256 : width);
            int length = ico.getInt(entry + 8);
            int offset = ico.getInt(entry + 12);
            assertThat((long) offset + length).as("image " + i + " inside the file").isLessThanOrEqualTo(ico.limit());
            boolean png = ico.getInt(offset) == 0x474e5089; // \x89PNG little-endian
            boolean bmp = ico.getInt(offset) == 40; // BITMAPINFOHEADER size
            assertThat(png || bmp).as("image " + i + " is a PNG or a bitmap").isTrue();
        }
        assertThat(sizes).containsExactlyInAnyOrder(16, 32, 48, 64, 128, 256);
    }

    /** The .icns length adds up and holds the PNG entries macOS uses for 128 to 1024 px. */
    @Test
    void macIconHoldsPngEntriesUpTo1024() throws IOException {
        ByteBuffer icns = ByteBuffer.wrap(Files.readAllBytes(CONFIG.resolve("mac/etl-stream.icns")));
        assertThat(new String(icns.array(), 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("icns");
        assertThat(icns.getInt(4)).as("declared length").isEqualTo(icns.limit());
        List<String> entries = new ArrayList<>();
        int at = 8;
        while (at < icns.limit()) {
            String type = new String(icns.array(), at, 4, java.nio.charset.StandardCharsets.US_ASCII);
            int length = icns.getInt(at + 4);
            assertThat(length).as(type + " length").isGreaterThan(8);
            assertThat(icns.getLong(at + 8)).as(type + " is a PNG").isEqualTo(0x89504e470d0a1a0aL);
            int width = icns.getInt(at + 24);
            entries.add(type + ":" + width);
            at += length;
        }
        assertThat(at).isEqualTo(icns.limit());
        assertThat(entries).containsExactly("ic07:128", "ic08:256", "ic09:512", "ic10:1024");
    }
}
