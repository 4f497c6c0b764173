package io.etlstream.app.error;

import io.etlstream.app.theme.Appearance;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import javafx.application.Platform;
import javafx.stage.Stage;
import javafx.stage.Window;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handler every unhandled failure in the console ends at: logs it and shows it in the error window on
 * the FX thread. A failure that repeats while its window is open does not open a second one.
 */
public final class ErrorWindows implements Thread.UncaughtExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorWindows.class);

    private final Appearance appearance;
    private final Supplier<Window> owner;
    /** Codes with an open window; FX thread only. */
    private final Set<ErrorCode> open = new HashSet<>();

    public ErrorWindows(Appearance appearance, Supplier<Window> owner) {
        this.appearance = Objects.requireNonNull(appearance);
        this.owner = Objects.requireNonNull(owner);
    }

    @Override
    public void uncaughtException(Thread thread, Throwable failure) {
        ErrorReport report = ErrorReport.of(failure);
        LOG.error("Unhandled failure {} on thread {}", report.code(), thread.getName(), failure);
        if (Platform.isFxApplicationThread()) {
            show(report);
        } else {
            Platform.runLater(() -> show(report));
        }
    }

    private void show(ErrorReport report) {
        if (!open.add(report.code())) {
            return;
        }
        Stage stage = ErrorWindow.create(report, owner.get(), appearance);
        stage.setOnHidden(e -> open.remove(report.code()));
        stage.show();
    }
}
