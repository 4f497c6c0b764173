package io.etlstream.app.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.app.concurrent.CatchingExecutors;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javafx.application.Platform;
import javafx.beans.property.SimpleIntegerProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

class SnapshotBridgeTest {

    private final List<Throwable> unhandled = new CopyOnWriteArrayList<>();
    private final SnapshotBridge bridge =
            new SnapshotBridge(CatchingExecutors.newScheduler("test-bridge", (t, e) -> unhandled.add(e)));

    @BeforeAll
    static void startFx() throws Exception {
        FxToolkit.registerPrimaryStage();
    }

    @AfterEach
    void close() {
        bridge.close();
        assertThat(unhandled).isEmpty();
    }

    @Test
    void samplesOffTheFxThreadAndPublishesOnIt() throws Exception {
        List<Boolean> sampledOnFx = new CopyOnWriteArrayList<>();
        List<Boolean> publishedOnFx = new CopyOnWriteArrayList<>();
        SimpleIntegerProperty target = new SimpleIntegerProperty();

        Subscription s = bridge.subscribe(Duration.ofMillis(20), () -> {
            sampledOnFx.add(Platform.isFxApplicationThread());
            return 7;
        }, v -> {
            publishedOnFx.add(Platform.isFxApplicationThread());
            target.set(v);
        }, e -> {});

        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> target.get() == 7);
        s.close();
        assertThat(sampledOnFx).isNotEmpty().containsOnly(false);
        assertThat(publishedOnFx).containsOnly(true);
    }

    @Test
    void anUnchangedSnapshotIsPublishedOnce() throws Exception {
        AtomicInteger samples = new AtomicInteger();
        List<List<String>> published = new CopyOnWriteArrayList<>();

        bridge.subscribe(Duration.ofMillis(10), () -> {
            samples.incrementAndGet();
            return List.of("orders");
        }, published::add, e -> {});

        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> samples.get() >= 10);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(published).hasSize(1);
    }

    @Test
    void aFailedSampleGoesToTheFailureHandlerAndTheNextGoodOneIsPublishedAgain() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<Object> seen = new CopyOnWriteArrayList<>();

        bridge.subscribe(Duration.ofMillis(10), () -> {
            int n = calls.incrementAndGet();
            if (n == 2) {
                throw new IllegalStateException("catalog closed");
            }
            return "same";
        }, seen::add, e -> seen.add(e.getMessage()));

        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> seen.size() >= 3);
        assertThat(seen.subList(0, 3)).containsExactly("same", "catalog closed", "same");
    }

    @Test
    void closingStopsSamplingAndForgetsTheSubscription() throws Exception {
        AtomicInteger samples = new AtomicInteger();
        Subscription s = bridge.subscribe(Duration.ofMillis(10), samples::incrementAndGet, v -> {}, e -> {});
        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> samples.get() >= 2);
        assertThat(bridge.activeSubscriptions()).isEqualTo(1);

        s.close();
        int afterClose = samples.get();
        Thread.sleep(100);

        assertThat(s.isActive()).isFalse();
        assertThat(bridge.activeSubscriptions()).isZero();
        // One sample may have been in flight while closing.
        assertThat(samples.get()).isLessThanOrEqualTo(afterClose + 1);
    }

    @Test
    void refreshNowSamplesWithoutWaitingForThePeriod() throws Exception {
        AtomicInteger samples = new AtomicInteger();
        Subscription s = bridge.subscribe(Duration.ofHours(1), samples::incrementAndGet, v -> {}, e -> {});
        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> samples.get() == 1);

        s.refreshNow();

        WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> samples.get() == 2);
    }

    @Test
    void fxThreadGuardRefusesOtherThreads() {
        assertThatThrownBy(FxThread::require)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("JavaFX application thread");
    }
}
