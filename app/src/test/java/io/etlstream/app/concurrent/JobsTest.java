package io.etlstream.app.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.UserFacingException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class JobsTest {

    private final List<String> events = new ArrayList<>();
    private final List<Throwable> unhandled = new ArrayList<>();
    private final AppExecutors direct = AppExecutors.currentThread((t, e) -> unhandled.add(e));

    @Test
    void successRunsTheSuccessHandlerThenFinally() {
        direct.job(() -> 42)
                .onSuccess(v -> events.add("success " + v))
                .onError(Exception.class, e -> events.add("error"))
                .andFinally(() -> events.add("finally"))
                .start();

        assertThat(events).containsExactly("success 42", "finally");
        assertThat(unhandled).isEmpty();
    }

    @Test
    void theFirstMatchingTypedHandlerGetsTheFailure() {
        direct.job(() -> {
                    throw new UserFacingException("slot is in use; stop the other engine");
                })
                .onSuccess(v -> events.add("success"))
                .onError(IOException.class, e -> events.add("io"))
                .onError(UserFacingException.class, e -> events.add("user: " + e.getMessage()))
                .onError(RuntimeException.class, e -> events.add("runtime"))
                .andFinally(() -> events.add("finally"))
                .start();

        assertThat(events).containsExactly("user: slot is in use; stop the other engine", "finally");
        assertThat(unhandled).isEmpty();
    }

    @Test
    void aFailureNoHandlerClaimsGoesToTheUnhandledHandler() {
        IllegalStateException boom = new IllegalStateException("boom");
        direct.job(() -> {
                    throw boom;
                })
                .onError(IOException.class, e -> events.add("io"))
                .andFinally(() -> events.add("finally"))
                .start();

        assertThat(events).containsExactly("finally");
        assertThat(unhandled).containsExactly(boom);
    }

    @Test
    void aThrowingSuccessHandlerIsReportedAndFinallyStillRuns() {
        direct.job(() -> "x")
                .onSuccess(v -> {
                    throw new IllegalArgumentException("handler bug");
                })
                .andFinally(() -> events.add("finally"))
                .start();

        assertThat(events).containsExactly("finally");
        assertThat(unhandled).singleElement().satisfies(e -> assertThat(e).hasMessage("handler bug"));
    }

    @Test
    void aCancelledJobRunsNoHandlers() {
        List<Runnable> queuedUi = new ArrayList<>();
        AppExecutors deferredUi = new AppExecutors(Runnable::run, queuedUi::add, (t, e) -> unhandled.add(e));
        Jobs.Handle handle = deferredUi.job(() -> 1)
                .onSuccess(v -> events.add("success"))
                .andFinally(() -> events.add("finally"))
                .start();

        handle.cancel();
        queuedUi.forEach(Runnable::run);

        assertThat(handle.isCancelled()).isTrue();
        assertThat(events).isEmpty();
    }

    @Test
    void workRunsOnTheBackgroundPoolAndHandlersOnTheUiExecutor() throws Exception {
        ThreadPoolExecutor pool = CatchingExecutors.newPool("test-job", 1, (t, e) -> unhandled.add(e));
        try {
            CountDownLatch done = new CountDownLatch(1);
            AtomicReference<String> workThread = new AtomicReference<>();
            AtomicReference<String> handlerThread = new AtomicReference<>();
            AppExecutors executors = new AppExecutors(pool, Runnable::run, (t, e) -> unhandled.add(e));
            executors.job(() -> {
                        workThread.set(Thread.currentThread().getName());
                        return 1;
                    })
                    .onSuccess(v -> handlerThread.set(Thread.currentThread().getName()))
                    .andFinally(done::countDown)
                    .start();

            assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(workThread.get()).startsWith("test-job-");
            assertThat(handlerThread.get()).startsWith("test-job-");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void catchingExecutorsRouteFailuresOfPlainTasksAndFuturesToTheOneHandler() throws Exception {
        List<Throwable> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch two = new CountDownLatch(2);
        ThreadPoolExecutor pool = CatchingExecutors.newPool("catching", 1, (t, e) -> {
            seen.add(e);
            two.countDown();
        });
        try {
            pool.execute(() -> {
                throw new IllegalStateException("from execute");
            });
            pool.submit(() -> {
                throw new IOException("from submit");
            });
            assertThat(two.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(seen).extracting(Throwable::getMessage)
                    .containsExactlyInAnyOrder("from execute", "from submit");
        } finally {
            pool.shutdownNow();
        }
    }
}
