package io.etlstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.main.MainWindow;
import io.etlstream.app.main.PipelineListViewModel.State;
import io.etlstream.app.testing.Fx;
import io.etlstream.app.testing.Screenshots;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStore;
import io.etlstream.pipeline.TableRef;
import io.etlstream.source.pg.DoctorCheck;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.TextField;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/**
 * File › New pipeline on a console that runs the engine: source, the doctor's checks against the real PostgreSQL,
 * destination, the source's tables, mode; the pipeline is created through the engine's own validation and listed.
 */
@ExtendWith(PostgresExtension.class)
class PipelineWizardTest {

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
    void theWizardChecksTheSourceListsItsTablesAndCreatesThePipeline(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE wiz_orders (id int PRIMARY KEY, note text)",
                "CREATE TABLE wiz_items (id int PRIMARY KEY, order_id int)");
        EtlHome home = new EtlHome(dir.resolve("home"));
        try (Catalog c = Catalog.open(home)) {
            c.sources().add(Source.draft("pg", db.host(), db.port(), db.name(), "postgres"));
            c.destinations().add(Destination.draft("sf", null, "http://127.0.0.1:1", "U", "R", "DB", "SC", "loader"));
        }
        app = new EtlStreamApp(home, h -> null, exits::incrementAndGet,
                EngineHost.Settings.defaults().withStopTimeout(Duration.ofSeconds(10)));
        FxToolkit.setupFixture(() -> {
            app.init();
            app.start(new Stage());
        });
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> app.mainWindow() != null
                && app.mainWindow().pipelines().stateProperty().get() == State.EMPTY);
        MainWindow main = app.mainWindow();

        robot.interact(() -> menuItem(main, "newPipelineItem").fire());
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> app.wizardWindow() != null);
        Stage wizard = app.wizardWindow();
        Parent root = wizard.getScene().getRoot();
        ListView<String> sources = list(root, ".wizard-sources");
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> Fx.read(() -> sources.getItems().contains("pg")));
        Button next = robot.from(root).lookup("#nextButton").queryAs(Button.class);
        assertThat(next.isDisabled()).as("nothing chosen yet").isTrue();

        // Source, then the doctor against the real server.
        robot.interact(() -> sources.getSelectionModel().select("pg"));
        robot.interact(next::fire);
        ListView<DoctorCheck> checks = list(root, ".wizard-checks");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> Fx.read(() -> !checks.getItems().isEmpty()
                && !next.isDisabled()));
        assertThat(checks.getItems()).extracting(DoctorCheck::name).contains("connection");
        assertThat(checks.getItems()).noneMatch(c -> c.status() == DoctorCheck.Status.ERROR);
        WaitForAsyncUtils.waitForFxEvents();
        Screenshots.save(root, "wizard-doctor.png");

        robot.interact(next::fire);
        robot.interact(() -> list(root, ".wizard-destinations").getSelectionModel().select("sf"));
        robot.interact(next::fire);

        // The source's own tables, from PostgreSQL.
        ListView<String> tables = list(root, ".wizard-tables");
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> Fx.read(() -> tables.getItems()
                .contains("public.wiz_orders")));
        assertThat(tables.getItems()).contains("public.wiz_items");
        robot.interact(() -> tables.getSelectionModel().select("public.wiz_orders"));
        WaitForAsyncUtils.waitForFxEvents();
        Screenshots.save(root, "wizard-tables.png");
        robot.interact(next::fire);

        TextField name = robot.from(root).lookup(".wizard-name").queryAs(TextField.class);
        // The doctor checked the chosen table; the last page shows with a proposed name.
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> Fx.read(() -> "_Create pipeline".equals(next.getText())));
        String proposed = Fx.read(name::getText);
        assertThat(proposed).isEqualTo("pg_to_sf");

        // An invalid merge interval is refused with the engine's reason; then it is created.
        TextField merge = robot.from(root).lookup(".wizard-merge").queryAs(TextField.class);
        robot.interact(() -> merge.setText("soon"));
        robot.interact(next::fire);
        Label problem = robot.from(root).lookup(".password-problem").queryAs(Label.class);
        assertThat(problem.getText()).startsWith("Check the settings: ");
        assertThat(wizard.isShowing()).isTrue();
        robot.interact(() -> {
            merge.setText("30s");
            name.setText("wiz_p");
        });
        robot.interact(next::fire);
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> !wizard.isShowing());
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> Fx.read(() -> main.pipelines().pipelines()
                .stream().anyMatch(r -> r.name().equals("wiz_p"))));
        assertThat(main.pipelines().pipelines()).singleElement().satisfies(r -> {
            assertThat(r.tables()).containsExactly("public.wiz_orders");
            assertThat(r.state()).isIn(PipelineState.CREATED, PipelineState.STOPPED);
        });
        PipelineStore.PipelineRecord stored = new CatalogPipelineStore(
                ((io.etlstream.app.engine.OwnedEngine) app.session().engine()).host().engine().catalog())
                .load("wiz_p").orElseThrow();
        assertThat(stored.definition().tables()).containsExactly(TableRef.parse("public.wiz_orders"));
        assertThat(stored.definition().settings().mergeInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(stored.definition().settings().mode()).isEqualTo(PipelineSettings.Mode.MIRROR);
        assertThat(stored.definition().enabled()).as("created, not started").isFalse();
    }

    @SuppressWarnings("unchecked")
    private <T> ListView<T> list(Parent root, String query) {
        return robot.from(root).lookup(query).queryAs(ListView.class);
    }

    private MenuItem menuItem(MainWindow main, String id) {
        return robot.from(main.stage().getScene().getRoot()).lookup(".menu-bar").queryAs(MenuBar.class).getMenus()
                .stream().flatMap(m -> m.getItems().stream()).filter(i -> id.equals(i.getId())).findFirst()
                .orElseThrow();
    }
}
