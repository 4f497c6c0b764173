package io.etlstream.app.concurrent;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The one way the console runs background work: the work runs on the background executor, and its
 * success handler, the first error handler whose type matches, and the {@code finally} action run on
 * the ui executor. A failure no handler claims goes to the executors' unhandled-failure handler.
 *
 * <pre>{@code
 * executors.job(catalog::pipelines)
 *         .onSuccess(viewModel::show)
 *         .onError(UserFacingException.class, viewModel::showProblem)
 *         .andFinally(() -> viewModel.busy.set(false))
 *         .start();
 * }</pre>
 */
public final class Jobs {

    private Jobs() {}

    /** Work that produces a value and may throw. */
    @FunctionalInterface
    public interface Work<T> {
        T call() throws Exception;
    }

    /** A started job; cancelling stops its handlers from running (the work itself is not interrupted). */
    public interface Handle {
        void cancel();

        boolean isCancelled();
    }

    public static <T> Builder<T> create(Work<T> work, AppExecutors executors) {
        return new Builder<>(work, executors);
    }

    /** Collects handlers; {@link #start()} launches the job. */
    public static final class Builder<T> {
        private final Work<T> work;
        private final AppExecutors executors;
        private Consumer<? super T> onSuccess = value -> {};
        private final List<ErrorHandler<?>> errorHandlers = new ArrayList<>();
        private Runnable andFinally = () -> {};

        private Builder(Work<T> work, AppExecutors executors) {
            this.work = Objects.requireNonNull(work, "work");
            this.executors = Objects.requireNonNull(executors, "executors");
        }

        public Builder<T> onSuccess(Consumer<? super T> handler) {
            this.onSuccess = Objects.requireNonNull(handler);
            return this;
        }

        /** Handles failures of {@code type} (and its subtypes); handlers are tried in the order added. */
        public <E extends Throwable> Builder<T> onError(Class<E> type, Consumer<? super E> handler) {
            errorHandlers.add(new ErrorHandler<>(type, handler));
            return this;
        }

        /** Runs after the success or error handler, whatever happened (also when a handler throws). */
        public Builder<T> andFinally(Runnable action) {
            this.andFinally = Objects.requireNonNull(action);
            return this;
        }

        public Handle start() {
            AtomicBoolean cancelled = new AtomicBoolean();
            Handle handle = new Handle() {
                @Override
                public void cancel() {
                    cancelled.set(true);
                }

                @Override
                public boolean isCancelled() {
                    return cancelled.get();
                }
            };
            List<ErrorHandler<?>> handlers = List.copyOf(errorHandlers);
            Consumer<? super T> success = onSuccess;
            Runnable finallyAction = andFinally;
            executors.background().execute(() -> {
                T value;
                try {
                    value = work.call();
                } catch (Throwable failure) {
                    if (failure instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    executors.ui().execute(() -> finish(cancelled, () -> dispatch(failure, handlers), finallyAction));
                    return;
                }
                executors.ui().execute(() -> finish(cancelled, () -> success.accept(value), finallyAction));
            });
            return handle;
        }

        private void finish(AtomicBoolean cancelled, Runnable outcome, Runnable finallyAction) {
            if (cancelled.get()) {
                return;
            }
            try {
                outcome.run();
            } catch (RuntimeException | Error handlerFailure) {
                executors.unhandled().uncaughtException(Thread.currentThread(), handlerFailure);
            } finally {
                try {
                    finallyAction.run();
                } catch (RuntimeException | Error finallyFailure) {
                    executors.unhandled().uncaughtException(Thread.currentThread(), finallyFailure);
                }
            }
        }

        private void dispatch(Throwable failure, List<ErrorHandler<?>> handlers) {
            for (ErrorHandler<?> handler : handlers) {
                if (handler.tryHandle(failure)) {
                    return;
                }
            }
            executors.unhandled().uncaughtException(Thread.currentThread(), failure);
        }
    }

    private record ErrorHandler<E extends Throwable>(Class<E> type, Consumer<? super E> handler) {
        boolean tryHandle(Throwable failure) {
            if (!type.isInstance(failure)) {
                return false;
            }
            handler.accept(type.cast(failure));
            return true;
        }
    }
}
