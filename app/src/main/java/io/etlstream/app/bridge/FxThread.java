package io.etlstream.app.bridge;

import javafx.application.Platform;

/** Guards for code that must (or must not) run on the FX application thread. */
public final class FxThread {

    private FxThread() {}

    /** Throws when called off the FX application thread: FX properties bound to controls may only change there. */
    public static void require() {
        if (!Platform.isFxApplicationThread()) {
            throw new IllegalStateException(
                    "must run on the JavaFX application thread, not on " + Thread.currentThread().getName());
        }
    }
}
