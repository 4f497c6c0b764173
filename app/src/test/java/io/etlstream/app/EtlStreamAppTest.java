package io.etlstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.main.MainWindow;
import io.etlstream.app.main.PipelineListViewModel.State;
import io.etlstream.app.testing.Screenshots;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.pipeline.PipelineState;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javafx.scene.control.Label;
import javafx.scene.control.TableView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/** The console as {@link Launcher} starts it, on real homes: engine lock, H2 catalog, main or error window. */
class EtlStreamAppTest {

    @TempDir
    Path dir;

    private final FxRobot robot = new FxRobot();
    private final AtomicInteger exits = new AtomicInteger();
    private EtlStreamApp app;

    @BeforeAll
    static void toolkit() throws Exception {
        FxToolkit.registerPrimaryStage();
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            FxToolkit.setupFixture(app::stop);
        }
        FxToolkit.cleanupStages();
    }

    @Test
    void anEmptyHomeOpensTheMainWindowWithTheEmptyState() throws Exception {
        EtlHome home = new EtlHome(dir.resolve("empty-home"));
        start(home);

        MainWindow main = waitForMainWindow(State.EMPTY);
        assertThat(main.stage().getTitle()).isEqualTo("etl-stream");
        assertThat(table(main).getItems()).isEmpty();
        assertThat(robot.from(main.stage().getScene().getRoot()).lookup(".empty-state-title").queryAs(Label.class)
                .getText()).isEqualTo("No pipelines yet");
        assertThat(HomeLock.readHolder(home)).hasValueSatisfying(h -> assertThat(h.role()).isEqualTo(HomeLock.CONSOLE));
        Screenshots.save(main.stage().getScene().getRoot(), "main-empty.png");

        FxToolkit.setupFixture(app::stop);
        app = null;
        assertThat(HomeLock.heldByThisProcess(home)).isEmpty();
        HomeLock.acquire(home, HomeLock.CLI).close();
    }

    @Test
    void aPipelineInTheCatalogIsListed() throws Exception {
        EtlHome home = new EtlHome(dir.resolve("one-pipeline"));
        try (Catalog catalog = Catalog.open(home)) {
            Source source = catalog.sources().add(Source.draft("shop-db", "db.internal", 5432, "shop", "etl"));
            Destination destination = catalog.destinations().add(Destination.draft("analytics", "ACME-PROD", null,
                    "ETL_USER", "ETL_ROLE", "RAW", "SHOP", "sf/analytics"));
            Pipeline orders = catalog.pipelines().add(Pipeline.draft("orders", source.id(), destination.id()));
            catalog.tables().add(orders.id(), "public", "orders");
        }
        start(home);

        MainWindow main = waitForMainWindow(State.LIST);
        assertThat(table(main).getItems()).hasSize(1);
        assertThat(main.pipelines().pipelines()).singleElement().satisfies(row -> {
            assertThat(row.name()).isEqualTo("orders");
            assertThat(row.source()).isEqualTo("shop-db (db.internal:5432/shop)");
            assertThat(row.destination()).isEqualTo("analytics (RAW.SHOP)");
            // Marked to run, so the console's engine started it; db.internal does not resolve here, so it is
            // retrying or failed, and says so.
            assertThat(row.state()).isIn(PipelineState.CREATED, PipelineState.SNAPSHOTTING, PipelineState.RETRYING,
                    PipelineState.FAILED);
            assertThat(row.status()).isNotBlank();
        });
        WaitForAsyncUtils.waitForFxEvents();
        Screenshots.save(main.stage().getScene().getRoot(), "main-one-pipeline.png");
    }

    @Test
    void aHomeUsedByAnotherProcessIsRefusedWithTheErrorWindowAndExitCodeOne() throws Exception {
        EtlHome home = new EtlHome(dir.resolve("busy-home"));
        try (HomeLock other = HomeLock.acquire(home, HomeLock.CLI)) {
            start(home);

            WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> app.startupErrorWindow() != null);
            WaitForAsyncUtils.waitForFxEvents();
            Stage error = app.startupErrorWindow();
            assertThat(error.isShowing()).isTrue();
            assertThat(app.mainWindow()).isNull();
            assertThat(EtlStreamApp.exitCode()).isEqualTo(1);
            Label summary = robot.from(error.getScene().getRoot()).lookup(".error-summary").queryAs(Label.class);
            assertThat(summary.getText()).contains("is using " + home.dir()).contains("--home DIR");
            Screenshots.save(error.getScene().getRoot(), "startup-refused.png");

            robot.interact(error::close);
            assertThat(exits).hasValue(1);
        }
    }

    private void start(EtlHome home) throws Exception {
        app = new EtlStreamApp(home, h -> null, exits::incrementAndGet,
                EngineHost.Settings.defaults().withStopTimeout(java.time.Duration.ofSeconds(10)));
        FxToolkit.setupFixture(() -> {
            app.init();
            app.start(new Stage());
        });
    }

    private MainWindow waitForMainWindow(State state) throws Exception {
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS,
                () -> app.mainWindow() != null && app.mainWindow().pipelines().stateProperty().get() == state);
        WaitForAsyncUtils.waitForFxEvents();
        return app.mainWindow();
    }

    private TableView<?> table(MainWindow main) {
        return robot.from(main.stage().getScene().getRoot()).lookup(".pipeline-table").queryAs(TableView.class);
    }
}
