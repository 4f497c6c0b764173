package io.etlstream.app;

import io.etlstream.app.main.CatalogPipelineDirectory;
import io.etlstream.app.main.PipelineDirectory;
import io.etlstream.catalog.Catalog;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What the console owns for one home while it runs: the engine lock (one engine per home) and the open
 * catalog. Closing releases both, catalog first.
 */
public final class ConsoleSession implements AutoCloseable {

    private final EtlHome home;
    private final HomeLock lock;
    private final Catalog catalog;
    private final Path logFile;

    private ConsoleSession(EtlHome home, HomeLock lock, Catalog catalog, Path logFile) {
        this.home = home;
        this.lock = lock;
        this.catalog = catalog;
        this.logFile = logFile;
    }

    /**
     * Takes the home as its engine, sends logs to {@code <home>/logs} and opens the catalog. Refused with a
     * {@link io.etlstream.UserFacingException} naming the holder when another engine or CLI command uses it.
     * Call off the FX thread: migrating the catalog may take a moment.
     */
    public static ConsoleSession open(EtlHome home, LogSetup logSetup) {
        Objects.requireNonNull(home, "home");
        HomeLock lock = HomeLock.acquireEngine(home, HomeLock.CONSOLE);
        try {
            // Only after the lock: two processes must never roll the same log file.
            Path logFile = logSetup.configure(home);
            Catalog catalog = Catalog.open(home);
            return new ConsoleSession(home, lock, catalog, logFile);
        } catch (RuntimeException | Error e) {
            lock.close();
            throw e;
        }
    }

    /** How the session sets up logging: the app uses {@code Logging::configureForConsole}; tests keep theirs. */
    @FunctionalInterface
    public interface LogSetup {
        Path configure(EtlHome home);
    }

    public EtlHome home() {
        return home;
    }

    /** The pipeline list as the main window reads it. */
    public PipelineDirectory pipelines() {
        return new CatalogPipelineDirectory(catalog);
    }

    /** The log file, or null when logging was left as it was. */
    public Path logFile() {
        return logFile;
    }

    @Override
    public void close() {
        try {
            catalog.close();
        } finally {
            lock.close();
        }
    }
}
