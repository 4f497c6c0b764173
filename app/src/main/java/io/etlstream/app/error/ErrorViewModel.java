package io.etlstream.app.error;

import io.etlstream.app.i18n.Messages;
import java.util.Objects;
import java.util.function.Consumer;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/** State of the error window for one report; copying goes through the given clipboard writer. */
public final class ErrorViewModel {

    private final ErrorReport report;
    private final Consumer<String> clipboard;
    private final ReadOnlyBooleanWrapper copied = new ReadOnlyBooleanWrapper(this, "copied");
    private final ReadOnlyStringWrapper copyLabel =
            new ReadOnlyStringWrapper(this, "copyLabel", Messages.get("error.copyDetails"));

    public ErrorViewModel(ErrorReport report, Consumer<String> clipboard) {
        this.report = Objects.requireNonNull(report, "report");
        this.clipboard = Objects.requireNonNull(clipboard, "clipboard");
    }

    public String summary() {
        return report.summary();
    }

    public String nextStep() {
        return report.nextStep();
    }

    public String code() {
        return report.code().value();
    }

    public String details() {
        return report.details();
    }

    public void copyDetails() {
        clipboard.accept(report.details());
        copied.set(true);
        copyLabel.set(Messages.get("error.copied"));
    }

    public ReadOnlyBooleanProperty copiedProperty() {
        return copied.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty copyLabelProperty() {
        return copyLabel.getReadOnlyProperty();
    }
}
