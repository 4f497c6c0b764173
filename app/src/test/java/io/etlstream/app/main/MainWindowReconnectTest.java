package io.etlstream.app.main;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.testing.Screenshots;
import io.etlstream.app.theme.Appearance;
import io.etlstream.app.theme.Theme;
import io.etlstream.pipeline.PipelineError;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.SourceReconnect;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.pipeline.TableStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javafx.css.PseudoClass;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.TableCell;
import javafx.scene.paint.Color;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * A source that lost PostgreSQL shows as a warning in the list and above the charts, and goes once it is back; next to
 * a failure the status column shows both; a source that never connected says it cannot connect.
 */
@ExtendWith(ApplicationExtension.class)
class MainWindowReconnectTest {

    @TempDir
    static Path home;

    private static final Instant NOW = Instant.parse("2026-11-27T07:00:00Z");
    private static final AtomicReference<PipelineStatus> STATUS = new AtomicReference<>();

    private static final String EXPECTED_NOTICE = "Reconnecting to PostgreSQL (3 failed attempts, next in 4 s):"
            + " Connection to db:5432 refused. The pipeline keeps running and picks up again on its own; if this lasts,"
            + " check that the PostgreSQL server is up and reachable from this machine.";

    private MainWindowFixture fixture;
    private Appearance appearance;
    private MainWindow window;

    @Start
    void start(Stage primary) {
        STATUS.set(status(new SourceReconnect(3, "Connection to db:5432 refused", NOW.plusSeconds(4),
                NOW.minusSeconds(20))));
        // The rows come through PipelineRows like an engine's, at a fixed "now" so "next in 4 s" is stable.
        fixture = new MainWindowFixture(home, () -> PipelineRows.of(List.of(STATUS.get()),
                Map.of("orders", new ConsoleEngine.Endpoints("shop-db (db:5432/shop)", "analytics (ACME.RAW)")), NOW),
                () -> {});
        appearance = fixture.appearance;
        window = fixture.window;
        window.stage().setWidth(1100);
        window.stage().show();
    }

    @AfterEach
    void tearDown() throws Exception {
        fixture.close();
    }

    @Test
    void aReconnectingSourceIsAWarningInTheListAndAboveTheChartsUntilItIsBack(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> notice(robot).isVisible());
        WaitForAsyncUtils.waitForFxEvents();

        String expectedNotice = EXPECTED_NOTICE;
        TableCell<?, ?> cell = statusCell(robot);
        assertThat(cell.getText()).isEqualTo("Streaming \u2014 reconnecting");
        assertThat(cell.getPseudoClassStates()).contains(PseudoClass.getPseudoClass("warning"));
        assertThat(cell.getTooltip().getText()).isEqualTo(expectedNotice);
        assertThat(notice(robot).getText()).isEqualTo(expectedNotice);
        assertThat(notice(robot).getHeight()).as("the whole notice shows, wrapped, not cut")
                .isGreaterThan(notice(robot).getFont().getSize() * 2);

        Color light = textColour(cell);
        Color normal = textColour(robot.lookup(".table-cell")
                .match((Node n) -> n instanceof TableCell<?, ?> c && "orders".equals(c.getText()))
                .queryAs(TableCell.class));
        assertThat(light).as("the warning is coloured unlike the other cells").isNotEqualTo(normal);
        Screenshots.save(window.stage().getScene().getRoot(), "main-reconnecting.png");

        robot.interact(() -> appearance.setTheme(Theme.DARK));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(textColour(statusCell(robot))).as("the dark theme has its own warning colour").isNotEqualTo(light);
        Screenshots.save(window.stage().getScene().getRoot(), "main-reconnecting-dark.png");

