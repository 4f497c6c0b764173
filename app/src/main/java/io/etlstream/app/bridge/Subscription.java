package io.etlstream.app.bridge;

/** An active feed from the engine into FX properties; {@link #close()} stops it (a window calls it when hidden). */
public interface Subscription extends AutoCloseable {

    /** Samples once more as soon as possible, e.g. after the user changed something. */
    void refreshNow();

    boolean isActive();

    @Override
    void close();
}
