package io.etlstream.app.main;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.bridge.SnapshotBridge;
import io.etlstream.app.concurrent.CatchingExecutors;
import io.etlstream.app.theme.Appearance;
import io.etlstream.app.theme.Theme;
import io.etlstream.home.EtlHome;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.stage.Stage;
import org.testfx.api.FxRobot;

/**
 * The main window of the main-window tests: on a fresh stage over the rows a directory gives, in the light theme,
 * with whatever the bridge's executor could not handle collected and checked empty when it closes.
 */
final class MainWindowFixture {

    final List<Throwable> unhandled = new CopyOnWriteArrayList<>();
    final Appearance appearance = new Appearance(Theme.LIGHT);
    final SnapshotBridge bridge;
    final MainWindow window;

    /** Call from the test's {@code @Start}; the stage is not shown yet. */
    MainWindowFixture(Path home, PipelineDirectory rows, Runnable quit) {
        // A fresh stage per test: the primary stage is shared across tests and would keep old windows' handlers.
        Stage stage = new Stage();
        bridge = new SnapshotBridge(CatchingExecutors.newScheduler("test-bridge", (t, e) -> unhandled.add(e)));
        window = new MainWindow(stage, new EtlHome(home), rows, bridge, appearance, quit);
    }

    /** Call from the test's {@code @AfterEach}. */
    void close() throws Exception {
        org.testfx.api.FxToolkit.cleanupStages();
        bridge.close();
        assertThat(unhandled).isEmpty();
    }

    static MenuItem menuItem(FxRobot robot, String id) {
        return robot.lookup(".menu-bar").queryAs(MenuBar.class).getMenus().stream()
                .flatMap(menu -> menu.getItems().stream())
                .filter(item -> id.equals(item.getId()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no menu item #" + id));
    }
}
