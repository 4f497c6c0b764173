package io.etlstream.installers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the image's GUI launcher on a virtual X display (Xvfb, GTK 3 as on a desktop) and waits for the console's
 * main window. Needs the Xvfb and xwininfo commands (Debian: apt-get install xvfb x11-utils); without them the test
 * is reported as skipped with that reason.
 */
class ConsoleOnXvfbTest {

    /** {@code 0x1c00007 "etl-stream": ("name" "class")} in {@code xwininfo -root -tree}. */
    static final Pattern MAIN_WINDOW =
            Pattern.compile("(0x\\p{XDigit}+) \"etl-stream\": \\(\"([^\"]*)\" \"([^\"]*)\"\\)");

    @Test
    void consoleOpensItsMainWindowAndStopsOnSigterm(@TempDir Path tmp) throws Exception {
        assertConsoleOpensAndStops(AppImageTest.console(), tmp.resolve("home"), "console-xvfb.png");
    }

    /**
     * Starts {@code launcher} (the image's or an installed one) on a new Xvfb display with a new home, waits for the
     * drawn main window, then stops it with SIGTERM; skipped (with the reason) where Xvfb or xwininfo is missing.
     */
    static void assertConsoleOpensAndStops(Path launcher, Path home, String screenshot) throws Exception {
        assumeTrue(onPath("Xvfb") && onPath("xwininfo"), "Xvfb or xwininfo is not installed (apt-get install xvfb"
                + " x11-utils): the console's window was not checked on this machine");
        Process xvfb = new ProcessBuilder("Xvfb", "-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten",
                "tcp").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Process console = null;
        try {
            String number = new BufferedReader(new InputStreamReader(xvfb.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertThat(number).as("Xvfb -displayfd printed its display number").isNotBlank();
            String display = ":" + number.strip();
            ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--home", home.toString());
            pb.environment().put("DISPLAY", display);
            pb.environment().remove("WAYLAND_DISPLAY");
            console = pb.start();
            Run.Drain out = new Run.Drain(console.getInputStream());
            Run.Drain err = new Run.Drain(console.getErrorStream());

            Matcher window = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (window == null && System.nanoTime() < deadline && console.isAlive()) {
                Run tree = Run.of(List.of("xwininfo", "-root", "-tree"), null, Map.of("DISPLAY", display), 30);
                Matcher m = MAIN_WINDOW.matcher(tree.out());
                // The tree lists a window as soon as it exists; wait until it is mapped.
                if (m.find() && Run.of(List.of("xwininfo", "-id", m.group(1)), null, Map.of("DISPLAY", display), 30)
                        .out().contains("Map State: IsViewable")) {
                    window = m;
                } else {
                    Thread.sleep(500);
                }
            }
            assertThat(window).as("a viewable window titled etl-stream on " + display + "; console stdout: "
                    + out.snapshot() + " stderr: " + err.snapshot()).isNotNull();
            // JavaFX names the stage's window class after the Application class; linux/resources/etl-stream.desktop's
            // StartupWMClass must match it for docks to put the window under the menu entry's icon.
            assertThat(window.group(3)).isEqualTo("io.etlstream.app.EtlStreamApp");
            assertRendered(display, deadline, screenshot);

            console.destroy();
            assertThat(console.waitFor(90, TimeUnit.SECONDS)).as("console ended within 90 s of SIGTERM").isTrue();
            assertThat(err.text()).as("console stderr").doesNotContain("Exception", "error:");
            assertThat(console.exitValue()).isIn(0, 143);
        } finally {
            if (console != null && console.isAlive()) {
                console.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            xvfb.destroy();
            xvfb.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Takes a picture of the virtual screen (kept in target/screenshots for a person to look at) until it shows more
     * than a blank window, when ImageMagick's import is there; the window is mapped before the scene is drawn.
     */
    static void assertRendered(String display, long deadline, String screenshot) throws IOException, InterruptedException {
        if (!onPath("import")) {
            System.out.println("ImageMagick's import is not installed: the console's rendering was not checked");
            return;
        }
        Path dir = Path.of(System.getProperty("installers.screenshots", "target/screenshots"));
        Files.createDirectories(dir);
        Path shot = dir.resolve(screenshot);
        int colours = 0;
        while (System.nanoTime() < deadline) {
            Thread.sleep(1_000);
            Run r = Run.of(List.of("import", "-window", "root", shot.toString()), null, Map.of("DISPLAY", display), 60);
            assertThat(r.exitCode()).as(r.describe()).isZero();
            colours = distinctColours(ImageIO.read(shot.toFile()));
            if (colours > 50) {
                return;
            }
        }
        assertThat(colours).as("distinct colours on the screen in " + shot + " (a drawn console has text,"
                + " borders and buttons)").isGreaterThan(50);
    }

    static int distinctColours(BufferedImage image) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                seen.add(image.getRGB(x, y));
            }
        }
        return seen.size();
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
