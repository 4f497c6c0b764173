package io.etlstream.home;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

    /**
     * Creates the home folder when it does not exist yet, readable by its owner only where the file system has POSIX
     * permissions: the catalog and the logs name databases, users and tables, and the vault sits beside them. An
     * existing folder is left as its owner set it. Idempotent; safe when another process creates it at the same time.
     */
    public void createDir() throws IOException {
        createPrivateDir(dir);
    }

    /** Creates {@code dir} (and missing parents as usual) when it does not exist, the folder itself owner-only. */
    public static void createPrivateDir(Path dir) throws IOException {
        dir = dir.toAbsolutePath();
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectory(dir);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }

    /** The file whose OS lock marks the one process that owns this home; see {@link HomeLock}. */
    public Path lockFile() {
        return dir.resolve("engine.lock");
    }
}
