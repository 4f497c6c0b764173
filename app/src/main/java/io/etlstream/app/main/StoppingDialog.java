package io.etlstream.app.main;

import io.etlstream.app.i18n.Messages;
import io.etlstream.app.theme.Appearance;
import javafx.geometry.Insets;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.layout.VBox;
import javafx.stage.Modality;
import javafx.stage.Stage;
import javafx.stage.StageStyle;
import javafx.stage.Window;

/** The small window shown while the console stops its pipelines; it cannot be closed, it closes itself. */
public final class StoppingDialog {

    private StoppingDialog() {}

    public static Stage create(StoppingViewModel viewModel, Window owner, Appearance appearance) {
        Label title = new Label(Messages.get("stopping.heading"));
        title.getStyleClass().add("dialog-title");
        Label explanation = new Label(viewModel.explanation());
        explanation.setWrapText(true);
        explanation.getStyleClass().add("dialog-text");
        explanation.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
        ProgressBar bar = new ProgressBar();
        bar.setMaxWidth(Double.MAX_VALUE);
        bar.progressProperty().bind(viewModel.progressProperty());
        Label detail = new Label();
        detail.getStyleClass().add("stopping-detail");
        detail.textProperty().bind(viewModel.detailProperty());
        VBox root = new VBox(10, title, explanation, bar, detail);
        root.setPadding(new Insets(20, 22, 18, 22));
        root.setPrefWidth(440);
        root.getStyleClass().add("stopping-window");

        Stage stage = new Stage(StageStyle.UTILITY);
        if (owner != null) {
            stage.initOwner(owner);
            stage.initModality(Modality.WINDOW_MODAL);
        }
        Scene scene = new Scene(root);
        appearance.attach(scene);
        stage.setScene(scene);
        stage.setTitle(Messages.get("stopping.title"));
        stage.setResizable(false);
        // Closing it would not stop anything sooner; the engine's stop timeout bounds the wait.
        stage.setOnCloseRequest(javafx.event.Event::consume);
        return stage;
    }
}
