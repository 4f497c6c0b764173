package io.etlstream.app.vault;

import io.etlstream.UserFacingException;
import io.etlstream.app.concurrent.AppExecutors;
import io.etlstream.app.i18n.Messages;
import io.etlstream.vault.Secrets;
import io.etlstream.vault.Vault;
import io.etlstream.vault.VaultException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * Asking for the vault's master password: unlocks in the background (it takes a moment by design), says clearly when
 * the password was wrong and lets the user try again. The password only ever lives in a {@code char[]} that is
 * zeroed when the attempt ends, whatever happened.
 */
public final class PasswordViewModel {

    /** Unlocks the vault with a password; the caller keeps ownership of the array. */
    @FunctionalInterface
    public interface Unlocker {
        Vault unlock(char[] masterPassword);
    }

    private final Unlocker unlocker;
    private final AppExecutors executors;
    private final Consumer<Vault> onUnlocked;
    private final Runnable onSkipped;
    private final ReadOnlyBooleanWrapper busy = new ReadOnlyBooleanWrapper(this, "busy");
    private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper(this, "problem", "");
    private final ReadOnlyIntegerWrapper failedAttempts = new ReadOnlyIntegerWrapper(this, "failedAttempts");
    private final String explanation;
    private boolean finished;

    public PasswordViewModel(Path vaultFile, Unlocker unlocker, AppExecutors executors, Consumer<Vault> onUnlocked,
            Runnable onSkipped) {
        this.unlocker = Objects.requireNonNull(unlocker, "unlocker");
        this.executors = Objects.requireNonNull(executors, "executors");
        this.onUnlocked = Objects.requireNonNull(onUnlocked, "onUnlocked");
        this.onSkipped = Objects.requireNonNull(onSkipped, "onSkipped");
        this.explanation = Messages.get("password.explanation", vaultFile);
    }

    /**
     * Tries {@code masterPassword}; the view model owns the array from here and zeroes it when the attempt ends.
     * An empty password is refused without trying.
     */
    public void submit(char[] masterPassword) {
        if (busy.get() || finished) {
            Secrets.zero(masterPassword);
            return;
        }
        if (masterPassword.length == 0) {
            problem.set(Messages.get("password.empty"));
            return;
        }
        busy.set(true);
        problem.set("");
        executors.job(() -> {
            try {
                return unlocker.unlock(masterPassword);
            } finally {
                Secrets.zero(masterPassword);
            }
        }).onSuccess(vault -> {
            finished = true;
            onUnlocked.accept(vault);
        }).onError(VaultException.class, e -> {
            if (e.reason() == VaultException.Reason.WRONG_PASSWORD) {
                failedAttempts.set(failedAttempts.get() + 1);
                problem.set(Messages.get("password.wrong", failedAttempts.get()));
            } else {
                problem.set(Messages.get("password.failed", e.getMessage()));
            }
        }).onError(UserFacingException.class, e -> problem.set(Messages.get("password.failed", e.getMessage())))
                .andFinally(() -> busy.set(false))
                .start();
    }

    /** Go on without the vault: pipelines that need a secret from it fail and say so. */
    public void skip() {
        if (!finished && !busy.get()) {
            finished = true;
            onSkipped.run();
        }
    }

    public String explanation() {
        return explanation;
    }

    public ReadOnlyBooleanProperty busyProperty() {
        return busy.getReadOnlyProperty();
    }

    /** Why the last attempt failed; empty before the first attempt and while one runs. */
    public ReadOnlyStringProperty problemProperty() {
        return problem.getReadOnlyProperty();
    }

    public ReadOnlyIntegerProperty failedAttemptsProperty() {
        return failedAttempts.getReadOnlyProperty();
    }
}
