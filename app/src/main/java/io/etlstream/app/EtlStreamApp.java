package io.etlstream.app;

import io.etlstream.app.bridge.SnapshotBridge;
import io.etlstream.app.concurrent.AppExecutors;
import io.etlstream.app.bridge.Subscription;
import io.etlstream.app.concurrent.CatchingExecutors;
import io.etlstream.app.concurrent.Jobs;
import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.engine.OwnedEngine;
import io.etlstream.app.wizard.WizardBackend;
import io.etlstream.app.wizard.WizardViewModel;
import io.etlstream.app.wizard.WizardWindow;
import io.etlstream.app.main.StoppingDialog;
import io.etlstream.app.main.StoppingViewModel;
import io.etlstream.app.vault.PasswordDialog;
import io.etlstream.app.vault.PasswordViewModel;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.vault.Vault;
import javafx.animation.PauseTransition;
import javafx.util.Duration;
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
 * The console application: runs the engine on its home (asking for the vault's master password only when a
 * pipeline needs it) or, when another engine holds the home, watches that one through its control channel; then
 * shows the main window. Closing it stops the pipelines within a bounded time. A refused or failed start shows the
 * error window and ends with exit code 1.
 * Start it through {@link Launcher}.
 */
public final class EtlStreamApp extends Application {

    private static final Logger LOG = LoggerFactory.getLogger(EtlStreamApp.class);
    private static final AtomicInteger EXIT_CODE = new AtomicInteger();

    /** Extra seconds the console waits beyond the engine's stop timeout before it exits anyway. */
    static final long STOP_MARGIN_SECONDS = 10;

    private final EtlHome homeOverride;
    private final ConsoleSession.LogSetup logSetup;
    private final EngineHost.Settings settings;
    private final Runnable exitPlatform;
    private final Appearance appearance = new Appearance();

    private EtlHome home;
    private Stage mainStage;
    private AppExecutors executors;
    private Stage passwordWindow;
    private Stage stoppingWindow;
    private Stage wizardWindow;
    private boolean quitting;
    private volatile boolean opened;
    private final java.util.concurrent.CountDownLatch sessionClosed = new java.util.concurrent.CountDownLatch(1);
    private ThreadPoolExecutor jobPool;
    private SnapshotBridge bridge;
    private final AtomicReference<ConsoleSession> session = new AtomicReference<>();
    private Thread shutdownHook;
    private volatile boolean stopped;
    private MainWindow mainWindow;
    private Stage startupErrorWindow;

    public EtlStreamApp() {
        this(null, Logging::configureForConsole, Platform::exit, EngineHost.Settings.defaults());
    }

    /**
     * For tests: a fixed home instead of the command line, the test's own logging, and an exit action that
     * leaves the shared FX toolkit running.
     */
    EtlStreamApp(EtlHome homeOverride, ConsoleSession.LogSetup logSetup, Runnable exitPlatform,
            EngineHost.Settings settings) {
        this.homeOverride = homeOverride;
        this.settings = Objects.requireNonNull(settings);
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
        mainStage = stage;
        ErrorWindows errors = new ErrorWindows(appearance, () -> mainWindow == null ? null : stage);
        Thread.currentThread().setUncaughtExceptionHandler(errors);
        jobPool = CatchingExecutors.newPool("etl-job", 2, errors);
        executors = new AppExecutors(jobPool, Platform::runLater, errors);
        bridge = new SnapshotBridge(CatchingExecutors.newScheduler("etl-bridge", errors));

        executors.job(() -> ConsoleSession.plan(home, settings))
                .onSuccess(plan -> {
                    if (plan instanceof ConsoleSession.Plan.Own own) {
                        if (own.askPassword()) {
                            askPassword();
                        } else {
                            startEngine(null);
                        }
                    } else if (plan instanceof ConsoleSession.Plan.Observe observe) {
                        open(() -> ConsoleSession.observe(home, observe.holder()));
                    }
                })
                // A refused lock or unreadable catalog is a UserFacingException that says what to do; anything
                // else is a bug. Both end the start the same way: error window, then exit code 1.
                .onError(Throwable.class, this::refuseStart)
                .start();
    }

    private void askPassword() {
        PasswordViewModel viewModel = new PasswordViewModel(home.vaultFile(),
                pw -> ConsoleSession.unlockVault(home, pw), executors,
                vault -> {
                    passwordWindow.close();
                    startEngine(vault);
                },
                () -> {
                    passwordWindow.close();
                    startEngine(null);
                });
        passwordWindow = PasswordDialog.create(viewModel, appearance);
        passwordWindow.show();
    }

    private void startEngine(Vault vault) {
        open(() -> ConsoleSession.own(home, logSetup, vault, settings));
    }

