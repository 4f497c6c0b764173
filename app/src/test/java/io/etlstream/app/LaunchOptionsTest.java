package io.etlstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.home.EtlHome;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LaunchOptionsTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int handle(String... args) {
        return LaunchOptions.handleBeforeLaunch(args, new PrintWriter(out), new PrintWriter(err));
    }

    @Test
    void homeFollowsTheCliRules() {
        Path dir = Path.of("/tmp/etl-console-home");
        assertThat(LaunchOptions.parse(List.of("--home", dir.toString())).home()).isEqualTo(new EtlHome(dir));
        assertThat(LaunchOptions.parse(List.of()).home()).isEqualTo(EtlHome.resolve(null, System.getenv()));
    }

    @Test
    void aHomeOpensTheWindow() {
        assertThat(handle("--home", "/tmp/x")).isEqualTo(LaunchOptions.LAUNCH);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void anUnknownOptionIsAUsageErrorWithExitCodeTwo() {
        assertThat(handle("--hom", "/tmp/x")).isEqualTo(2);
        assertThat(err.toString()).contains("error: Unknown option").contains("'--hom'").contains("--home=DIR");
    }

    @Test
    void helpAndVersionPrintAndExitWithoutAWindow() {
        assertThat(handle("--help")).isZero();
        assertThat(out.toString()).contains("Opens the etl-stream console window");
        assertThat(handle("--version")).isZero();
        assertThat(out.toString()).containsPattern("etl-stream \\d+\\.\\d+\\.\\d+");
    }

    @Test
    void aDesktopThatCannotShowWindowsIsToldWhatToDo() {
        assertThat(Launcher.describeToolkitFailure(new UnsupportedOperationException("Unable to open DISPLAY")))
                .contains("no graphical display").contains("headless etl-stream command line");
        assertThat(Launcher.describeToolkitFailure(new RuntimeException("launch failed",
                        new UnsupportedOperationException("Unable to load glass GTK library."))))
                .contains("apt-get install libgtk-3-0");
        assertThat(Launcher.describeToolkitFailure(new IllegalStateException("odd")))
                .contains("IllegalStateException: odd").contains("bug report");
    }
}
