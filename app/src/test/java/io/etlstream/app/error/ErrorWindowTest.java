package io.etlstream.app.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.UserFacingException;
import io.etlstream.app.testing.Screenshots;
import io.etlstream.app.theme.Appearance;
import java.util.concurrent.atomic.AtomicReference;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TextArea;
import javafx.scene.input.Clipboard;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

@ExtendWith(ApplicationExtension.class)
class ErrorWindowTest {

    private final ErrorReport report = ErrorReport.of(new IllegalStateException("opening the catalog failed",
            new UserFacingException("The home /srv/etl is already used by another etl-stream engine (pid 4242). "
                    + "Stop that engine, or start this one with another --home.")));
    private Stage errorStage;

    @Start
    void start(Stage stage) {
        errorStage = ErrorWindow.create(report, null, new Appearance());
        errorStage.show();
    }

    @Test
    void showsSummaryNextStepAndCodeAndCopiesTheDetails(FxRobot robot) {
        assertThat(robot.lookup(".error-summary").queryAs(Label.class).getText())
                .startsWith("The home /srv/etl is already used by another etl-stream engine");
        assertThat(robot.lookup(".error-code").queryAs(Label.class).getText()).isEqualTo(report.code().value());
        assertThat(robot.lookup(".error-details").queryAs(TextArea.class).getText()).contains("opening the catalog failed");
        Screenshots.save(errorStage.getScene().getRoot(), "error.png");

        Button copy = robot.lookup("Copy details").queryAs(Button.class);
        robot.clickOn(copy);
        WaitForAsyncUtils.waitForFxEvents();

        AtomicReference<String> clip = new AtomicReference<>();
        robot.interact(() -> clip.set(Clipboard.getSystemClipboard().getString()));
        assertThat(clip.get()).contains("Error code: " + report.code().value()).contains("UserFacingException");
        assertThat(copy.getText()).isEqualTo("Copied to clipboard");

        robot.clickOn("Close");
        assertThat(errorStage.isShowing()).isFalse();
    }

    @Test
    void unhandledFailuresFromAnyThreadOpenOneWindowPerErrorCode(FxRobot robot) throws Exception {
        ErrorWindows handler = new ErrorWindows(new Appearance(), () -> null);
        long before = openErrorWindows(robot);
        IllegalStateException bug = new IllegalStateException("bug in a background job");
        Thread worker = new Thread(() -> {
            handler.uncaughtException(Thread.currentThread(), bug);
            handler.uncaughtException(Thread.currentThread(), bug);
        });
        worker.start();
        worker.join();
        WaitForAsyncUtils.waitForFxEvents();

        assertThat(openErrorWindows(robot)).isEqualTo(before + 1);
        assertThat(robot.lookup("Something went wrong inside etl-stream (IllegalStateException).").tryQuery()).isPresent();
    }

    private static long openErrorWindows(FxRobot robot) {
        return robot.listWindows().stream()
                .filter(w -> w instanceof Stage s && s.isShowing() && "etl-stream \u2014 error".equals(s.getTitle()))
                .count();
    }
}
