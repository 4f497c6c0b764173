package io.etlstream.app;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import javafx.application.Application;

/**
 * Entry point of the console. A separate class because a main class that extends {@code Application}
 * refuses to start from the classpath ("JavaFX runtime components are missing").
 * Exit codes: 0 closed normally, 1 could not start (the error window said why), 2 usage error.
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
        Application.launch(EtlStreamApp.class, args);
        // The FX toolkit leaves non-daemon threads behind on some platforms; the exit code must reach the shell.
        System.exit(EtlStreamApp.exitCode());
    }
}
