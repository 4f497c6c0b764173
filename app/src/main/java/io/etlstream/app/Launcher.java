package io.etlstream.app;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import javafx.application.Application;

/**
 * Entry point of the console. A separate class because a main class that extends {@code Application}
 * refuses to start from the classpath ("JavaFX runtime components are missing").
 * Exit codes: 0 closed normally, 1 could not start (the error window or stderr said why), 2 usage error.
 */
public final class Launcher {

    private Launcher() {}

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int early = LaunchOptions.handleBeforeLaunch(args, out, err);
        if (early != LaunchOptions.LAUNCH) {
            System.exit(early);
        }
        try {
            Application.launch(EtlStreamApp.class, args);
        } catch (RuntimeException e) {
            // No window could open, so there is no error window either: say it on stderr.
            err.println("error: " + describeToolkitFailure(e));
            e.printStackTrace(err);
            err.flush();
            System.exit(1);
        }
        // The FX toolkit leaves non-daemon threads behind on some platforms; the exit code must reach the shell.
        System.exit(EtlStreamApp.exitCode());
    }

    /** What to tell a user whose desktop cannot show the console at all. */
    static String describeToolkitFailure(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            all.append(t.getMessage()).append(' ');
        }
        String text = all.toString().toLowerCase(Locale.ROOT);
        if (text.contains("display")) {
            return "cannot open the console window: no graphical display (" + failure.getMessage() + "). "
                    + "Run the console inside a desktop session (DISPLAY or WAYLAND_DISPLAY set); "
                    + "on a server use the headless etl-stream command line instead.";
        }
        if (text.contains("gtk")) {
            return "cannot open the console window: " + failure.getMessage() + ". "
                    + "The console needs GTK 3: install it (Debian/Ubuntu: apt-get install libgtk-3-0) and start again.";
        }
        return "cannot open the console window: " + failure + ". Copy this output into a bug report.";
    }
}
