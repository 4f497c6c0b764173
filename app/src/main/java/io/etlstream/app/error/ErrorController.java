package io.etlstream.app.error;

import java.util.Objects;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TextArea;

/** Binds {@code error.fxml} to an {@link ErrorViewModel}. */
public final class ErrorController {

    private final ErrorViewModel viewModel;
    private final Runnable close;

    @FXML
    private Label summary;

    @FXML
    private Label nextStep;

    @FXML
    private Label code;

    @FXML
    private TextArea details;

    @FXML
    private Button copyButton;

    public ErrorController(ErrorViewModel viewModel, Runnable close) {
        this.viewModel = Objects.requireNonNull(viewModel);
        this.close = Objects.requireNonNull(close);
    }

    @FXML
    private void initialize() {
        summary.setText(viewModel.summary());
        nextStep.setText(viewModel.nextStep());
        code.setText(viewModel.code());
        details.setText(viewModel.details());
        copyButton.textProperty().bind(viewModel.copyLabelProperty());
    }

    @FXML
    private void copyDetails() {
        viewModel.copyDetails();
    }

    @FXML
    private void close() {
        close.run();
    }
}
