package io.etlstream.home;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/** Where one engine keeps its catalog, vault, logs and control endpoint. */
public record EtlHome(Path dir) {

    /** Environment variable that overrides the default home folder. */
    public static final String ENV = "ETL_STREAM_HOME";

    public EtlHome {
        Objects.requireNonNull(dir, "dir");
        dir = dir.toAbsolutePath().normalize();
    }

    /**
     * Resolves the home folder: an explicit {@code --home} wins, then {@value #ENV}, then
     * {@code ~/.etl-stream}.
     */
    public static EtlHome resolve(Path explicit, Map<String, String> env) {
        if (explicit != null) {
            return new EtlHome(explicit);
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new EtlHome(Path.of(fromEnv));
        }
        return new EtlHome(Path.of(System.getProperty("user.home"), ".etl-stream"));
    }

    public Path catalogDir() {
        return dir.resolve("catalog");
    }

    public Path vaultFile() {
        return dir.resolve("vault.p12");
    }

    public Path logsDir() {
        return dir.resolve("logs");
    }

    /** The file whose OS lock marks the one process that owns this home; see {@link HomeLock}. */
    public Path lockFile() {
        return dir.resolve("engine.lock");
    }
}
