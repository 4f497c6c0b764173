package io.etlstream.app.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.ConsoleSession;
import io.etlstream.app.concurrent.AppExecutors;
import io.etlstream.home.EtlHome;
import io.etlstream.vault.Vault;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The master-password prompt against a real vault file, with every job run inline. */
class PasswordViewModelTest {

    private static final String MASTER = "the right master password";

    @TempDir
    Path dir;

    private EtlHome home;
    private final List<Throwable> unhandled = new CopyOnWriteArrayList<>();
    private final List<Vault> unlocked = new CopyOnWriteArrayList<>();
    private final AtomicInteger skipped = new AtomicInteger();
    private PasswordViewModel viewModel;

    @BeforeEach
    void vault() {
        home = new EtlHome(dir.resolve("home"));
        try (Vault v = Vault.open(home.vaultFile())) {
            char[] pw = MASTER.toCharArray();
            v.init(pw);
        }
        viewModel = new PasswordViewModel(home.vaultFile(), pw -> ConsoleSession.unlockVault(home, pw),
                AppExecutors.currentThread((t, e) -> unhandled.add(e)), unlocked::add, skipped::incrementAndGet);
    }

    @Test
    void aWrongPasswordSaysSoCountsTheAttemptZeroesTheArrayAndAllowsAnotherTry() {
        char[] wrong = "not it at all".toCharArray();
        viewModel.submit(wrong);

        assertThat(viewModel.problemProperty().get()).startsWith("Wrong master password (attempt 1)");
        assertThat(viewModel.failedAttemptsProperty().get()).isEqualTo(1);
        assertThat(wrong).containsOnly('\0');
        assertThat(viewModel.busyProperty().get()).isFalse();
        assertThat(unlocked).isEmpty();

        char[] right = MASTER.toCharArray();
        viewModel.submit(right);
        assertThat(right).containsOnly('\0');
        assertThat(viewModel.problemProperty().get()).isEmpty();
        assertThat(unlocked).singleElement().satisfies(v -> {
            assertThat(v.isUnlocked()).isTrue();
            v.close();
        });
        assertThat(unhandled).isEmpty();
    }

    @Test
    void anEmptyPasswordIsRefusedWithoutTrying() {
        viewModel.submit(new char[0]);
        assertThat(viewModel.problemProperty().get()).isEqualTo("Type the master password first.");
        assertThat(viewModel.failedAttemptsProperty().get()).isZero();
    }

    @Test
    void skippingGoesOnWithoutTheVaultOnceOnly() {
        viewModel.skip();
        viewModel.skip();
        assertThat(skipped).hasValue(1);
        char[] late = MASTER.toCharArray();
        viewModel.submit(late);
        assertThat(unlocked).as("no unlock after the choice was made").isEmpty();
        assertThat(late).containsOnly('\0');
    }
}
