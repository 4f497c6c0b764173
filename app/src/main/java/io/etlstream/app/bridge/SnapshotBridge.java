package io.etlstream.app.bridge;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javafx.application.Platform;

/**
 * The one road from engine state to FX properties. Each subscription samples an immutable snapshot on
 * the sampler thread (never on the FX thread, because reading the catalog or the engine may block) and
 * hands it to its publisher on the FX application thread, which is the only place the publisher may
 * touch properties. A snapshot equal to the last one published is dropped, and when the FX thread falls
 * behind only the newest snapshot is published.
 */
public final class SnapshotBridge implements AutoCloseable {

    private final ScheduledExecutorService sampler;
    private final Set<Feed<?>> feeds = ConcurrentHashMap.newKeySet();

    /** The bridge owns {@code sampler} and shuts it down on {@link #close()}. */
    public SnapshotBridge(ScheduledExecutorService sampler) {
        this.sampler = Objects.requireNonNull(sampler, "sampler");
    }

    /**
     * Samples {@code sample} now and then every {@code period}; {@code publish} receives each changed
     * snapshot and {@code onFailure} each failed sample, both on the FX application thread.
     */
    public <S> Subscription subscribe(
            Duration period, Callable<? extends S> sample, Consumer<? super S> publish, Consumer<? super Throwable> onFailure) {
        if (sampler.isShutdown()) {
            throw new IllegalStateException("the snapshot bridge is closed; the console is shutting down");
        }
        Feed<S> feed = new Feed<>(sample, publish, onFailure);
        feeds.add(feed);
        feed.start(period);
        return feed;
    }

    /** How many subscriptions are running; windows that are hidden should hold none. */
    public int activeSubscriptions() {
        return feeds.size();
    }

    @Override
    public void close() {
        feeds.forEach(Feed::close);
        sampler.shutdownNow();
    }

    private final class Feed<S> implements Subscription {
        private final Callable<? extends S> sample;
        private final Consumer<? super S> publish;
        private final Consumer<? super Throwable> onFailure;
        private final AtomicBoolean active = new AtomicBoolean(true);
        /** The newest outcome not yet published: a snapshot, or a {@link Failure}. */
        private final AtomicReference<Object> pending = new AtomicReference<>();
        private volatile ScheduledFuture<?> schedule;
        /** Last value handed to the publisher; read and written on the FX thread only. */
        private Object lastPublished = NOTHING;

        Feed(Callable<? extends S> sample, Consumer<? super S> publish, Consumer<? super Throwable> onFailure) {
            this.sample = Objects.requireNonNull(sample, "sample");
            this.publish = Objects.requireNonNull(publish, "publish");
            this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
        }

        void start(Duration period) {
            long millis = Math.max(1, period.toMillis());
            schedule = sampler.scheduleWithFixedDelay(this::sampleOnce, 0, millis, TimeUnit.MILLISECONDS);
        }

        private void sampleOnce() {
            if (!active.get()) {
                return;
            }
            Object outcome;
            try {
                outcome = sample.call();
            } catch (Exception e) {
                outcome = new Failure(e);
            }
            // Only the first outcome after a publish schedules a hop to the FX thread; later ones overwrite it.
            if (pending.getAndSet(outcome) == null) {
                Platform.runLater(this::publishPending);
            }
        }

        @SuppressWarnings("unchecked")
        private void publishPending() {
            FxThread.require();
            Object outcome = pending.getAndSet(null);
            if (outcome == null || !active.get()) {
                return;
            }
            if (outcome instanceof Failure failure) {
                lastPublished = NOTHING;
                onFailure.accept(failure.cause());
                return;
            }
            if (Objects.equals(outcome, lastPublished)) {
                return;
            }
            lastPublished = outcome;
            publish.accept((S) outcome);
        }

        @Override
        public void refreshNow() {
            if (active.get()) {
                try {
                    sampler.execute(this::sampleOnce);
                } catch (RejectedExecutionException e) {
                    // The bridge is closing; there is no one left to publish to.
                }
            }
        }

        @Override
        public boolean isActive() {
            return active.get();
        }

        @Override
        public void close() {
            if (active.compareAndSet(true, false)) {
                ScheduledFuture<?> s = schedule;
                if (s != null) {
                    s.cancel(false);
                }
                feeds.remove(this);
            }
        }
    }

    private static final Object NOTHING = new Object();

    private record Failure(Throwable cause) {}
}