        STATUS.set(status(null));
        robot.interact(() -> menuRefresh(robot));
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !notice(robot).isVisible());
        WaitForAsyncUtils.waitForFxEvents();

        assertThat(notice(robot).getText()).isEmpty();
        assertThat(notice(robot).isManaged()).as("takes no room once the source is back").isFalse();
        TableCell<?, ?> back = statusCell(robot);
        assertThat(back.getText()).isEqualTo("Streaming");
        assertThat(back.getPseudoClassStates()).doesNotContain(PseudoClass.getPseudoClass("warning"));
        assertThat(back.getTooltip().getText()).isEqualTo("Streaming");
        Screenshots.save(window.stage().getScene().getRoot(), "main-reconnected.png");
    }

    @Test
    void aFailureNextToAReconnectShowsBothInTheStatusColumnAndItsTooltip(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> notice(robot).isVisible());
        WaitForAsyncUtils.waitForFxEvents();
        Color warning = textColour(statusCell(robot));
        SourceReconnect reconnect = STATUS.get().sourceReconnect();

        PipelineError error = new PipelineError(NOW.minusSeconds(5), "Snowflake rejected the key of user ETL",
                "register the public key with ALTER USER ETL SET RSA_PUBLIC_KEY, then start the pipeline", true);
        STATUS.set(status(PipelineState.FAILED, TablePhase.STREAMING, null, error, reconnect));
        robot.interact(() -> menuRefresh(robot));
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> statusCell(robot).getText().startsWith("Failed"));
        WaitForAsyncUtils.waitForFxEvents();

        String failed = "Failed (source reconnecting): Snowflake rejected the key of user ETL \u2014 register the"
                + " public key with ALTER USER ETL SET RSA_PUBLIC_KEY, then start the pipeline";
        String failedNotice = "Reconnecting to PostgreSQL (3 failed attempts, next in 4 s): Connection to db:5432"
                + " refused. The source keeps trying on its own, but the pipeline has failed for the reason in its"
                + " status.";
        TableCell<?, ?> cell = statusCell(robot);
        assertThat(cell.getText()).isEqualTo(failed);
        assertThat(cell.getTooltip().getText()).as("the failure in full, then the reconnect")
                .isEqualTo(failed + "\n\n" + failedNotice);
        assertThat(cell.getPseudoClassStates()).contains(PseudoClass.getPseudoClass("problem"))
                .doesNotContain(PseudoClass.getPseudoClass("warning"));
        assertThat(textColour(cell)).as("a failure is coloured unlike a reconnect alone").isNotEqualTo(warning);
        assertThat(notice(robot).getText()).isEqualTo(failedNotice);
        Screenshots.save(window.stage().getScene().getRoot(), "main-failed-reconnecting.png");

        STATUS.set(status(PipelineState.STREAMING, TablePhase.ERRORED, "Stopped table public.orders: the value is"
                + " too long.", null, reconnect));
        robot.interact(() -> menuRefresh(robot));
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> statusCell(robot).getText().contains("stopped"));
        WaitForAsyncUtils.waitForFxEvents();

        String stopped = "Streaming \u2014 reconnecting \u2014 table public.orders stopped: Stopped table"
                + " public.orders: the value is too long. To bring it back: etl-stream pipeline resync orders --table"
                + " public.orders";
        TableCell<?, ?> tableStopped = statusCell(robot);
        assertThat(tableStopped.getText()).isEqualTo(stopped);
        assertThat(tableStopped.getTooltip().getText()).isEqualTo(stopped + "\n\n" + EXPECTED_NOTICE);
        assertThat(tableStopped.getPseudoClassStates()).contains(PseudoClass.getPseudoClass("problem"))
                .doesNotContain(PseudoClass.getPseudoClass("warning"));
        Screenshots.save(window.stage().getScene().getRoot(), "main-table-stopped-reconnecting.png");
    }

    @Test
    void aSourceThatNeverConnectedSaysItCannotConnectWithWhatToCheck(FxRobot robot) throws Exception {
        String refused = "connection to db:5432 was refused: check the port (PostgreSQL's default is 5432), that"
                + " PostgreSQL is running, and that listen_addresses in postgresql.conf includes the address you"
                + " connect to";
        STATUS.set(status(new SourceReconnect(2, refused, NOW.plusSeconds(4), NOW.minusSeconds(2), true)));
        robot.interact(() -> menuRefresh(robot));
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> statusCell(robot).getText().endsWith("cannot connect"));
        WaitForAsyncUtils.waitForFxEvents();

        String expected = "Cannot connect to PostgreSQL (2 failed attempts, next in 4 s): " + refused + ". The source"
                + " has not reached the server since the pipeline started (nothing was lost); it keeps trying on its"
                + " own and starts once the server answers.";
        TableCell<?, ?> cell = statusCell(robot);
        assertThat(cell.getText()).isEqualTo("Streaming \u2014 cannot connect");
        assertThat(cell.getTooltip().getText()).isEqualTo(expected);
        assertThat(cell.getPseudoClassStates()).contains(PseudoClass.getPseudoClass("warning"));
        assertThat(notice(robot).getText()).isEqualTo(expected).doesNotContain("Reconnecting");
        Screenshots.save(window.stage().getScene().getRoot(), "main-cannot-connect.png");
    }

    private static PipelineStatus status(SourceReconnect reconnect) {
        return status(PipelineState.STREAMING, TablePhase.STREAMING, null, null, reconnect);
    }

    private static PipelineStatus status(PipelineState state, TablePhase phase, String tableError,
            PipelineError error, SourceReconnect reconnect) {
        return new PipelineStatus("orders", "pg", "sf", state, true, PipelineSettings.DEFAULTS,
                List.of(new TableStatus(TableRef.parse("public.orders"), phase, 0, 0, 0, 0, tableError)), 0, 2048,
                1.5, 120, 0, 0, 0, 0, 0, null, error, NOW.minusSeconds(600), 1, reconnect);
    }

    private static Label notice(FxRobot robot) {
        return robot.lookup(".source-notice").queryAs(Label.class);
    }

    private static TableCell<?, ?> statusCell(FxRobot robot) {
        return robot.lookup(".status-cell").match((Node n) -> n instanceof TableCell<?, ?> c && !c.isEmpty())
                .queryAs(TableCell.class);
    }

    private static Color textColour(TableCell<?, ?> cell) {
        cell.applyCss();
        return (Color) cell.getTextFill();
    }

    private static void menuRefresh(FxRobot robot) {
        MainWindowFixture.menuItem(robot, "refreshItem").fire();
    }
}
