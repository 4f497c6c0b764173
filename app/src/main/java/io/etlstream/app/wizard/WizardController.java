package io.etlstream.app.wizard;

import io.etlstream.app.i18n.Messages;
import io.etlstream.app.wizard.WizardViewModel.Step;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.source.pg.DoctorCheck;
import java.util.Objects;
import javafx.beans.binding.Bindings;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.SelectionMode;
import javafx.scene.control.TextField;
import javafx.scene.layout.VBox;

/** Binds {@code wizard.fxml} to the wizard's view model; one page per step, shown by the step property. */
public final class WizardController {

    private final WizardViewModel viewModel;
    private final Runnable close;

    @FXML
    private VBox sourcePage;

    @FXML
    private VBox doctorPage;

    @FXML
    private VBox destinationPage;

    @FXML
    private VBox tablesPage;

    @FXML
    private VBox modePage;

    @FXML
    private ListView<String> sourceList;

    @FXML
    private ListView<DoctorCheck> doctorList;

    @FXML
    private ListView<String> destinationList;

    @FXML
    private ListView<String> tableList;

    @FXML
    private TextField nameField;

    @FXML
    private ChoiceBox<PipelineSettings.Mode> modeChoice;

    @FXML
    private TextField mergeField;

    @FXML
    private Label problem;

    @FXML
    private Label stepLabel;

    @FXML
    private Button backButton;

    @FXML
    private Button nextButton;

    public WizardController(WizardViewModel viewModel, Runnable close) {
        this.viewModel = Objects.requireNonNull(viewModel);
        this.close = Objects.requireNonNull(close);
    }

    @FXML
    private void initialize() {
        show(sourcePage, Step.SOURCE);
        show(doctorPage, Step.DOCTOR);
        show(destinationPage, Step.DESTINATION);
        show(tablesPage, Step.TABLES);
        show(modePage, Step.MODE);
        stepLabel.textProperty().bind(Bindings.createStringBinding(
                () -> (viewModel.stepProperty().get().ordinal() + 1) + " / " + Step.values().length,
                viewModel.stepProperty()));

        sourceList.setItems(viewModel.sources());
        sourceList.getSelectionModel().selectedItemProperty().addListener((o, a, now) ->
                viewModel.sourceProperty().set(now));
        destinationList.setItems(viewModel.destinations());
        destinationList.getSelectionModel().selectedItemProperty().addListener((o, a, now) ->
                viewModel.destinationProperty().set(now));
        doctorList.setItems(viewModel.checks());
        doctorList.setCellFactory(list -> new ListCell<>() {
            @Override
            protected void updateItem(DoctorCheck item, boolean empty) {
                super.updateItem(item, empty);
                getStyleClass().removeAll("check-ok", "check-warning", "check-error");
                if (empty || item == null) {
                    setText(null);
                } else {
                    setText(WizardViewModel.describe(item));
                    getStyleClass().add("check-" + item.status().name().toLowerCase(java.util.Locale.ROOT));
                }
            }
        });
        tableList.setItems(viewModel.tables());
        tableList.getSelectionModel().setSelectionMode(SelectionMode.MULTIPLE);
        tableList.getSelectionModel().getSelectedItems().addListener(
                (javafx.collections.ListChangeListener<String>) c -> viewModel.selectedTables()
                        .setAll(tableList.getSelectionModel().getSelectedItems()));
        nameField.textProperty().bindBidirectional(viewModel.nameProperty());
        mergeField.textProperty().bindBidirectional(viewModel.mergeIntervalProperty());
        modeChoice.getItems().setAll(PipelineSettings.Mode.values());
        modeChoice.valueProperty().bindBidirectional(viewModel.modeProperty());

        problem.textProperty().bind(viewModel.problemProperty());
        problem.visibleProperty().bind(viewModel.problemProperty().isNotEmpty());
        problem.managedProperty().bind(problem.visibleProperty());
        backButton.disableProperty().bind(viewModel.busyProperty()
                .or(viewModel.stepProperty().isEqualTo(Step.SOURCE)));
        nextButton.disableProperty().bind(viewModel.canGoOnBinding().not());
        String nextText = Messages.get("wizard.next");
        String createText = Messages.get("wizard.create");
        nextButton.textProperty().bind(Bindings.when(viewModel.stepProperty().isEqualTo(Step.MODE))
                .then(createText).otherwise(nextText));
    }

    private void show(VBox page, Step step) {
        page.visibleProperty().bind(viewModel.stepProperty().isEqualTo(step));
    }

    @FXML
    private void next() {
        viewModel.next();
    }

    @FXML
    private void back() {
        viewModel.back();
    }

    @FXML
    private void cancel() {
        close.run();
    }
}
