package io.etlstream.app.wizard;

import io.etlstream.UserFacingException;
import io.etlstream.app.concurrent.AppExecutors;
import io.etlstream.app.i18n.Messages;
import io.etlstream.batch.TableId;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.TableRef;
import io.etlstream.source.pg.DoctorCheck;
import io.etlstream.source.pg.DoctorReport;
import io.etlstream.source.pg.TableNames;
import java.util.List;
import java.util.function.Consumer;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The pipeline wizard: source → doctor checks → destination → tables → mode, then create. Each step that needs the
 * engine runs as a background job; the doctor's errors (with their fixes) keep the wizard from going on, and the
 * final create uses the engine's own validation, whose refusal is shown as it is.
 */
public final class WizardViewModel {

    /** The wizard's pages, in order. */
    public enum Step {
        SOURCE,
        DOCTOR,
        DESTINATION,
        TABLES,
        MODE
    }

    private final WizardBackend backend;
    private final AppExecutors executors;
    private final Consumer<PipelineStatus> onCreated;
    private final ReadOnlyObjectWrapper<Step> step = new ReadOnlyObjectWrapper<>(this, "step", Step.SOURCE);
    private final ReadOnlyBooleanWrapper busy = new ReadOnlyBooleanWrapper(this, "busy");
    private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper(this, "problem", "");
    private final ObservableList<String> sources = FXCollections.observableArrayList();
    private final ObservableList<String> destinations = FXCollections.observableArrayList();
    private final ObservableList<String> tables = FXCollections.observableArrayList();
    private final ObservableList<DoctorCheck> checks = FXCollections.observableArrayList();
    private final ObjectProperty<String> source = new SimpleObjectProperty<>(this, "source");
    private final ObjectProperty<String> destination = new SimpleObjectProperty<>(this, "destination");
    private final ObservableList<String> selectedTables = FXCollections.observableArrayList();
    private final StringProperty name = new SimpleStringProperty(this, "name", "");
    private final ObjectProperty<PipelineSettings.Mode> mode = new SimpleObjectProperty<>(this, "mode",
            PipelineSettings.Mode.MIRROR);
    private final StringProperty mergeInterval = new SimpleStringProperty(this, "mergeInterval", "60s");
    private final ReadOnlyBooleanWrapper doctorPassed = new ReadOnlyBooleanWrapper(this, "doctorPassed");
    private final BooleanBinding canGoOn;

    public WizardViewModel(WizardBackend backend, AppExecutors executors, Consumer<PipelineStatus> onCreated) {
        this.backend = backend;
        this.executors = executors;
        this.onCreated = onCreated;
        canGoOn = Bindings.createBooleanBinding(() -> !busy.get() && switch (step.get()) {
            case SOURCE -> source.get() != null;
            case DOCTOR -> doctorPassed.get();
            case DESTINATION -> destination.get() != null;
            case TABLES -> !selectedTables.isEmpty();
            case MODE -> !name.get().isBlank() && !mergeInterval.get().isBlank();
        }, busy, step, source, doctorPassed, destination, selectedTables, name, mergeInterval);
    }

    /** Reads the catalog's sources and destinations. */
    public void load() {
        run(() -> new Catalogued(backend.sources(), backend.destinations()), c -> {
            sources.setAll(c.sources());
            destinations.setAll(c.destinations());
            if (c.sources().isEmpty()) {
                problem.set(Messages.get("wizard.noSources"));
            }
        });
    }

    private record Catalogued(List<String> sources, List<String> destinations) {}

