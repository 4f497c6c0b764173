package io.etlstream.app;

import io.etlstream.UserFacingException;
import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.app.engine.ObservedEngine;
import io.etlstream.app.engine.OwnedEngine;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.vault.Vault;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What the console holds for one home while it runs: the engine it runs itself (engine lock, catalog, pipelines;
 * stopped cleanly on close), or, when another engine holds the home, that engine watched through its control channel.
 */
public final class ConsoleSession implements AutoCloseable {

    /** How the console will open a home; decided by {@link #plan} before anything is started. */
    public sealed interface Plan {
        /** Run the engine here; {@code askPassword}: the catalog names vault secrets and the vault exists. */
        record Own(boolean askPassword) implements Plan {}

        /** Another engine holds the home and answers on its control channel. */
        record Observe(HomeLock.Holder holder) implements Plan {}
    }

    private final EtlHome home;
    private final ConsoleEngine engine;
    private final Path logFile;

    private ConsoleSession(EtlHome home, ConsoleEngine engine, Path logFile) {
        this.home = home;
        this.engine = engine;
        this.logFile = logFile;
    }

    /**
     * Decides how to open {@code home}. Refused with the lock's {@link UserFacingException} (naming the holder) when
     * a CLI command holds it, or an engine holds it without answering on its control channel. Call off the FX thread.
     */
    public static Plan plan(EtlHome home, EngineHost.Settings settings) {
        Objects.requireNonNull(home, "home");
        try (HomeLock probe = HomeLock.acquireEngine(home, HomeLock.CONSOLE);
                Vault vault = Vault.open(home.vaultFile())) {
            return new Plan.Own(EngineHost.needsVault(home, settings) && vault.exists());
        } catch (UserFacingException refused) {
            Optional<HomeLock.Holder> holder = HomeLock.readHolder(home);
            if (holder.isPresent() && isEngine(holder.get()) && ObservedEngine.canConnect(home)) {
                return new Plan.Observe(holder.get());
            }
            throw refused;
        }
    }

    private static boolean isEngine(HomeLock.Holder h) {
        return HomeLock.RUN.equals(h.role()) || HomeLock.CONSOLE.equals(h.role());
    }

    /**
     * Unlocks the home's vault with {@code masterPassword} (the caller zeroes it). A wrong password is a
     * {@link io.etlstream.vault.VaultException} with reason {@code WRONG_PASSWORD}. Call off the FX thread: it takes
     * a moment by design.
     */
    public static Vault unlockVault(EtlHome home, char[] masterPassword) {
        Vault vault = Vault.open(home.vaultFile());
        try {
            vault.unlock(masterPassword);
            return vault;
        } catch (RuntimeException | Error e) {
            vault.close();
            throw e;
        }
    }

    /**
     * Runs the engine on {@code home}: logs to {@code <home>/logs}, starts every pipeline marked to run.
     * {@code vault} (unlocked, or null) belongs to the session from here on. Call off the FX thread.
     */
    public static ConsoleSession own(EtlHome home, LogSetup logSetup, Vault vault, EngineHost.Settings settings) {
        Path logFile;
        try {
            logFile = logSetup.configure(home);
        } catch (RuntimeException | Error e) {
            if (vault != null) {
                vault.close();
            }
            throw e;
        }
        EngineHost host = EngineHost.start(home, HomeLock.CONSOLE, vault, settings);
        return new ConsoleSession(home, new OwnedEngine(host, settings.stopTimeout()), logFile);
    }

    /** Watches the engine {@code holder} runs on {@code home}; its logs stay its own. */
    public static ConsoleSession observe(EtlHome home, HomeLock.Holder holder) {
        String who = holder.role() + ", pid " + holder.pid();
        ObservedEngine engine = ObservedEngine.connect(home, who).orElseThrow(() -> new UserFacingException(
                "the engine (" + who + ") on " + home.dir() + " stopped answering while the console started;"
                        + " start the console again"));
        return new ConsoleSession(home, engine, null);
    }

    /** How the session sets up logging: the app uses {@code Logging::configureForConsole}; tests keep theirs. */
    @FunctionalInterface
    public interface LogSetup {
        Path configure(EtlHome home);
    }

    public EtlHome home() {
        return home;
    }

    public ConsoleEngine engine() {
        return engine;
    }

    /** The log file, or null when logging was left as it was. */
    public Path logFile() {
        return logFile;
    }

    /** Owned: stops the pipelines (bounded by the stop timeout) and releases the home. Observed: disconnects. */
    @Override
    public void close() {
        engine.close();
    }
}
