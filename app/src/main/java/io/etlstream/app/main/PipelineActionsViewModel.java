package io.etlstream.app.main;

import io.etlstream.UserFacingException;
import io.etlstream.app.concurrent.AppExecutors;
import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.i18n.Messages;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.TableRef;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;

/**
 * The pipeline buttons: which command the selected pipeline accepts in its state, and sending it (the same
 * {@link PipelineCommand}s the CLI sends) in the background. The new state arrives with the next snapshot.
 */
public final class PipelineActionsViewModel {

    private static final Set<PipelineState> STARTABLE = EnumSet.of(PipelineState.CREATED, PipelineState.STOPPED,
            PipelineState.FAILED, PipelineState.RETRYING);
    private static final Set<PipelineState> STOPPABLE = EnumSet.of(PipelineState.SNAPSHOTTING,
            PipelineState.STREAMING, PipelineState.PAUSED, PipelineState.RETRYING, PipelineState.FAILED);
    private static final Set<PipelineState> PAUSABLE = EnumSet.of(PipelineState.SNAPSHOTTING,
            PipelineState.STREAMING, PipelineState.RETRYING);
    private static final Set<PipelineState> RESYNCABLE = EnumSet.of(PipelineState.SNAPSHOTTING,
            PipelineState.STREAMING, PipelineState.PAUSED, PipelineState.STOPPED, PipelineState.CREATED,
            PipelineState.FAILED);

    private final ConsoleEngine engine;
    private final AppExecutors executors;
    private final Runnable afterCommand;
    private final ObjectProperty<PipelineRow> selected = new SimpleObjectProperty<>(this, "selected");
    private final ReadOnlyBooleanWrapper busy = new ReadOnlyBooleanWrapper(this, "busy");
    private final ReadOnlyBooleanWrapper canStart = new ReadOnlyBooleanWrapper(this, "canStart");
    private final ReadOnlyBooleanWrapper canStop = new ReadOnlyBooleanWrapper(this, "canStop");
    private final ReadOnlyBooleanWrapper canPause = new ReadOnlyBooleanWrapper(this, "canPause");
    private final ReadOnlyBooleanWrapper canResume = new ReadOnlyBooleanWrapper(this, "canResume");
    private final ReadOnlyBooleanWrapper canResync = new ReadOnlyBooleanWrapper(this, "canResync");
    private final ReadOnlyStringWrapper message = new ReadOnlyStringWrapper(this, "message", "");
    private final ReadOnlyBooleanWrapper messageIsProblem = new ReadOnlyBooleanWrapper(this, "messageIsProblem");

    /** {@code engine} null: no engine (catalog only), every action stays disabled. */
    public PipelineActionsViewModel(ConsoleEngine engine, AppExecutors executors, Runnable afterCommand) {
        this.engine = engine;
        this.executors = executors;
        this.afterCommand = afterCommand;
        selected.addListener((obs, old, now) -> update());
        busy.addListener((obs, old, now) -> update());
    }

    private void update() {
        PipelineRow row = selected.get();
        PipelineState s = engine == null || row == null || busy.get() ? null : row.state();
        canStart.set(s != null && STARTABLE.contains(s));
        canStop.set(s != null && STOPPABLE.contains(s));
        canPause.set(s != null && PAUSABLE.contains(s));
        canResume.set(s == PipelineState.PAUSED);
        canResync.set(s != null && RESYNCABLE.contains(s) && !row.tables().isEmpty());
    }

    /** The row the list has selected; the list sets it again whenever a fresh snapshot replaces the row. */
    public ObjectProperty<PipelineRow> selectedProperty() {
        return selected;
    }

    public void start() {
        send(new PipelineCommand.Start());
    }

    public void stop() {
        send(new PipelineCommand.Stop());
    }

    public void pause() {
        send(new PipelineCommand.Pause(Messages.get("action.pause.reason")));
    }

    public void resume() {
        send(new PipelineCommand.Resume());
    }

    /** Copies {@code table} ({@code schema.table}) again from scratch, then follows the stream. */
    public void resync(String table) {
        send(new PipelineCommand.ResyncTable(TableRef.parse(table)));
    }

    /** The tables the selected pipeline replicates, for the resync choice. */
    public List<String> tables() {
        PipelineRow row = selected.get();
        return row == null ? List.of() : row.tables();
    }

    private void send(PipelineCommand command) {
        PipelineRow row = selected.get();
        if (engine == null || row == null || busy.get()) {
            return;
        }
        String name = row.name();
        busy.set(true);
        messageIsProblem.set(false);
        message.set(Messages.get("action.sending", command.verb(), name));
        executors.job(() -> engine.send(name, command))
                .onSuccess(after -> message.set(Messages.get("action.done", command.verb(), name,
                        PipelineRows.stateLabel(after.state()))))
                .onError(UserFacingException.class, e -> {
                    messageIsProblem.set(true);
                    message.set(Messages.get("action.failed", command.verb(), name, e.getMessage()));
                })
                .andFinally(() -> {
                    busy.set(false);
                    afterCommand.run();
                })
                .start();
    }

    public ReadOnlyBooleanProperty busyProperty() {
        return busy.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canStartProperty() {
        return canStart.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canStopProperty() {
        return canStop.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canPauseProperty() {
        return canPause.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canResumeProperty() {
        return canResume.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canResyncProperty() {
        return canResync.getReadOnlyProperty();
    }

    /** What the last command did, or why it was refused. */
    public ReadOnlyStringProperty messageProperty() {
        return message.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty messageIsProblemProperty() {
        return messageIsProblem.getReadOnlyProperty();
    }
}
