package io.etlstream.app.wizard;

import io.etlstream.app.i18n.Messages;
import io.etlstream.app.theme.Appearance;
import java.io.IOException;
import java.io.UncheckedIOException;
import javafx.fxml.FXMLLoader;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.stage.Modality;
import javafx.stage.Stage;
import javafx.stage.Window;

/** The "new pipeline" wizard window. */
public final class WizardWindow {

    private WizardWindow() {}

    /** Builds (does not show) the window and starts reading the catalog. */
    public static Stage create(WizardViewModel viewModel, Window owner, Appearance appearance) {
        Stage stage = new Stage();
        if (owner != null) {
            stage.initOwner(owner);
            stage.initModality(Modality.WINDOW_MODAL);
        }
        FXMLLoader loader = new FXMLLoader(WizardWindow.class.getResource("/io/etlstream/ui/wizard.fxml"),
                Messages.bundle());
        loader.setControllerFactory(type -> new WizardController(viewModel, stage::close));
        Parent root;
        try {
            root = loader.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load wizard.fxml from ui-resources", e);
        }
        Scene scene = new Scene(root);
        appearance.attach(scene);
        stage.setScene(scene);
        stage.setTitle(Messages.get("wizard.title"));
        stage.setMinWidth(640);
        stage.setMinHeight(460);
        viewModel.load();
        return stage;
    }
}