    /** Goes to the next step, doing what the current one needs first (doctor, table list). */
    public void next() {
        if (!canGoOn.get()) {
            return;
        }
        switch (step.get()) {
            case SOURCE -> {
                String s = source.get();
                run(() -> backend.doctor(s, List.of()), report -> {
                    showReport(report);
                    step.set(Step.DOCTOR);
                });
            }
            case DOCTOR -> step.set(Step.DESTINATION);
            case DESTINATION -> {
                String s = source.get();
                run(() -> backend.tables(s), list -> {
                    tables.setAll(list);
                    selectedTables.retainAll(list);
                    step.set(Step.TABLES);
                });
            }
            case TABLES -> {
                String s = source.get();
                List<TableId> chosen = TableNames.parseList(String.join(",", selectedTables));
                // The doctor again, now for the chosen tables (replica identity, ownership, existence).
                run(() -> backend.doctor(s, chosen), report -> {
                    showReport(report);
                    if (report.hasErrors()) {
                        problem.set(Messages.get("wizard.tablesRefused", firstError(report)));
                    } else {
                        if (name.get().isBlank()) {
                            name.set(s + "_to_" + destination.get());
                        }
                        step.set(Step.MODE);
                    }
                });
            }
            case MODE -> create();
        }
    }

    public void back() {
        if (busy.get() || step.get() == Step.SOURCE) {
            return;
        }
        problem.set("");
        step.set(Step.values()[step.get().ordinal() - 1]);
    }

    private void create() {
        PipelineDefinition definition;
        try {
            PipelineSettings settings = new PipelineSettings(mode.get(),
                    PipelineSettings.parseInterval(mergeInterval.get().trim()), PipelineSettings.Deletes.HARD, true,
                    PipelineSettings.DEFAULTS.parallelism(), PipelineSettings.DEFAULTS.priority());
            definition = new PipelineDefinition(name.get().trim(), source.get(), destination.get(),
                    selectedTables.stream().map(TableRef::parse).toList(), settings, false);
        } catch (UserFacingException | IllegalArgumentException e) {
            problem.set(Messages.get("wizard.invalid", e.getMessage()));
            return;
        }
        run(() -> backend.create(definition), onCreated);
    }

    private void showReport(DoctorReport report) {
        checks.setAll(report.checks());
        doctorPassed.set(!report.hasErrors());
    }

    private static String firstError(DoctorReport report) {
        return report.checks().stream().filter(c -> c.status() == DoctorCheck.Status.ERROR)
                .map(c -> c.name() + ": " + c.detail()).findFirst().orElse("");
    }

    private <T> void run(io.etlstream.app.concurrent.Jobs.Work<T> work, Consumer<T> then) {
        busy.set(true);
        problem.set("");
        executors.job(work).onSuccess(then)
                .onError(UserFacingException.class, e -> problem.set(e.getMessage()))
                .andFinally(() -> busy.set(false)).start();
    }

    /** The text of one doctor finding as the wizard lists it. */
    public static String describe(DoctorCheck c) {
        String mark = switch (c.status()) {
            case OK -> Messages.get("wizard.check.ok");
            case WARNING -> Messages.get("wizard.check.warning");
            case ERROR -> Messages.get("wizard.check.error");
        };
        String text = mark + "  " + c.name() + " \u2014 " + c.detail();
        return c.fix() == null || c.fix().isBlank() ? text : text + "\n    " + Messages.get("wizard.check.fix", c.fix());
    }

    public ReadOnlyObjectProperty<Step> stepProperty() {
        return step.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty busyProperty() {
        return busy.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty problemProperty() {
        return problem.getReadOnlyProperty();
    }

    public BooleanBinding canGoOnBinding() {
        return canGoOn;
    }

    public ObservableList<String> sources() {
        return sources;
    }

    public ObservableList<String> destinations() {
        return destinations;
    }

    public ObservableList<String> tables() {
        return tables;
    }

    public ObservableList<DoctorCheck> checks() {
        return checks;
    }

    public ObjectProperty<String> sourceProperty() {
        return source;
    }

    public ObjectProperty<String> destinationProperty() {
        return destination;
    }

    /** The tables chosen on the tables step ({@code schema.table}). */
    public ObservableList<String> selectedTables() {
        return selectedTables;
    }

    public StringProperty nameProperty() {
        return name;
    }

    public ObjectProperty<PipelineSettings.Mode> modeProperty() {
        return mode;
    }

    public StringProperty mergeIntervalProperty() {
        return mergeInterval;
    }

    public ReadOnlyBooleanProperty doctorPassedProperty() {
        return doctorPassed.getReadOnlyProperty();
    }
}
