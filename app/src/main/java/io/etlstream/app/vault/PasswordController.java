package io.etlstream.app.vault;

import java.util.Objects;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.PasswordField;
import javafx.scene.control.ProgressIndicator;

/** Binds {@code password.fxml} to its view model; copies the field into a {@code char[]} and clears the field. */
public final class PasswordController {

    private final PasswordViewModel viewModel;

    @FXML
    private Label explanation;

    @FXML
    private PasswordField passwordField;

    @FXML
    private Label problem;

    @FXML
    private ProgressIndicator progress;

    @FXML
    private Button unlockButton;

    @FXML
    private Button skipButton;

    public PasswordController(PasswordViewModel viewModel) {
        this.viewModel = Objects.requireNonNull(viewModel);
    }

    @FXML
    private void initialize() {
        explanation.setText(viewModel.explanation());
        problem.textProperty().bind(viewModel.problemProperty());
        problem.visibleProperty().bind(viewModel.problemProperty().isNotEmpty());
        problem.managedProperty().bind(problem.visibleProperty());
        progress.visibleProperty().bind(viewModel.busyProperty());
        passwordField.disableProperty().bind(viewModel.busyProperty());
        unlockButton.disableProperty().bind(viewModel.busyProperty());
        skipButton.disableProperty().bind(viewModel.busyProperty());
        viewModel.busyProperty().addListener((obs, was, now) -> {
            if (!now) {
                passwordField.requestFocus();
            }
        });
    }

    @FXML
    private void unlock() {
        // Copied straight out of the field's content, never through a String; the field is emptied at once.
        CharSequence typed = passwordField.getCharacters();
        char[] pw = new char[typed.length()];
        for (int i = 0; i < pw.length; i++) {
            pw[i] = typed.charAt(i);
        }
        passwordField.clear();
        viewModel.submit(pw);
    }

    @FXML
    private void skip() {
        passwordField.clear();
        viewModel.skip();
    }
}
