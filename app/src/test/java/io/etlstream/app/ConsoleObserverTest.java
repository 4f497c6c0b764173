package io.etlstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.main.MainWindow;
import io.etlstream.app.testing.Fx;
import io.etlstream.app.testing.Screenshots;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.TableRef;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Label;
import javafx.stage.Stage;
import javafx.stage.WindowEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/**
 * When another engine ({@code etl-stream run}, here in this JVM) holds the home, the console does not start its own:
 * it says so, shows that engine's pipelines through the control channel, sends it commands, and leaves it running
 * when its window closes.
 */
@ExtendWith(PostgresExtension.class)
class ConsoleObserverTest {

    private static final String PIPELINE = "console_obs";

    @TempDir
    Path dir;

    private final FxRobot robot = new FxRobot();
    private final AtomicInteger exits = new AtomicInteger();
    private EtlStreamApp app;
    private EngineHost other;

    @BeforeAll
    static void toolkit() throws Exception {
        FxToolkit.registerPrimaryStage();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (app != null) {
                FxToolkit.setupFixture(app::stop);
            }
            FxToolkit.cleanupStages();
        } finally {
            if (other != null) {
                other.close();
            }
        }
    }

    @Test
    void anotherEnginesPipelinesAreWatchedAndCommandedThroughTheControlChannel(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE obs_t (id int PRIMARY KEY, note text)");
        EtlHome home = new EtlHome(dir.resolve("home"));
        try (Catalog c = Catalog.open(home)) {
            c.sources().add(Source.draft("pg", db.host(), db.port(), db.name(), "postgres"));
            c.destinations().add(Destination.draft("sf", null, "http://127.0.0.1:1", "U", "R", "DB", "SC", "loader"));
            new CatalogPipelineStore(c).create(new PipelineDefinition(PIPELINE, "pg", "sf",
                    List.of(TableRef.parse("public.obs_t")), PipelineSettings.DEFAULTS, true));
        }
        other = EngineHost.start(home, HomeLock.RUN, null, EngineHost.Settings.defaults()
                .withRecordingDir(dir.resolve("recorded")).withStopTimeout(Duration.ofSeconds(10)));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> other.engine().manager().status(PIPELINE)
                .map(s -> s.state() == PipelineState.STREAMING).orElse(false));

        app = new EtlStreamApp(home, h -> null, exits::incrementAndGet,
                EngineHost.Settings.defaults().withStopTimeout(Duration.ofSeconds(10)));
        FxToolkit.setupFixture(() -> {
            app.init();
            app.start(new Stage());
        });
        MainWindow main = waitForState(PipelineState.STREAMING);
        assertThat(app.session().engine().mode()).isEqualTo(ConsoleEngine.Mode.OBSERVED);
        assertThat(app.passwordWindow()).as("no password: this console starts nothing").isNull();
        assertThat(HomeLock.readHolder(home)).hasValueSatisfying(h -> assertThat(h.role()).isEqualTo(HomeLock.RUN));
        Label banner = robot.from(main.stage().getScene().getRoot()).lookup(".engine-banner").queryAs(Label.class);
        assertThat(banner.getText()).startsWith("Watching the engine of another process (run, pid "
                + ProcessHandle.current().pid() + ")");

        // Changes reach the other engine; the console charts what it polls.
        db.execute("INSERT INTO obs_t SELECT g, 'row ' || g FROM generate_series(1, 2000) g");
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> Fx.read(() -> main.charts().rowsPerSecond()
                .stream().anyMatch(d -> d.getYValue().doubleValue() > 0)));
        WaitForAsyncUtils.waitForFxEvents();
        Screenshots.save(main.stage().getScene().getRoot(), "main-observing.png");

        // The console's Stop is the CLI's stop, sent over the control channel.
        robot.interact(() -> button(main.stage(), "#stopButton").fire());
        waitForState(PipelineState.STOPPED);
        assertThat(other.engine().manager().status(PIPELINE).orElseThrow().state()).isEqualTo(PipelineState.STOPPED);
        assertThat(other.engine().manager().status(PIPELINE).orElseThrow().enabled()).isFalse();
        robot.interact(() -> button(main.stage(), "#startButton").fire());
        waitForState(PipelineState.STREAMING);

        // Resync asks which table, then sends the CLI's resync for it.
        robot.interact(() -> button(main.stage(), "#resyncButton").fire());
        DialogPane choose = robot.lookup(".resync-dialog").queryAs(DialogPane.class);
        Screenshots.save(choose, "resync-dialog.png");
        robot.interact(() -> ((Button) choose.lookupButton(ButtonType.OK)).fire());
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> other.engine().events().recent(100).stream()
                .anyMatch(e -> e.message().startsWith("resync of public.obs_t requested")));
        // The table is copied again while the pipeline keeps streaming: wait until it follows the stream again.
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> other.engine().manager().status(PIPELINE)
                .map(st -> st.state() == PipelineState.STREAMING && st.tables().stream()
                        .allMatch(t -> t.phase() == io.etlstream.pipeline.TablePhase.STREAMING))
                .orElse(false));
        waitForState(PipelineState.STREAMING);

        // Closing the window only disconnects: no stopping window, the other engine keeps its pipeline running.
        robot.interact(() -> main.stage().fireEvent(new WindowEvent(main.stage(), WindowEvent.WINDOW_CLOSE_REQUEST)));
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> exits.get() == 1);
        assertThat(app.stoppingWindow()).isNull();
        assertThat(other.engine().manager().status(PIPELINE).orElseThrow().state())
                .isEqualTo(PipelineState.STREAMING);
        assertThat(HomeLock.readHolder(home)).hasValueSatisfying(h -> assertThat(h.role()).isEqualTo(HomeLock.RUN));
    }

    private MainWindow waitForState(PipelineState state) throws Exception {
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> Fx.read(() -> app.mainWindow() != null
                && app.mainWindow().pipelines().pipelines().stream().anyMatch(r -> r.state() == state)));
        WaitForAsyncUtils.waitForFxEvents();
        return app.mainWindow();
    }

    private Button button(Stage stage, String id) {
        return robot.from(stage.getScene().getRoot()).lookup(id).queryAs(Button.class);
    }
}
