package io.etlstream.batch;

import io.etlstream.UserFacingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner-only folder where one source's {@link TransactionAssembler} spills transactions that outgrow
 * {@link #thresholdBytes()} of memory, one file per open transaction. Opening it deletes what a crashed run left
 * there; closing it deletes it. Spill files hold user data: they are created {@code rw-------}, deleted when their
 * transaction commits or aborts, and their contents are never logged. Counters are thread-safe (a monitor reads them
 * while the reader spills).
 */
public final class SpillDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpillDirectory.class);
    static final String SUFFIX = ".arrows";
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /** What was spilled so far; {@code openFiles} counts spill files that exist now. */
    public record Stats(long transactions, long batches, long bytes, int openFiles) {
    }

    private final Path dir;
    private final long thresholdBytes;
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong();

    private SpillDirectory(Path dir, long thresholdBytes) {
        this.dir = dir;
        this.thresholdBytes = thresholdBytes;
    }

    /**
     * Opens (creating it owner-only) the folder {@code dir} and deletes spill files left there by a run that did not
     * close it (a crash). {@code thresholdBytes}: buffered bytes of open transactions above which they spill.
     */
    public static SpillDirectory open(Path dir, long thresholdBytes) {
        return open(dir, thresholdBytes, false);
    }

    /**
     * As {@link #open(Path, long)}; {@code fromSpillDirOption}: {@code dir} lies in the folder named with
     * {@code --spill-dir} (else in java.io.tmpdir), which the error names.
     */
    public static SpillDirectory open(Path dir, long thresholdBytes, boolean fromSpillDirOption) {
        if (thresholdBytes < 1) {
            throw new IllegalArgumentException("spill threshold must be positive: " + thresholdBytes);
        }
        try {
            if (POSIX) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } else {
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw new UserFacingException("cannot create the spill folder " + dir + " for large transactions ("
                    + e.getMessage() + "): check that " + dir.toAbsolutePath().getParent()
                    + (fromSpillDirOption ? ", given with --spill-dir, is writable, or name another folder with"
                            + " --spill-dir" : " (java.io.tmpdir) is writable, or name a writable folder with --spill-dir"),
                    e);
        }
        SpillDirectory d = new SpillDirectory(dir, thresholdBytes);
        int removed = d.deleteSpillFiles();
        if (removed > 0) {
            LOG.info("removed {} spill file(s) an earlier run left in {}", removed, dir);
        }
        return d;
    }

    /** A directory for tests and tools that never spills. */
    static SpillDirectory never() {
        return new SpillDirectory(null, Long.MAX_VALUE);
    }

    public Path path() {
        return dir;
    }

    /** Buffered bytes of open transactions above which the largest one moves to disk. */
    public long thresholdBytes() {
        return thresholdBytes;
    }

    public Stats stats() {
        return new Stats(transactions.get(), batches.get(), bytes.get(), open.get());
    }

    /** A new, empty, owner-only spill file for transaction {@code xid}. */
    TransactionSpill newFile(int xid) {
        if (dir == null) {
            throw new IllegalStateException("this assembler has no spill directory");
        }
        Path file = dir.resolve("txn-" + Integer.toUnsignedString(xid) + "-" + sequence.incrementAndGet() + SUFFIX);
        FileAttribute<?>[] attrs = POSIX
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(Set.of(PosixFilePermission.OWNER_READ,
                        PosixFilePermission.OWNER_WRITE))}
                : new FileAttribute<?>[0];
        TransactionSpill spill = TransactionSpill.create(file, attrs, this);
        transactions.incrementAndGet();
        open.incrementAndGet();
        return spill;
    }

    void countBatch(long size) {
        batches.incrementAndGet();
        bytes.addAndGet(size);
    }

    void fileDeleted() {
        open.decrementAndGet();
    }

    private int deleteSpillFiles() {
        if (dir == null || !Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
                n++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean the spill folder " + dir, e);
        }
        return n;
    }

    /** Deletes any spill file still there, and the folder when it is empty. */
    @Override
    public void close() {
        if (dir == null) {
            return;
        }
        try {
            deleteSpillFiles();
            try (DirectoryStream<Path> rest = Files.newDirectoryStream(dir)) {
                if (!rest.iterator().hasNext()) {
                    Files.deleteIfExists(dir);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot clean the spill folder {}: {}; delete it by hand when the engine is stopped", dir,
                    e.getMessage());
        }
    }
}