    private void open(Jobs.Work<ConsoleSession> opening) {
        executors.job(opening)
                .onSuccess(opened -> {
                    if (stopped) {
                        opened.close();
                        return;
                    }
                    session.set(opened);
                    this.opened = true;
                    // SIGTERM or a logout ends the JVM without Application.stop(): still stop the pipelines
                    // cleanly and release the home so the next start does not report a stale holder.
                    shutdownHook = new Thread(this::closeSession, "etl-console-shutdown");
                    Runtime.getRuntime().addShutdownHook(shutdownHook);
                    LOG.info("console started on {} ({} engine)", home.dir(), opened.engine().mode());
                    mainWindow = new MainWindow(mainStage, home, opened.engine(), executors, bridge, appearance,
                            this::quit);
                    if (opened.engine() instanceof OwnedEngine owned) {
                        mainWindow.setNewPipeline(() -> openWizard(owned));
                    }
                    mainStage.setOnCloseRequest(e -> {
                        e.consume();
                        quit();
                    });
                    mainStage.show();
                })
                .onError(Throwable.class, this::refuseStart)
                .start();
    }

    /**
     * Closing the window or File › Quit: an owned engine stops every pipeline (flush, confirm the LSN, close
     * channels) while a progress window shows; the console exits when that is done or the stop timeout (plus a
     * margin) has passed, whichever comes first.
     */
    void quit() {
        if (quitting) {
            return;
        }
        quitting = true;
        ConsoleSession s = session.get();
        if (s == null) {
            exitPlatform.run();
            return;
        }
        ConsoleEngine engine = s.engine();
        if (engine.mode() == ConsoleEngine.Mode.OBSERVED) {
            // Nothing runs here: disconnect and go; the other engine keeps its pipelines running.
            executors.job(() -> {
                closeSession();
                return Boolean.TRUE;
            }).andFinally(exitPlatform).start();
            return;
        }
        StoppingViewModel progress = new StoppingViewModel(engine.stopTimeout());
        stoppingWindow = StoppingDialog.create(progress, mainStage, appearance);
        stoppingWindow.show();
        Subscription feed = bridge.subscribe(java.time.Duration.ofMillis(250), engine::statuses, progress::show,
                failure -> { });
        PauseTransition watchdog = new PauseTransition(
                Duration.seconds(engine.stopTimeout().toSeconds() + STOP_MARGIN_SECONDS));
        Runnable[] finish = new Runnable[2];
        boolean[] done = new boolean[1];
        for (int i = 0; i < 2; i++) {
            boolean clean = i == 0;
            finish[i] = () -> {
                if (done[0]) {
                    return;
                }
                done[0] = true;
                watchdog.stop();
                feed.close();
                progress.finished(clean);
                if (!clean) {
                    LOG.warn("pipelines did not stop within {} s; the console exits anyway",
                            engine.stopTimeout().toSeconds() + STOP_MARGIN_SECONDS);
                }
                stoppingWindow.close();
                exitPlatform.run();
            };
        }
        watchdog.setOnFinished(e -> finish[1].run());
        watchdog.play();
        executors.job(() -> {
            closeSession();
            return Boolean.TRUE;
        }).onSuccess(ok -> finish[0].run()).onError(Throwable.class, failure -> {
            LOG.error("stopping the engine failed", failure);
            finish[1].run();
        }).start();
    }

    private void openWizard(OwnedEngine owned) {
        Stage[] window = new Stage[1];
        WizardViewModel viewModel = new WizardViewModel(new WizardBackend(owned.host()), executors, created -> {
            window[0].close();
            mainWindow.pipelines().select(created.name());
            mainWindow.refreshNow();
        });
        window[0] = WizardWindow.create(viewModel, mainStage, appearance);
        wizardWindow = window[0];
        window[0].show();
    }

    /** The last wizard window opened, or null. */
    Stage wizardWindow() {
        return wizardWindow;
    }

    /** The password window, once asked. */
    Stage passwordWindow() {
        return passwordWindow;
    }

    /** The shutdown progress window, once the console is closing. */
    Stage stoppingWindow() {
        return stoppingWindow;
    }

    Appearance appearanceForTest() {
        return appearance;
    }

    ConsoleSession session() {
        return session.get();
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
            closeSessionBounded();
            if (shutdownHook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException e) {
                    // The JVM is already shutting down and runs the hook itself.
                }
            }
        }
    }

    /** Closes the session on a thread of its own and waits at most the stop timeout plus a margin. */
    private void closeSessionBounded() {
        ConsoleSession s = session.get();
        if (s == null) {
            return;
        }
        Thread closer = new Thread(this::closeSession, "etl-console-stop");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(
                    s.engine().stopTimeout().toSeconds() + STOP_MARGIN_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warn("the engine did not stop within {} s; leaving it behind",
                    s.engine().stopTimeout().toSeconds() + STOP_MARGIN_SECONDS);
        }
    }

    private void closeSession() {
        ConsoleSession s = session.getAndSet(null);
        if (s == null) {
            // Another thread (the quit job, stop() or the SIGTERM hook) is closing it: the JVM must not end
            // before the pipelines have stopped, so wait for that close, bounded like the close itself.
            awaitClosed();
            return;
        }
        try {
            s.close();
            LOG.info("console stopped; released {}", home.dir());
        } finally {
            sessionClosed.countDown();
        }
    }

    private void awaitClosed() {
        if (!opened) {
            return;
        }
        try {
            sessionClosed.await(settings.stopTimeout().toSeconds() + STOP_MARGIN_SECONDS,
                    java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
