package io.etlstream.app.main;

import io.etlstream.app.AppInfo;
import io.etlstream.app.bridge.SnapshotBridge;
import io.etlstream.app.bridge.Subscription;
import io.etlstream.app.concurrent.AppExecutors;
import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.i18n.Messages;
import io.etlstream.app.theme.Appearance;
import io.etlstream.home.EtlHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import javafx.beans.value.ChangeListener;
import javafx.beans.value.WeakChangeListener;
import javafx.fxml.FXMLLoader;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.control.Alert;
import javafx.scene.control.ButtonType;
import javafx.stage.Stage;
import javafx.stage.WindowEvent;

/**
 * The console's main window: the pipelines of one home with their live state, the commands for the selected one
 * and its charts. It feeds its view models from the bridge while it is showing and unsubscribes when hidden.
 */
public final class MainWindow {

    /** How often the pipeline list is re-read from the catalog while the window shows. */
    public static final Duration REFRESH_PERIOD = Duration.ofSeconds(2);
    /** How often live states and charts are sampled from a running engine while the window shows. */
    public static final Duration LIVE_PERIOD = Duration.ofSeconds(1);

    private final Stage stage;
    private final EtlHome home;
    private final PipelineDirectory directory;
    private final SnapshotBridge bridge;
    private final Appearance appearance;
    private final PipelineListViewModel pipelines;
    private final ConsoleEngine engine;
    private final PipelineActionsViewModel commands;
    private final LiveChartsViewModel charts = new LiveChartsViewModel();
    private final ChangeListener<String> followSelection = (obs, old, now) -> resubscribeCharts();
    private Subscription subscription;
    private Runnable wizard;
    private final javafx.beans.property.BooleanProperty newPipelineAvailable =
            new javafx.beans.property.SimpleBooleanProperty(false);
    private Subscription chartSubscription;

    /** A window on the catalog alone, without an engine: nothing can be started from it. */
    public MainWindow(Stage stage, EtlHome home, PipelineDirectory directory, SnapshotBridge bridge,
            Appearance appearance, Runnable quit) {
        this(stage, home, directory, null, AppExecutors.currentThread((t, e) -> {}), bridge, appearance, quit);
    }

    /** A window on the pipelines of {@code engine}: live states, commands and charts. */
    public MainWindow(Stage stage, EtlHome home, ConsoleEngine engine, AppExecutors executors,
            SnapshotBridge bridge, Appearance appearance, Runnable quit) {
        this(stage, home, () -> PipelineRows.of(engine.statuses(), engine.endpoints()), engine, executors, bridge,
                appearance, quit);
    }

    private MainWindow(Stage stage, EtlHome home, PipelineDirectory directory, ConsoleEngine engine,
            AppExecutors executors, SnapshotBridge bridge, Appearance appearance, Runnable quit) {
        this.stage = Objects.requireNonNull(stage, "stage");
        this.home = Objects.requireNonNull(home, "home");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.bridge = Objects.requireNonNull(bridge, "bridge");
        this.appearance = Objects.requireNonNull(appearance, "appearance");
        this.engine = engine;
        this.pipelines = new PipelineListViewModel(home);
        this.pipelines.describeEngine(engine);
        this.commands = new PipelineActionsViewModel(engine, executors, this::refresh);
        // Weak: the view model lives as long as the window; the listener must not keep a closed window reachable.
        pipelines.selectedNameProperty().addListener(new WeakChangeListener<>(followSelection));

        MainActions actions = new MainActions(quit, this::refresh, this::showAbout, this::openWizard);
        FXMLLoader loader = new FXMLLoader(MainWindow.class.getResource("/io/etlstream/ui/main.fxml"), Messages.bundle());
        loader.setControllerFactory(type -> new MainController(pipelines, commands, charts, appearance, actions,
                newPipelineAvailable));
        Parent root;
        try {
            root = loader.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load main.fxml from ui-resources", e);
        }
        Scene scene = new Scene(root, 1000, 640);
        appearance.attach(scene);
        stage.setScene(scene);
        stage.setTitle(Messages.get("app.title"));
        for (int size : new int[] {16, 32, 48, 64, 128, 256}) {
            var icon = MainWindow.class.getResource("/io/etlstream/ui/icons/etl-stream-" + size + ".png");
            if (icon != null) {
                stage.getIcons().add(new javafx.scene.image.Image(icon.toExternalForm()));
            }
        }
        stage.setMinWidth(640);
        stage.setMinHeight(400);
        stage.addEventHandler(WindowEvent.WINDOW_SHOWN, e -> subscribe());
        stage.addEventHandler(WindowEvent.WINDOW_HIDDEN, e -> unsubscribe());
    }

    public Stage stage() {
        return stage;
    }

    public PipelineListViewModel pipelines() {
        return pipelines;
    }

    /** What File › New pipeline opens; unset (no engine of its own), the item does nothing. */
    public void setNewPipeline(Runnable wizard) {
        this.wizard = wizard;
        newPipelineAvailable.set(wizard != null);
    }

    private void openWizard() {
        if (wizard != null) {
            wizard.run();
        }
    }

    /** Refreshes the list now (e.g. after the wizard created a pipeline). */
    public void refreshNow() {
        refresh();
    }

    public PipelineActionsViewModel commands() {
        return commands;
    }

    public LiveChartsViewModel charts() {
        return charts;
    }

    private void subscribe() {
        if (subscription == null) {
            Duration period = engine == null ? REFRESH_PERIOD : LIVE_PERIOD;
            subscription = bridge.subscribe(period, directory::list, pipelines::show, pipelines::showFailure);
        }
        resubscribeCharts();
    }

    private void resubscribeCharts() {
        closeCharts();
        String name = pipelines.selectedNameProperty().get();
        if (engine == null || name == null || !stage.isShowing()) {
            charts.clear();
            return;
        }
        chartSubscription = bridge.subscribe(LIVE_PERIOD,
                () -> engine.chart(name, Instant.now(), LiveChartsViewModel.WINDOW, LiveChartsViewModel.MAX_POINTS),
                charts::show, failure -> charts.clear());
    }

    private void closeCharts() {
        if (chartSubscription != null) {
            chartSubscription.close();
            chartSubscription = null;
        }
    }

    private void unsubscribe() {
        if (subscription != null) {
            subscription.close();
            subscription = null;
        }
        closeCharts();
    }

    private void refresh() {
        if (subscription != null) {
            subscription.refreshNow();
        }
    }

    private void showAbout() {
        Alert about = new Alert(Alert.AlertType.INFORMATION, "", ButtonType.CLOSE);
        about.initOwner(stage);
        about.setTitle(Messages.get("about.title"));
        about.setHeaderText(Messages.get("about.header", AppInfo.version()));
        about.setContentText(Messages.get("about.text", home.dir(), AppInfo.runtime()));
        about.getDialogPane().getStylesheets().setAll(appearance.getTheme().stylesheets());
        about.getDialogPane().getStyleClass().add("about-dialog");
        about.show();
    }
}
