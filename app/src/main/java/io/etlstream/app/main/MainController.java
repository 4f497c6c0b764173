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
import io.etlstream.app.i18n.Messages;
import javafx.scene.Node;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Button;
import javafx.scene.control.ChoiceDialog;
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
    private final PipelineActionsViewModel commands;
    private final LiveChartsViewModel charts;
    private final Appearance appearance;
    private final MainActions actions;
    private final javafx.beans.value.ObservableBooleanValue newPipelineAvailable;

    @FXML
    private javafx.scene.control.MenuItem newPipelineItem;

    @FXML
    private Label engineBanner;

    @FXML
    private Button startButton;

    @FXML
    private Button stopButton;

    @FXML
    private Button pauseButton;

    @FXML
    private Button resumeButton;

    @FXML
    private Button resyncButton;

    @FXML
    private Label actionMessage;

    @FXML
    private TableColumn<PipelineRow, String> lagColumn;

    @FXML
    private TableColumn<PipelineRow, String> rateColumn;

    @FXML
    private Label chartsHeading;

    @FXML
    private Label sourceNotice;

    @FXML
    private LineChart<Number, Number> lagBytesChart;

    @FXML
    private LineChart<Number, Number> lagSecondsChart;

    @FXML
    private LineChart<Number, Number> rowsChart;

    @FXML
    private NumberAxis lagBytesX;

    @FXML
    private NumberAxis lagBytesY;

    @FXML
    private NumberAxis lagSecondsX;

    @FXML
    private NumberAxis lagSecondsY;

    @FXML
    private NumberAxis rowsX;

    @FXML
    private NumberAxis rowsY;

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

    public MainController(PipelineListViewModel pipelines, PipelineActionsViewModel commands,
            LiveChartsViewModel charts, Appearance appearance, MainActions actions,
            javafx.beans.value.ObservableBooleanValue newPipelineAvailable) {
        this.newPipelineAvailable = newPipelineAvailable;
        this.pipelines = Objects.requireNonNull(pipelines);
        this.commands = Objects.requireNonNull(commands);
        this.charts = Objects.requireNonNull(charts);
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
        statusColumn.setCellFactory(column -> new StatusCell());
        lagColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().lag()));
        rateColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().throughput()));
        bindSelection();
        bindCommands();
        bindCharts();
        engineBanner.textProperty().bind(pipelines.engineBannerProperty());
        sourceNotice.textProperty().bind(pipelines.sourceNoticeProperty());
        sourceNotice.visibleProperty().bind(pipelines.sourceNoticeProperty().isNotEmpty());
        sourceNotice.managedProperty().bind(sourceNotice.visibleProperty());
        newPipelineItem.disableProperty().bind(Bindings.not(newPipelineAvailable));

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

    private void bindSelection() {
        pipelineTable.getSelectionModel().selectedItemProperty().addListener((obs, old, now) -> {
            // A refresh replaces the rows and briefly selects nothing; only a real pick changes the selection.
            if (now != null) {
                pipelines.select(now.name());
            }
        });
        pipelines.selectedRowProperty().addListener((obs, old, now) -> selectRow(now));
        pipelines.pipelines().addListener((javafx.collections.ListChangeListener<PipelineRow>) c ->
                selectRow(pipelines.selectedRowProperty().get()));
        selectRow(pipelines.selectedRowProperty().get());
        commands.selectedProperty().bind(pipelines.selectedRowProperty());
    }

    private void selectRow(PipelineRow row) {
        if (row != null && !row.equals(pipelineTable.getSelectionModel().getSelectedItem())) {
            pipelineTable.getSelectionModel().select(row);
        }
    }

    private void bindCommands() {
        startButton.disableProperty().bind(commands.canStartProperty().not());
        stopButton.disableProperty().bind(commands.canStopProperty().not());
        pauseButton.disableProperty().bind(commands.canPauseProperty().not());
        resumeButton.disableProperty().bind(commands.canResumeProperty().not());
        resyncButton.disableProperty().bind(commands.canResyncProperty().not());
        actionMessage.textProperty().bind(commands.messageProperty());
        commands.messageIsProblemProperty().addListener((obs, old, problem) ->
                actionMessage.pseudoClassStateChanged(PROBLEM, problem));
    }

    private static final javafx.css.PseudoClass PROBLEM = javafx.css.PseudoClass.getPseudoClass("problem");
    private static final javafx.css.PseudoClass WARNING = javafx.css.PseudoClass.getPseudoClass("warning");

    /**
     * The state column: a failure shows as a problem, a reconnecting source (with no failure) as a warning; the
     * tooltip has the details of both, and any long text in full.
     */
    private static final class StatusCell extends javafx.scene.control.TableCell<PipelineRow, String> {

        StatusCell() {
            getStyleClass().add("status-cell");
        }

        @Override
        protected void updateItem(String item, boolean empty) {
            super.updateItem(item, empty);
            PipelineRow row = empty ? null : getTableRow().getItem();
            setText(empty ? null : item);
            String tip = row != null ? row.statusDetails() : item;
            javafx.scene.control.Tooltip tooltip = null;
            if (!empty && tip != null && !tip.isEmpty()) {
                tooltip = new javafx.scene.control.Tooltip(tip);
                tooltip.setWrapText(true);
                tooltip.setMaxWidth(640);
            }
            setTooltip(tooltip);
            boolean failure = row != null && row.failure();
            pseudoClassStateChanged(PROBLEM, failure);
            pseudoClassStateChanged(WARNING, row != null && row.sourceReconnecting() && !failure);
        }
    }

    private void bindCharts() {
        chartsHeading.textProperty().bind(charts.headingProperty());
        bindChart(lagBytesChart, lagBytesX, lagBytesY, charts.lagBytes(), charts.lagBytesUpperProperty());
        bindChart(lagSecondsChart, lagSecondsX, lagSecondsY, charts.lagSeconds(), charts.lagSecondsUpperProperty());
        bindChart(rowsChart, rowsX, rowsY, charts.rowsPerSecond(), charts.rowsUpperProperty());
        lagBytesY.setTickLabelFormatter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Number n) {
                return PipelineRows.bytes(n.doubleValue());
            }

            @Override
            public Number fromString(String s) {
                throw new UnsupportedOperationException("axis labels are display only");
            }
        });
    }

    private void bindChart(LineChart<Number, Number> chart, NumberAxis x, NumberAxis y,
            javafx.collections.ObservableList<XYChart.Data<Number, Number>> data,
            javafx.beans.property.ReadOnlyDoubleProperty upper) {
        // STYLE rule 9: fixed window and manual bounds; nothing animates and nothing auto-ranges.
        chart.setAnimated(false);
        chart.setCreateSymbols(false);
        x.setAutoRanging(false);
        x.setLowerBound(charts.lowerX());
        x.setUpperBound(0);
        y.setAutoRanging(false);
        y.setLowerBound(0);
        y.upperBoundProperty().bind(upper);
        y.tickUnitProperty().bind(upper.divide(4));
        chart.getData().setAll(java.util.List.of(new XYChart.Series<>(data)));
    }

    @FXML
    private void startPipeline() {
        commands.start();
    }

    @FXML
    private void stopPipeline() {
        commands.stop();
    }

    @FXML
    private void pausePipeline() {
        commands.pause();
    }

    @FXML
    private void resumePipeline() {
        commands.resume();
    }

    @FXML
    private void resyncTable() {
        java.util.List<String> tables = commands.tables();
        if (tables.isEmpty()) {
            return;
        }
        ChoiceDialog<String> choose = new ChoiceDialog<>(tables.get(0), tables);
        choose.initOwner(pipelineTable.getScene().getWindow());
        choose.setTitle(Messages.get("resync.title"));
        choose.setHeaderText(Messages.get("resync.header", commands.selectedProperty().get().name()));
        choose.getDialogPane().getStylesheets().setAll(appearance.getTheme().stylesheets());
        choose.getDialogPane().getStyleClass().add("resync-dialog");
        // Not showAndWait: no nested event loop, the list keeps refreshing while the dialog is open.
        choose.setOnHidden(e -> {
            if (choose.getResult() != null) {
                commands.resync(choose.getResult());
            }
        });
        choose.show();
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
    private void newPipeline() {
        actions.newPipeline().run();
    }

    @FXML
    private void about() {
        actions.about().run();
    }
}
