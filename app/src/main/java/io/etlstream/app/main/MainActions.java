package io.etlstream.app.main;

import java.util.Objects;

/** What the main window's menus do; the window wires these to the app, tests to recorders. */
public record MainActions(Runnable quit, Runnable refresh, Runnable about, Runnable newPipeline) {
    public MainActions {
        Objects.requireNonNull(quit, "quit");
        Objects.requireNonNull(refresh, "refresh");
        Objects.requireNonNull(about, "about");
        Objects.requireNonNull(newPipeline, "newPipeline");
    }
}
