package io.etlstream.app.main;

import io.etlstream.app.bridge.FxThread;
import io.etlstream.app.i18n.Messages;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * Progress of the console's shutdown: of the pipelines that were running when the window closed, how many have
 * flushed, confirmed their LSN and closed. Fed from status snapshots by the bridge.
 */
public final class StoppingViewModel {

    private final Set<String> running = new HashSet<>();
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(this, "progress", -1);
    private final ReadOnlyStringWrapper detail = new ReadOnlyStringWrapper(this, "detail", "");
    private final String explanation;

    public StoppingViewModel(Duration timeout) {
        explanation = Messages.get("stopping.explanation", timeout.toSeconds());
        detail.set(Messages.get("stopping.starting"));
    }

    /** Pipelines not yet at rest count as still stopping; the first snapshot fixes which ones are awaited. */
    public void show(List<PipelineStatus> statuses) {
        FxThread.require();
        if (running.isEmpty()) {
            statuses.stream().filter(s -> busy(s.state())).forEach(s -> running.add(s.name()));
        }
        if (running.isEmpty()) {
            progress.set(-1);
            detail.set(Messages.get("stopping.closing"));
            return;
        }
        long stillBusy = statuses.stream().filter(s -> running.contains(s.name()) && busy(s.state())).count();
        long done = running.size() - stillBusy;
        progress.set((double) done / running.size());
        detail.set(Messages.get("stopping.count", done, running.size()));
    }

    /** Everything is closed (or the time ran out and the console gives up waiting). */
    public void finished(boolean clean) {
        FxThread.require();
        progress.set(1);
        detail.set(clean ? Messages.get("stopping.done") : Messages.get("stopping.timedOut"));
    }

    private static boolean busy(PipelineState s) {
        return s.isRunning() || s == PipelineState.STOPPING || s == PipelineState.RETRYING;
    }

    public String explanation() {
        return explanation;
    }

    /** 0..1, or -1 while it is not known how many pipelines must stop. */
    public ReadOnlyDoubleProperty progressProperty() {
        return progress.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty detailProperty() {
        return detail.getReadOnlyProperty();
    }
}
