package io.etlstream.app;

import io.etlstream.app.bridge.SnapshotBridge;
import io.etlstream.app.concurrent.AppExecutors;
import io.etlstream.app.concurrent.CatchingExecutors;
import io.etlstream.app.error.ErrorReport;
import io.etlstream.app.error.ErrorWindow;
import io.etlstream.app.error.ErrorWindows;
import io.etlstream.app.main.MainWindow;
import io.etlstream.app.theme.Appearance;
import io.etlstream.home.EtlHome;
import io.etlstream.logging.Logging;
import java.util.Objects;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.stage.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console application: opens the home's session (engine lock, logs, catalog) in the background, then
 * the main window; a refused or failed start shows the error window and ends with exit code 1.
 * Start it through {@link Launcher}.
 */
public final class EtlStreamApp extends Application {

    private static final Logger LOG = LoggerFactory.getLogger(EtlStreamApp.class);
    private static final AtomicInteger EXIT_CODE = new AtomicInteger();

    private final EtlHome homeOverride;
    private final ConsoleSession.LogSetup logSetup;
    private final Runnable exitPlatform;
    private final Appearance appearance = new Appearance();

    private EtlHome home;
    private ThreadPoolExecutor jobPool;
    private SnapshotBridge bridge;
    private final AtomicReference<ConsoleSession> session = new AtomicReference<>();
    private Thread shutdownHook;
    private volatile boolean stopped;
    private MainWindow mainWindow;
    private Stage startupErrorWindow;

    public EtlStreamApp() {
        this(null, Logging::configureForConsole, Platform::exit);
    }

    /**
     * For tests: a fixed home instead of the command line, the test's own logging, and an exit action that
     * leaves the shared FX toolkit running.
     */
    EtlStreamApp(EtlHome homeOverride, ConsoleSession.LogSetup logSetup, Runnable exitPlatform) {
        this.homeOverride = homeOverride;
        this.logSetup = Objects.requireNonNull(logSetup);
        this.exitPlatform = Objects.requireNonNull(exitPlatform);
    }

    /** The exit code the launcher passes to the shell once the FX toolkit has stopped. */
    public static int exitCode() {
        return EXIT_CODE.get();
    }

    @Override
    public void init() {
        // Usage errors were reported by the Launcher before the toolkit started.
        home = homeOverride != null ? homeOverride : LaunchOptions.parse(getParameters().getRaw()).home();
    }

    @Override
    public void start(Stage stage) {
        EXIT_CODE.set(0);
        ErrorWindows errors = new ErrorWindows(appearance, () -> mainWindow == null ? null : stage);
        Thread.currentThread().setUncaughtExceptionHandler(errors);
        jobPool = CatchingExecutors.newPool("etl-job", 2, errors);
        AppExecutors executors = new AppExecutors(jobPool, Platform::runLater, errors);
        bridge = new SnapshotBridge(CatchingExecutors.newScheduler("etl-bridge", errors));

        executors.job(() -> ConsoleSession.open(home, logSetup))
                .onSuccess(opened -> {
                    if (stopped) {
                        opened.close();
                        return;
                    }
                    session.set(opened);
                    // SIGTERM or a logout ends the JVM without Application.stop(): still close the catalog and
                    // empty the lock file so the next start does not report a stale holder.
                    shutdownHook = new Thread(this::closeSession, "etl-console-shutdown");
                    Runtime.getRuntime().addShutdownHook(shutdownHook);
                    LOG.info("console started on {}", home.dir());
                    mainWindow = new MainWindow(stage, home, opened.pipelines(), bridge, appearance, exitPlatform);
                    stage.show();
                })
                // A refused lock or unreadable catalog is a UserFacingException that says what to do; anything
                // else is a bug. Both end the start the same way: error window, then exit code 1.
                .onError(Throwable.class, this::refuseStart)
                .start();
    }

    private void refuseStart(Throwable failure) {
        EXIT_CODE.set(1);
        LOG.error("console could not start on {}: {}", home.dir(), failure.getMessage(), failure);
        startupErrorWindow = ErrorWindow.create(ErrorReport.of(failure), null, appearance);
        startupErrorWindow.setOnHidden(e -> exitPlatform.run());
        startupErrorWindow.show();
    }

    /** The error window shown when the start was refused, or null. */
    Stage startupErrorWindow() {
        return startupErrorWindow;
    }

    MainWindow mainWindow() {
        return mainWindow;
    }

    @Override
    public void stop() {
        stopped = true;
        try {
            if (bridge != null) {
                bridge.close();
            }
        } finally {
            if (jobPool != null) {
                jobPool.shutdownNow();
            }
            closeSession();
            if (shutdownHook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException e) {
                    // The JVM is already shutting down and runs the hook itself.
                }
            }
        }
    }

    private void closeSession() {
        ConsoleSession s = session.getAndSet(null);
        if (s != null) {
            s.close();
            LOG.info("console stopped; released {}", home.dir());
        }
    }
}
