package io.etlstream.app.main;

import io.etlstream.UserFacingException;
import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.i18n.Messages;
import io.etlstream.home.EtlHome;
import java.util.List;
import java.util.Objects;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/** The pipeline list of the main window: what to show, decided from catalog snapshots; never touches a control. */
public final class PipelineListViewModel {

    /** What the list area shows. */
    public enum State {
        LOADING,
        EMPTY,
        LIST,
        FAILED
    }

    private final EtlHome home;
    private final ObservableList<PipelineRow> pipelines = FXCollections.observableArrayList();
    private final ObservableList<PipelineRow> readOnlyPipelines = FXCollections.unmodifiableObservableList(pipelines);
    private final ReadOnlyObjectWrapper<State> state = new ReadOnlyObjectWrapper<>(this, "state", State.LOADING);
    private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper(this, "problem", "");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper(this, "status", "");
    private final ReadOnlyStringWrapper engineBanner = new ReadOnlyStringWrapper(this, "engineBanner", "");
    private final ReadOnlyStringWrapper selectedName = new ReadOnlyStringWrapper(this, "selectedName");
    private final ReadOnlyObjectWrapper<PipelineRow> selectedRow = new ReadOnlyObjectWrapper<>(this, "selectedRow");
    private final ReadOnlyStringWrapper sourceNotice = new ReadOnlyStringWrapper(this, "sourceNotice", "");

    public PipelineListViewModel(EtlHome home) {
        this.home = Objects.requireNonNull(home, "home");
        status.set(Messages.get("main.status.loading", home.dir()));
    }

    /** Takes a fresh catalog snapshot; the order of {@code rows} is kept. */
    public void show(List<PipelineRow> rows) {
        if (!pipelines.equals(rows)) {
            pipelines.setAll(rows);
        }
        problem.set("");
        if (selectedName.get() == null || rows.stream().noneMatch(r -> r.name().equals(selectedName.get()))) {
            // The first pipeline is selected so its charts show without a click; a vanished one hands over too.
            selectedName.set(rows.isEmpty() ? null : rows.get(0).name());
        }
        selectRow(find(selectedName.get()));
        state.set(rows.isEmpty() ? State.EMPTY : State.LIST);
        status.set(Messages.get("main.status.count", rows.size(), home.dir()));
    }

    /** The catalog could not be read; the last good list stays so a passing hiccup does not blank the window. */
    public void showFailure(Throwable failure) {
        String reason = failure instanceof UserFacingException ? failure.getMessage() : String.valueOf(failure);
        problem.set(Messages.get("main.problem.catalog", reason));
        if (pipelines.isEmpty()) {
            state.set(State.FAILED);
        }
        status.set(problem.get());
    }

    /** Says who runs the pipelines shown: this console, another process (watched), or nobody (catalog only). */
    public void describeEngine(ConsoleEngine engine) {
        if (engine == null) {
            engineBanner.set(Messages.get("main.engine.none"));
        } else if (engine.mode() == ConsoleEngine.Mode.OWNED) {
            engineBanner.set(Messages.get("main.engine.owned"));
        } else {
            engineBanner.set(Messages.get("main.engine.observed", engine.holder()));
        }
    }

    public ReadOnlyStringProperty engineBannerProperty() {
        return engineBanner.getReadOnlyProperty();
    }

    /** The user picked {@code name} in the list (null: nothing); survives list refreshes. */
    public void select(String name) {
        selectedName.set(name);
        selectRow(find(name));
    }

    private void selectRow(PipelineRow row) {
        selectedRow.set(row);
        sourceNotice.set(row == null ? "" : row.sourceNotice());
    }

    /** Why and how the selected pipeline's source is reconnecting to PostgreSQL; empty while it is connected. */
    public ReadOnlyStringProperty sourceNoticeProperty() {
        return sourceNotice.getReadOnlyProperty();
    }

    private PipelineRow find(String name) {
        return name == null ? null : pipelines.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null);
    }

    /** Name of the selected pipeline, kept across refreshes. */
    public ReadOnlyStringProperty selectedNameProperty() {
        return selectedName.getReadOnlyProperty();
    }

    /** The newest row of the selected pipeline (replaced with every snapshot that changes it). */
    public ReadOnlyObjectProperty<PipelineRow> selectedRowProperty() {
        return selectedRow.getReadOnlyProperty();
    }

    public ObservableList<PipelineRow> pipelines() {
        return readOnlyPipelines;
    }

    public ReadOnlyObjectProperty<State> stateProperty() {
        return state.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty problemProperty() {
        return problem.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty statusProperty() {
        return status.getReadOnlyProperty();
    }

    /** The headline of the empty state. */
    public String emptyTitle() {
        return Messages.get("main.empty.title");
    }

    /** What to do next when there are no pipelines. */
    public String emptyHint() {
        return Messages.get("main.empty.hint");
    }

    /** The command that creates a pipeline in this home, ready to copy into a terminal. */
    public String emptyCommand() {
        return cliName() + " --home " + quoteForShell(home.dir().toString()) + " pipeline create";
    }

    /**
     * The CLI's name where the console runs: an installed image (jpackage sets {@code jpackage.app-path} in its
     * launchers) has the console as {@code etl-stream} and the CLI as {@code etl-stream-cli}; a checkout's
     * {@code ./etl-stream} script runs both.
     */
    static String cliName() {
        return System.getProperty("jpackage.app-path") != null ? "etl-stream-cli" : "etl-stream";
    }

    private static String quoteForShell(String path) {
        if (path.matches("[A-Za-z0-9_./:\\\\-]+")) {
            return path;
        }
        return "'" + path.replace("'", "'\\''") + "'";
    }
}
