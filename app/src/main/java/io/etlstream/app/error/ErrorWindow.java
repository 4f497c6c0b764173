package io.etlstream.app.error;

import io.etlstream.app.i18n.Messages;
import io.etlstream.app.theme.Appearance;
import java.io.IOException;
import java.io.UncheckedIOException;
import javafx.fxml.FXMLLoader;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.stage.Modality;
import javafx.stage.Stage;
import javafx.stage.Window;

/** The console's one error window: shows an {@link ErrorReport} with its code and a "copy details" button. */
public final class ErrorWindow {

    private ErrorWindow() {}

    /** Builds (does not show) the window; {@code owner} may be null, e.g. when start-up failed. */
    public static Stage create(ErrorReport report, Window owner, Appearance appearance) {
        Stage stage = new Stage();
        if (owner != null) {
            stage.initOwner(owner);
            stage.initModality(Modality.WINDOW_MODAL);
        }
        ErrorViewModel viewModel = new ErrorViewModel(report, ErrorWindow::copyToClipboard);
        FXMLLoader loader = new FXMLLoader(ErrorWindow.class.getResource("/io/etlstream/ui/error.fxml"), Messages.bundle());
        loader.setControllerFactory(type -> new ErrorController(viewModel, stage::close));
        Parent root;
        try {
            root = loader.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load error.fxml from ui-resources", e);
        }
        Scene scene = new Scene(root);
        appearance.attach(scene);
        stage.setScene(scene);
        stage.setTitle(Messages.get("error.title"));
        stage.setMinWidth(520);
        stage.setMinHeight(360);
        return stage;
    }

    private static void copyToClipboard(String text) {
        ClipboardContent content = new ClipboardContent();
        content.putString(text);
        Clipboard.getSystemClipboard().setContent(content);
    }
}
