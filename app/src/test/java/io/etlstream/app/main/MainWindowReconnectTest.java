package io.etlstream.app.main;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.bridge.SnapshotBridge;
import io.etlstream.app.concurrent.CatchingExecutors;
import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.testing.Screenshots;
import io.etlstream.app.theme.Appearance;
import io.etlstream.app.theme.Theme;
import io.etlstream.home.EtlHome;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javafx.css.PseudoClass;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.MenuBar;
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

/** A source that lost PostgreSQL shows as a warning in the list and above the charts, and goes once it is back. */
@ExtendWith(ApplicationExtension.class)
class MainWindowReconnectTest {

    @TempDir
    static Path home;

    private static final Instant NOW = Instant.parse("2026-11-27T07:00:00Z");
    private static final AtomicReference<PipelineStatus> STATUS = new AtomicReference<>();

    private final List<Throwable> unhandled = new CopyOnWriteArrayList<>();
    private final Appearance appearance = new Appearance(Theme.LIGHT);
    private SnapshotBridge bridge;
    private MainWindow window;

    @Start
    void start(Stage primary) {
        Stage stage = new Stage();
        STATUS.set(status(new SourceReconnect(3, "Connection to db:5432 refused", NOW.plusSeconds(4),
                NOW.minusSeconds(20))));
        bridge = new SnapshotBridge(CatchingExecutors.newScheduler("test-bridge", (t, e) -> unhandled.add(e)));
        // The rows come through PipelineRows like an engine's, at a fixed "now" so "next in 4 s" is stable.
        window = new MainWindow(stage, new EtlHome(home), () -> PipelineRows.of(List.of(STATUS.get()),
                Map.of("orders", new ConsoleEngine.Endpoints("shop-db (db:5432/shop)", "analytics (ACME.RAW)")), NOW),
                bridge, appearance, () -> {});
        stage.setWidth(1100);
        stage.show();
    }

    @AfterEach
    void tearDown() throws Exception {
        org.testfx.api.FxToolkit.cleanupStages();
        bridge.close();
        assertThat(unhandled).isEmpty();
    }

    @Test
    void aReconnectingSourceIsAWarningInTheListAndAboveTheChartsUntilItIsBack(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> notice(robot).isVisible());
        WaitForAsyncUtils.waitForFxEvents();

        String expectedNotice = "Reconnecting to PostgreSQL (3 failed attempts, next in 4 s): Connection to db:5432"
                + " refused. The pipeline keeps running and picks up again on its own; if this lasts, check that the"
                + " PostgreSQL server is up and reachable from this machine.";
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

    private static PipelineStatus status(SourceReconnect reconnect) {
        return new PipelineStatus("orders", "pg", "sf", PipelineState.STREAMING, true, PipelineSettings.DEFAULTS,
                List.of(new TableStatus(TableRef.parse("public.orders"), TablePhase.STREAMING, 0, 0)), 0, 2048, 1.5,
                120, 0, 0, 0, 0, 0, null, null, NOW.minusSeconds(600), 1, reconnect);
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
        robot.lookup(".menu-bar").queryAs(MenuBar.class).getMenus().stream()
                .flatMap(menu -> menu.getItems().stream())
                .filter(item -> "refreshItem".equals(item.getId()))
                .findFirst().orElseThrow().fire();
    }
}
