package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.source.pg.PgSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Engine settings of the PostgreSQL sources on {@code etl-stream run}: the memory each pipeline's source may hold in
 * change batches and the spilling of large streamed transactions to disk (threshold and folder). Unset options keep
 * {@link EngineHost.SourceMemory#DEFAULT}.
 */
public final class SourceMemoryOptions {

    static final long MIB = 1024L * 1024;
    /** Below this a few full batches (8 MB each) would not fit at once. */
    static final long MIN_MEMORY_BYTES = 64 * MIB;
    static final long MIN_SPILL_THRESHOLD_BYTES = MIB;

    @Option(names = "--source-max-memory-bytes", paramLabel = "BYTES",
            description = "Memory each pipeline's source may hold in change batches; when it is full the source waits"
                    + " for the destination (at least 64 MB = 67108864; default 512 MB = 536870912).")
    Long maxMemoryBytes;

    @Option(names = "--spill-threshold-bytes", paramLabel = "BYTES",
            description = "Memory the transactions still open in a source's stream may hold before the largest one"
                    + " spills to disk (at least 1 MB = 1048576, at most --source-max-memory-bytes; 0 = a quarter of"
                    + " it, the default).")
    Long spillThresholdBytes;

    @Option(names = "--spill-dir", paramLabel = "DIR",
            description = "Folder for the spill files of large transactions (owner-only; a folder per pipeline is made"
                    + " inside; default HOME/tmp/spill). Pick a disk with room for your largest transaction.")
    Path spillDir;

    /** The limits these options ask for; a value out of range throws a message that names the option. */
    public EngineHost.SourceMemory sourceMemory() {
        long memory = maxMemoryBytes == null ? 0 : maxMemoryBytes;
        if (maxMemoryBytes != null && memory < MIN_MEMORY_BYTES) {
            throw new UserFacingException("--source-max-memory-bytes must be at least " + MIN_MEMORY_BYTES
                    + " (64 MB), not " + memory + ".");
        }
        long effectiveMemory = memory > 0 ? memory : PgSource.Options.defaults().memoryLimitBytes();
        long threshold = spillThresholdBytes == null ? 0 : spillThresholdBytes;
        if (threshold < 0 || threshold > 0 && threshold < MIN_SPILL_THRESHOLD_BYTES) {
            throw new UserFacingException("--spill-threshold-bytes must be 0 (a quarter of the source memory) or at"
                    + " least " + MIN_SPILL_THRESHOLD_BYTES + " (1 MB), not " + threshold + ".");
        }
        if (threshold > effectiveMemory) {
            throw new UserFacingException("--spill-threshold-bytes (" + threshold + ") is more than the source memory"
                    + " (" + effectiveMemory + (memory > 0 ? ", --source-max-memory-bytes" : ", the default") + "):"
                    + " transactions would fill the memory before any spills. Lower it or raise"
                    + " --source-max-memory-bytes.");
        }
        Path dir = spillDir == null ? null : spillDir.toAbsolutePath().normalize();
        if (dir != null) {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new UserFacingException("--spill-dir " + dir + " is a file, not a folder; name a folder (it is"
                        + " created if missing).");
            }
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UserFacingException("--spill-dir " + dir + " cannot be created (" + e.getMessage() + ");"
                        + " name a folder this user may write to.", e);
            }
            if (!Files.isWritable(dir)) {
                throw new UserFacingException("--spill-dir " + dir + " is not writable by this user; name a folder"
                        + " this user may write to.");
            }
        }
        return new EngineHost.SourceMemory(memory, threshold, dir);
    }
}
