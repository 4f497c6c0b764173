package io.etlstream.app.vault;

import io.etlstream.app.i18n.Messages;
import io.etlstream.app.theme.Appearance;
import java.io.IOException;
import java.io.UncheckedIOException;
import javafx.fxml.FXMLLoader;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.stage.Stage;

/** The window that asks for the vault's master password when starting the engine needs it. */
public final class PasswordDialog {

    private PasswordDialog() {}

    /** Builds (does not show) the window; closing it with the window button counts as "continue without". */
    public static Stage create(PasswordViewModel viewModel, Appearance appearance) {
        Stage stage = new Stage();
        FXMLLoader loader = new FXMLLoader(PasswordDialog.class.getResource("/io/etlstream/ui/password.fxml"),
                Messages.bundle());
        loader.setControllerFactory(type -> new PasswordController(viewModel));
        Parent root;
        try {
            root = loader.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load password.fxml from ui-resources", e);
        }
        Scene scene = new Scene(root);
        appearance.attach(scene);
        stage.setScene(scene);
        stage.setTitle(Messages.get("password.title"));
        stage.setMinWidth(460);
        // The problem line appears and disappears; the window follows so nothing is cut off.
        viewModel.problemProperty().addListener((obs, old, now) -> javafx.application.Platform.runLater(
                stage::sizeToScene));
        stage.setOnCloseRequest(e -> {
            if (viewModel.busyProperty().get()) {
                e.consume();
            } else {
                viewModel.skip();
            }
        });
        return stage;
    }
}
