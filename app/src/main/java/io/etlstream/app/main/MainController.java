package io.etlstream.app.main;

import io.etlstream.app.main.PipelineListViewModel.State;
import io.etlstream.app.theme.Appearance;
import io.etlstream.app.theme.Theme;
import java.util.Objects;
import javafx.beans.binding.Bindings;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.value.ChangeListener;
import javafx.beans.value.WeakChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.RadioMenuItem;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.Toggle;
import javafx.scene.control.ToggleGroup;
import javafx.scene.layout.VBox;

/** Binds {@code main.fxml} to the main window's view models; holds no logic of its own. */
public final class MainController {

    private final PipelineListViewModel pipelines;
    private final Appearance appearance;
    private final MainActions actions;

    @FXML
    private ToggleGroup themeGroup;

    @FXML
    private RadioMenuItem lightTheme;

    @FXML
    private RadioMenuItem darkTheme;

    @FXML
    private TableView<PipelineRow> pipelineTable;

    @FXML
    private TableColumn<PipelineRow, String> nameColumn;

    @FXML
    private TableColumn<PipelineRow, String> sourceColumn;

    @FXML
    private TableColumn<PipelineRow, String> destinationColumn;

    @FXML
    private TableColumn<PipelineRow, String> statusColumn;

    @FXML
    private VBox emptyState;

    @FXML
    private Label emptyTitle;

    @FXML
    private Label emptyHint;

    @FXML
    private TextField emptyCommand;

    @FXML
    private Label loadingState;

    @FXML
    private Label failureState;

    @FXML
    private Label statusLabel;

    private final ChangeListener<Theme> followTheme = (obs, old, now) -> selectTheme(now);

    public MainController(PipelineListViewModel pipelines, Appearance appearance, MainActions actions) {
        this.pipelines = Objects.requireNonNull(pipelines);
        this.appearance = Objects.requireNonNull(appearance);
        this.actions = Objects.requireNonNull(actions);
    }

    @FXML
    private void initialize() {
        pipelineTable.setItems(pipelines.pipelines());
        nameColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().name()));
        sourceColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().source()));
        destinationColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().destination()));
        statusColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().status()));

        emptyTitle.setText(pipelines.emptyTitle());
        emptyHint.setText(pipelines.emptyHint());
        emptyCommand.setText(pipelines.emptyCommand());
        failureState.textProperty().bind(pipelines.problemProperty());
        statusLabel.textProperty().bind(pipelines.statusProperty());
        // The placeholder nodes live in the FXML; the table shows whichever one the state asks for.
        pipelineTable.placeholderProperty().bind(Bindings.createObjectBinding(
                () -> placeholderFor(pipelines.stateProperty().get()), pipelines.stateProperty()));

        lightTheme.setUserData(Theme.LIGHT);
        darkTheme.setUserData(Theme.DARK);
        selectTheme(appearance.getTheme());
        themeGroup.selectedToggleProperty().addListener((obs, old, now) -> {
            if (now != null) {
                appearance.setTheme((Theme) now.getUserData());
            }
        });
        // Weak: the appearance outlives this window, and must not keep it alive.
        appearance.themeProperty().addListener(new WeakChangeListener<>(followTheme));
    }

    private Node placeholderFor(State state) {
        return switch (state) {
            case LOADING -> loadingState;
            case FAILED -> failureState;
            case EMPTY, LIST -> emptyState;
        };
    }

    private void selectTheme(Theme theme) {
        for (Toggle toggle : themeGroup.getToggles()) {
            if (toggle.getUserData() == theme && !toggle.isSelected()) {
                toggle.setSelected(true);
            }
        }
    }

    @FXML
    private void quit() {
        actions.quit().run();
    }

    @FXML
    private void refresh() {
        actions.refresh().run();
    }

    @FXML
    private void about() {
        actions.about().run();
    }
}
