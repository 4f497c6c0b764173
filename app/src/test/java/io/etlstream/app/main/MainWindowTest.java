package io.etlstream.app.main;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.bridge.SnapshotBridge;
import io.etlstream.app.testing.Screenshots;
import io.etlstream.app.theme.Appearance;
import io.etlstream.app.theme.Theme;
import io.etlstream.home.EtlHome;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javafx.scene.control.Label;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.layout.Background;
import javafx.scene.layout.Region;
import javafx.scene.paint.Paint;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

@ExtendWith(ApplicationExtension.class)
class MainWindowTest {

    @TempDir
    static Path home;

    private static final List<PipelineRow> CATALOG = new CopyOnWriteArrayList<>();

    private MainWindowFixture fixture;
    private Appearance appearance;
    private SnapshotBridge bridge;
    private MainWindow window;
    private int quits;

    @Start
    void start(Stage primary) {
        CATALOG.clear();
        fixture = new MainWindowFixture(home, () -> List.copyOf(CATALOG), () -> quits++);
        appearance = fixture.appearance;
        bridge = fixture.bridge;
        window = fixture.window;
        window.stage().show();
    }

    @AfterEach
    void tearDown() throws Exception {
        fixture.close();
    }

    @Test
    void anEmptyHomeShowsTheEmptyStateInsideAnEmptyTable(FxRobot robot) throws Exception {
        waitForState(PipelineListViewModel.State.EMPTY);

        TableView<?> table = robot.lookup(".pipeline-table").queryAs(TableView.class);
        assertThat(table.getItems()).isEmpty();
        assertThat(table.isVisible()).isTrue();
        assertThat(robot.lookup(".empty-state-title").queryAs(Label.class).getText()).isEqualTo("No pipelines yet");
        TextField command = robot.lookup(".command").queryAs(TextField.class);
        assertThat(command.getText()).isEqualTo("etl-stream --home " + new EtlHome(home).dir() + " pipeline create");
        assertThat(command.isVisible()).isTrue();
        assertThat(window.stage().getTitle()).isEqualTo("etl-stream");
        assertThat(window.stage().getIcons()).as("the window icons from ui-resources").hasSize(6)
                .allMatch(i -> !i.isError() && i.getWidth() > 0);
        assertThat(menuTexts(robot)).containsExactly("_File", "_Pipelines", "_View", "_Help");

    }

    @Test
    void aPipelineInTheCatalogAppearsInTheTable(FxRobot robot) throws Exception {
        waitForState(PipelineListViewModel.State.EMPTY);
        CATALOG.add(new PipelineRow("orders-to-snowflake", "shop-db (postgres://db:5432/shop)", "analytics (ACME.ANALYTICS)", "STOPPED"));

        robot.interact(() -> menuItem(robot, "refreshItem").fire());
        waitForState(PipelineListViewModel.State.LIST);

        TableView<?> table = robot.lookup(".pipeline-table").queryAs(TableView.class);
        assertThat(table.getItems()).hasSize(1);
        assertThat(robot.lookup("orders-to-snowflake").tryQuery()).isPresent();
        assertThat(robot.lookup(".status-text").queryAs(Label.class).getText()).startsWith("1 pipeline \u00b7 home ");
    }

    @Test
    void theViewMenuSwitchesBetweenLightAndDarkStylesheets(FxRobot robot) throws Exception {
        waitForState(PipelineListViewModel.State.EMPTY);
        Region root = (Region) window.stage().getScene().getRoot();
        Paint lightBackground = background(root);
        assertThat(window.stage().getScene().getStylesheets()).contains(Theme.LIGHT.tokenStylesheet());

        robot.clickOn("#viewMenu");
        robot.clickOn("#darkTheme");
        WaitForAsyncUtils.waitForFxEvents();

        assertThat(appearance.getTheme()).isEqualTo(Theme.DARK);
        assertThat(window.stage().getScene().getStylesheets())
                .contains(Theme.DARK.tokenStylesheet())
                .doesNotContain(Theme.LIGHT.tokenStylesheet());
        Paint darkBackground = background(root);
        assertThat(darkBackground).isNotEqualTo(lightBackground);
        Screenshots.save(root, "main-dark.png");

        robot.interact(() -> appearance.setTheme(Theme.LIGHT));
        assertThat(((javafx.scene.control.RadioMenuItem) menuItem(robot, "lightTheme")).isSelected()).isTrue();
    }

    @Test
    void hidingTheWindowUnsubscribesAndShowingAgainResubscribes(FxRobot robot) throws Exception {
        waitForState(PipelineListViewModel.State.EMPTY);
        assertThat(bridge.activeSubscriptions()).isEqualTo(1);

        robot.interact(() -> window.stage().hide());
        assertThat(bridge.activeSubscriptions()).isZero();

        robot.interact(() -> window.stage().show());
        assertThat(bridge.activeSubscriptions()).isEqualTo(1);
    }

    @Test
    void fileQuitRunsTheQuitAction(FxRobot robot) {
        robot.interact(() -> menuItem(robot, "quitItem").fire());
        assertThat(quits).isEqualTo(1);
    }

    @Test
    void aboutShowsTheVersion(FxRobot robot) throws Exception {
        robot.interact(() -> menuItem(robot, "aboutItem").fire());
        WaitForAsyncUtils.waitForFxEvents();

        Label header = robot.lookup(".about-dialog .header-panel .label").queryAs(Label.class);
        assertThat(header.getText()).matches("etl-stream \\d+\\.\\d+\\.\\d+.*");
        Screenshots.save(header.getScene().getRoot(), "about.png");
        robot.interact(() -> ((Stage) header.getScene().getWindow()).close());
    }

    private void waitForState(PipelineListViewModel.State state) throws Exception {
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> window.pipelines().stateProperty().get() == state);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private static List<String> menuTexts(FxRobot robot) {
        return robot.lookup(".menu-bar").queryAs(MenuBar.class).getMenus().stream().map(MenuItem::getText).toList();
    }

    private static MenuItem menuItem(FxRobot robot, String id) {
        return MainWindowFixture.menuItem(robot, id);
    }

    private static Paint background(Region region) {
        region.applyCss();
        Background background = region.getBackground();
        assertThat(background).isNotNull();
        return background.getFills().get(0).getFill();
    }
}
