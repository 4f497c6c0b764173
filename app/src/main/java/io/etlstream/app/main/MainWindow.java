package io.etlstream.app.main;

import io.etlstream.app.AppInfo;
import io.etlstream.app.bridge.SnapshotBridge;
import io.etlstream.app.bridge.Subscription;
import io.etlstream.app.i18n.Messages;
import io.etlstream.app.theme.Appearance;
import io.etlstream.home.EtlHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;
import javafx.fxml.FXMLLoader;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.control.Alert;
import javafx.scene.control.ButtonType;
import javafx.stage.Stage;
import javafx.stage.WindowEvent;

/**
 * The console's main window: the pipeline list of one home. It feeds its view model from the bridge while
 * it is showing and unsubscribes when hidden.
 */
public final class MainWindow {

    /** How often the pipeline list is re-read from the catalog while the window shows. */
    public static final Duration REFRESH_PERIOD = Duration.ofSeconds(2);

    private final Stage stage;
    private final EtlHome home;
    private final PipelineDirectory directory;
    private final SnapshotBridge bridge;
    private final Appearance appearance;
    private final PipelineListViewModel pipelines;
    private Subscription subscription;

    public MainWindow(Stage stage, EtlHome home, PipelineDirectory directory, SnapshotBridge bridge,
            Appearance appearance, Runnable quit) {
        this.stage = Objects.requireNonNull(stage, "stage");
        this.home = Objects.requireNonNull(home, "home");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.bridge = Objects.requireNonNull(bridge, "bridge");
        this.appearance = Objects.requireNonNull(appearance, "appearance");
        this.pipelines = new PipelineListViewModel(home);

        MainActions actions = new MainActions(quit, this::refresh, this::showAbout);
        FXMLLoader loader = new FXMLLoader(MainWindow.class.getResource("/io/etlstream/ui/main.fxml"), Messages.bundle());
        loader.setControllerFactory(type -> new MainController(pipelines, appearance, actions));
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

    private void subscribe() {
        if (subscription == null) {
            subscription = bridge.subscribe(REFRESH_PERIOD, directory::list, pipelines::show, pipelines::showFailure);
        }
    }

    private void unsubscribe() {
        if (subscription != null) {
            subscription.close();
            subscription = null;
        }
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
