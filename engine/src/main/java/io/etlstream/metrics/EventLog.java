package io.etlstream.metrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's event log: keeps the newest events in memory for the console and the CLI, and hands every event
 * to a persistent store on its own writer thread, so {@link #publish} never waits for the disk. When the store
 * falls far behind, the oldest unsaved events are dropped and counted rather than blocking a pipeline.
 */
public final class EventLog implements EventSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);

    private final int keep;
    private final ArrayDeque<EngineEvent> recent;
    private final BlockingQueue<EngineEvent> unsaved;
    private final Consumer<EngineEvent> store;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closing;

    /** @param store persists one event (e.g. into the catalog); null keeps events in memory only */
    public EventLog(int keep, Consumer<EngineEvent> store) {
        this.keep = keep;
        this.recent = new ArrayDeque<>(keep);
        this.store = store;
        this.unsaved = new ArrayBlockingQueue<>(10_000);
        if (store != null) {
            writer = new Thread(this::drain, "event-log-writer");
            writer.setDaemon(true);
            writer.start();
        } else {
            writer = null;
        }
    }

    @Override
    public void publish(EngineEvent event) {
        synchronized (recent) {
            if (recent.size() == keep) {
                recent.removeFirst();
            }
            recent.addLast(event);
        }
        if (store != null) {
            while (!unsaved.offer(event)) {
                if (unsaved.poll() != null) {
                    dropped.incrementAndGet();
                }
            }
        }
    }

    /** The newest {@code n} events, oldest first. */
    public List<EngineEvent> recent(int n) {
        synchronized (recent) {
            List<EngineEvent> all = new ArrayList<>(recent);
            return List.copyOf(all.subList(Math.max(0, all.size() - n), all.size()));
        }
    }

    /** Events that could not be stored because the store fell too far behind. */
    public long dropped() {
        return dropped.get();
    }

    private void drain() {
        while (!closing || !unsaved.isEmpty()) {
            try {
                EngineEvent e = unsaved.poll(200, TimeUnit.MILLISECONDS);
                if (e != null) {
                    store.accept(e);
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException ex) {
                LOG.warn("cannot store an event: {}", ex.getMessage());
            }
        }
    }

    /** Stores what is still queued (waiting at most a few seconds), then stops the writer. */
    @Override
    public void close() {
        closing = true;
        if (writer != null) {
            try {
                writer.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
