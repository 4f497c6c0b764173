package io.etlstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.main.MainWindow;
import io.etlstream.app.main.PipelineRow;
import io.etlstream.app.testing.Fx;
import io.etlstream.app.testing.Screenshots;
import io.etlstream.app.theme.Theme;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStore;
import io.etlstream.pipeline.TableRef;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.vault.Vault;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.PasswordField;
import javafx.scene.image.WritableImage;
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
 * The console runs the engine: a real pipeline from the hermetic PostgreSQL through the Snowflake SDK into the
 * emulator, the vault's master password asked in a window (wrong first, then right), live states and charts,
 * pause/resume from the buttons, and a clean, bounded stop when the window closes.
 */
@ExtendWith(PostgresExtension.class)
class ConsoleEngineTest {

    private static final String MASTER = "console master password";
    private static final String PIPELINE = "console_live";

    @TempDir
    Path dir;

    private final FxRobot robot = new FxRobot();
    private final AtomicInteger exits = new AtomicInteger();
    private EtlStreamApp app;
    private SnowflakeEmulator emu;

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
            // After the console: a pipeline stopping against a closed emulator would wait for its whole timeout.
            if (emu != null) {
                emu.close();
            }
        }
    }

    @Test
    void theConsoleRunsAPipelineShowsItLiveAndStopsItCleanlyOnClose(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE console_t (id int PRIMARY KEY, note text)");
        EtlHome home = new EtlHome(dir.resolve("home"));
        PublicKey pub;
        try (Vault v = Vault.open(home.vaultFile())) {
            char[] m = MASTER.toCharArray();
            v.init(m);
            java.util.Arrays.fill(m, '\0');
            pub = v.generateKey("loader", 2048).key();
        }
        emu = SnowflakeEmulator.start(EmulatorConfig.inMemory());
        {
            emu.registerUser("LOADER", pub);
            emu.sql("CREATE DATABASE IF NOT EXISTS DB");
            emu.sql("CREATE SCHEMA IF NOT EXISTS DB.CON");
            try (Catalog c = Catalog.open(home)) {
                c.sources().add(Source.draft("pg", db.host(), db.port(), db.name(), "postgres"));
                c.destinations().add(Destination.draft("sf", null, emu.url().toString(), "LOADER", "ACCOUNTADMIN",
                        "DB", "CON", "loader"));
                new CatalogPipelineStore(c).create(new PipelineDefinition(PIPELINE, "pg", "sf",
                        List.of(TableRef.parse("public.console_t")), PipelineSettings.DEFAULTS, true));
            }

            start(home);

            // 1. The catalog names a key in the vault: the console asks for the master password before starting.
            WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS,
                    () -> app.passwordWindow() != null && app.passwordWindow().isShowing());
            Stage password = app.passwordWindow();
            assertThat(app.session()).as("nothing runs before the vault is unlocked").isNull();
            PasswordField field = robot.from(password.getScene().getRoot()).lookup(".master-password")
                    .queryAs(PasswordField.class);
            Label problem = robot.from(password.getScene().getRoot()).lookup(".password-problem").queryAs(Label.class);
            assertThat(problem.isVisible()).isFalse();
            WaitForAsyncUtils.waitForFxEvents();
            Screenshots.save(password.getScene().getRoot(), "password.png");

            // 2. A wrong password: a clear message, the field emptied, still asking, still nothing running.
            robot.interact(() -> field.setText("not the master password"));
            robot.interact(() -> button(password, "#unlockButton").fire());
            WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, problem::isVisible);
            WaitForAsyncUtils.waitForFxEvents();
            assertThat(problem.getText()).startsWith("Wrong master password (attempt 1)");
            assertThat(field.getCharacters().length()).isZero();
            assertThat(password.isShowing()).isTrue();
            assertThat(app.session()).isNull();
            assertThat(HomeLock.heldByThisProcess(home)).isEmpty();
            Screenshots.save(password.getScene().getRoot(), "password-wrong.png");

            // 3. The right one: the window closes and the engine starts the pipeline marked to run.
            robot.interact(() -> field.setText(MASTER));
            robot.interact(() -> button(password, "#unlockButton").fire());
            MainWindow main = waitForState(PipelineState.STREAMING, 90);
            assertThat(password.isShowing()).isFalse();
            assertThat(HomeLock.readHolder(home)).hasValueSatisfying(h -> assertThat(h.role())
                    .isEqualTo(HomeLock.CONSOLE));
            assertThat(robot.from(main.stage().getScene().getRoot()).lookup(".engine-banner").queryAs(Label.class)
                    .getText()).isEqualTo("Engine running in this console");

            // 4. Rows flow: the list shows throughput, the charts fill from the engine's ring buffers.
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger written = new AtomicInteger();
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            Thread writer = new Thread(() -> write(db, writing, written, writerFailure), "writer");
            writer.start();
            try {
                WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> Fx.read(() -> main.charts()
                        .rowsPerSecond().stream().anyMatch(d -> d.getYValue().doubleValue() > 0)));
                WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> historyRows(emu) > 0);
                WaitForAsyncUtils.waitForFxEvents();
                List<Double> lagX = Fx.read(() -> main.charts().lagBytes().stream()
                        .map(d -> d.getXValue().doubleValue()).toList());
                assertThat(lagX).isNotEmpty().allSatisfy(x -> assertThat(x).isBetween(-300.0, 0.0));
                double maxRows = Fx.read(() -> main.charts().rowsPerSecond().stream()
                        .mapToDouble(d -> d.getYValue().doubleValue()).max().orElseThrow());
                double rowsUpper = Fx.read(() -> main.charts().rowsUpperProperty().get());
                assertThat(rowsUpper).isGreaterThanOrEqualTo(maxRows);
                String throughput = Fx.read(() -> row(main).throughput());
                assertThat(throughput).isNotBlank();
                Screenshots.save(main.stage().getScene().getRoot(), "main-running.png");
                robot.interact(() -> app.appearanceForTest().setTheme(Theme.DARK));
                WaitForAsyncUtils.waitForFxEvents();
                Screenshots.save(main.stage().getScene().getRoot(), "main-running-dark.png");
                robot.interact(() -> app.appearanceForTest().setTheme(Theme.LIGHT));

                // 5. Pause and resume from the buttons; the new states arrive through the snapshots.
                assertThat(button(main.stage(), "#resumeButton").isDisabled()).isTrue();
                robot.interact(() -> button(main.stage(), "#pauseButton").fire());
                waitForState(PipelineState.PAUSED, 60);
                WaitForAsyncUtils.waitForFxEvents();
                assertThat(button(main.stage(), "#pauseButton").isDisabled()).isTrue();
                assertThat(button(main.stage(), "#resumeButton").isDisabled()).isFalse();
                robot.interact(() -> button(main.stage(), "#resumeButton").fire());
                waitForState(PipelineState.STREAMING, 60);
                int beforeStop = written.get();
                WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> distinctIds(emu) >= beforeStop);
            } finally {
                writing.set(false);
                writer.join();
            }
            assertThat(writerFailure.get()).isNull();
            int total = written.get();

            // 6. Closing the window stops the pipeline with a progress window, then the console exits.
            AtomicReference<WritableImage> stopping = new AtomicReference<>();
            long closeStarted = System.nanoTime();
            robot.interact(() -> {
                main.stage().fireEvent(new WindowEvent(main.stage(), WindowEvent.WINDOW_CLOSE_REQUEST));
                Stage s = app.stoppingWindow();
                assertThat(s.isShowing()).isTrue();
                stopping.set(s.getScene().getRoot().snapshot(null, null));
            });
            Screenshots.write(stopping.get(), "stopping.png");
            long stopTimeout = 20 + EtlStreamApp.STOP_MARGIN_SECONDS;
            WaitForAsyncUtils.waitFor(stopTimeout + 5, TimeUnit.SECONDS, () -> exits.get() == 1);
            System.out.printf("[console-stop] %d rows written; window closed to console exit: %d ms%n", total,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closeStarted));
            WaitForAsyncUtils.waitForFxEvents();
            assertThat(app.stoppingWindow().isShowing()).isFalse();
            assertThat(app.session()).isNull();
            assertThat(HomeLock.heldByThisProcess(home)).as("the home is released").isEmpty();

            // Flushed and confirmed: every row is in Snowflake, the slot is idle at the confirmed LSN, and the
            // pipeline is still marked to run with the next engine.
            assertThat(distinctIds(emu)).isEqualTo(total);
            try (Catalog c = Catalog.open(home)) {
                String slot = c.pipelines().require(PIPELINE).slotName();
                assertThat(db.queryOne("SELECT active::text FROM pg_replication_slots WHERE slot_name = '" + slot
                        + "'")).isEqualTo("false");
                PipelineStore.PipelineRecord r = new CatalogPipelineStore(c).load(PIPELINE).orElseThrow();
                assertThat(r.definition().enabled()).isTrue();
                assertThat(r.confirmedLsn()).isPositive();
                long slotLsn = io.etlstream.pipeline.PipelineStatus.parseLsn(db.queryOne(
                        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot
                                + "'"));
                assertThat(slotLsn).isGreaterThanOrEqualTo(r.confirmedLsn());
            }
            app = null;
        }
    }

    private void start(EtlHome home) throws Exception {
        app = new EtlStreamApp(home, h -> null, exits::incrementAndGet,
                EngineHost.Settings.defaults().withStopTimeout(Duration.ofSeconds(20))
                        .withWalInterval(Duration.ofSeconds(1)));
        FxToolkit.setupFixture(() -> {
            app.init();
            app.start(new Stage());
        });
    }

    private MainWindow waitForState(PipelineState state, long seconds) throws Exception {
        WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, () -> Fx.read(() -> app.mainWindow() != null
                && app.mainWindow().pipelines().pipelines().stream().anyMatch(r -> r.state() == state)));
        WaitForAsyncUtils.waitForFxEvents();
        return app.mainWindow();
    }

    private static PipelineRow row(MainWindow main) {
        return main.pipelines().pipelines().get(0);
    }

    private Button button(Stage stage, String id) {
        return robot.from(stage.getScene().getRoot()).lookup(id).queryAs(Button.class);
    }

    private static void write(PgDatabase db, AtomicBoolean writing, AtomicInteger written,
            AtomicReference<Throwable> failure) {
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("INSERT INTO console_t VALUES (?, 'row ' || ?)")) {
            c.setAutoCommit(false);
            while (writing.get()) {
                for (int i = 0; i < 5; i++) {
                    int id = written.get() + i + 1;
                    ps.setInt(1, id);
                    ps.setInt(2, id);
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
                written.addAndGet(5);
                Thread.sleep(20);
            }
        } catch (Exception e) {
            failure.set(e);
        }
    }

    private static int historyRows(SnowflakeEmulator emu) {
        return count(emu, "SELECT COUNT(*) FROM CONSOLE_T_HISTORY");
    }

    private static int distinctIds(SnowflakeEmulator emu) {
        return count(emu, "SELECT COUNT(DISTINCT ID) FROM CONSOLE_T_HISTORY");
    }

    private static int count(SnowflakeEmulator emu, String sql) {
        try {
            return Integer.parseInt(emu.sql(sql, "DB", "CON").rows().get(0).get(0));
        } catch (RuntimeException e) {
            return 0; // the sink has not created the table yet
        }
    }
}
