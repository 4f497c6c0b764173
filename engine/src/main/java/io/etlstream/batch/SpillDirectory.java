package io.etlstream.batch;

import io.etlstream.UserFacingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p>{@link #openInstance} gives each source instance a folder of its own under its slot's folder, so a source that is
 * still closing and its successor (a restart whose stop overran) never delete each other's files. Each instance holds
 * a lock on {@code <id>.lock} beside its folder while it lives; a new instance deletes only the folders whose lock
 * nobody holds (their owner died) and never probes those of instances alive in this JVM.
 */
public final class SpillDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpillDirectory.class);
    static final String SUFFIX = ".arrows";
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /** What was spilled so far; {@code openFiles} counts spill files that exist now. */
    public record Stats(long transactions, long batches, long bytes, int openFiles) {
    }

    /** Instance folders open in this JVM: a sibling leaves them alone without opening their lock files (closing a
     * second channel on a locked file would drop this process's POSIX lock on it). */
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    static final String LOCK_SUFFIX = ".lock";
    private static final SecureRandom IDS = new SecureRandom();

    private final Path dir;
    private final long thresholdBytes;
    /** An instance folder's slot folder, lock file and the channel holding its lock; null for a plain folder. */
    private final Path slotDir;
    private final Path lockFile;
    private final FileChannel lock;
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong();

    private SpillDirectory(Path dir, long thresholdBytes) {
        this(dir, thresholdBytes, null, null, null);
    }

    private SpillDirectory(Path dir, long thresholdBytes, Path slotDir, Path lockFile, FileChannel lock) {
        this.dir = dir;
        this.thresholdBytes = thresholdBytes;
        this.slotDir = slotDir;
        this.lockFile = lockFile;
        this.lock = lock;
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
            createOwnerOnly(dir);
        } catch (IOException e) {
            throw cannotCreate(dir, e, fromSpillDirOption);
        }
        SpillDirectory d = new SpillDirectory(dir, thresholdBytes);
        int removed = d.deleteSpillFiles();
        if (removed > 0) {
            LOG.info("removed {} spill file(s) an earlier run left in {}", removed, dir);
        }
        return d;
    }

    /**
     * A new folder of its own for one source instance inside {@code slotDir} (created owner-only if missing), locked
     * for as long as it is open. Deletes the spill files of instances that died without closing (their lock is free)
     * and spill files an older build left directly in {@code slotDir}; folders of live instances, in this process or
     * another, are left alone. {@link #close()} deletes the folder and its lock, and {@code slotDir} when empty.
     */
    public static SpillDirectory openInstance(Path slotDir, long thresholdBytes, boolean fromSpillDirOption) {
        if (thresholdBytes < 1) {
            throw new IllegalArgumentException("spill threshold must be positive: " + thresholdBytes);
        }
        Path slot = slotDir.toAbsolutePath().normalize();
        for (int attempt = 1; ; attempt++) {
            String id = ProcessHandle.current().pid() + "-" + HexFormat.of().toHexDigits(IDS.nextLong());
            Path dir = slot.resolve(id);
            Path lockFile = slot.resolve(id + LOCK_SUFFIX);
            LIVE.add(dir);
            FileChannel channel = null;
            boolean madeDir = false;
            try {
                createOwnerOnly(slot);
                // The lock file comes before the folder and goes after it: a folder without one is a dead instance's.
                channel = POSIX ? FileChannel.open(lockFile,
                        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                        : FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                FileLock held = channel.tryLock();
                if (held != null) {
                    createOwnerOnly(dir);
                    madeDir = true;
                }
                // A sibling in another process may have found the new lock file unlocked, taken it for a dead
                // instance's and deleted it: then start over under another id.
                if (held != null && Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)) {
                    SpillDirectory d = new SpillDirectory(dir, thresholdBytes, slot, lockFile, channel);
                    d.removeDeadSiblings();
                    return d;
                }
            } catch (NoSuchFileException | FileAlreadyExistsException | OverlappingFileLockException e) {
                // a closing sibling removed the empty slot folder just now, or an id clash: try again
                if (attempt >= 5) {
                    abandon(dir, lockFile, channel, madeDir);
                    throw cannotCreate(dir, e instanceof IOException io ? io : new IOException(e), fromSpillDirOption);
                }
            } catch (IOException e) {
                abandon(dir, lockFile, channel, madeDir);
                throw cannotCreate(dir, e, fromSpillDirOption);
            }
            abandon(dir, lockFile, channel, madeDir);
            if (attempt >= 5) {
                throw new IllegalStateException("could not claim a spill folder in " + slot + " after 5 attempts");
            }
        }
    }

    private static void abandon(Path dir, Path lockFile, FileChannel channel, boolean madeDir) {
        try {
            if (madeDir) {
                Files.deleteIfExists(dir);
            }
            if (channel != null) {
                channel.close();
                Files.deleteIfExists(lockFile);
            }
        } catch (IOException e) {
            LOG.debug("cannot undo the half-made spill folder {}: {}", dir, e.getMessage());
        } finally {
            LIVE.remove(dir);
        }
    }

    private static void createOwnerOnly(Path dir) throws IOException {
        if (POSIX) {
            Files.createDirectories(dir,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } else {
            Files.createDirectories(dir);
        }
    }

    private static UserFacingException cannotCreate(Path dir, IOException e, boolean fromSpillDirOption) {
        Path parent = dir.toAbsolutePath().getParent();
        return new UserFacingException("cannot create the spill folder " + dir + " for large transactions ("
                + e.getMessage() + "): check that " + parent
                + (fromSpillDirOption ? ", given with --spill-dir, is writable, or name another folder with"
                        + " --spill-dir" : " (java.io.tmpdir) is writable, or name a writable folder with --spill-dir"),
                e);
    }

    /** Deletes what instances that died left in the slot folder; a failure here only leaves files behind. */
    private void removeDeadSiblings() {
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(slotDir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (p.equals(dir) || p.equals(lockFile)) {
                    continue;
                }
                // One entry that cannot be removed (another user's file, a Windows sharing violation) is left for a
                // later start: it must neither stop this source from starting nor keep the others from going.
                try {
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        removed += removeIfDead(p, slotDir.resolve(name + LOCK_SUFFIX));
                    } else if (name.endsWith(SUFFIX) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(p); // the layout before instance folders: no live instance writes there
                        removed++;
                    } else if (name.endsWith(LOCK_SUFFIX)) {
                        Path folder = slotDir.resolve(name.substring(0, name.length() - LOCK_SUFFIX.length()));
                        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
                            removeIfDead(folder, p); // a lock left without its folder
                        }
                    }
                } catch (IOException | java.io.UncheckedIOException | SecurityException e) {
                    LOG.warn("cannot remove {} that a stopped source left in the spill folder: {}", p, e.getMessage());
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            LOG.warn("cannot clean what stopped sources left in the spill folder {}: {}", slotDir, e.getMessage());
        }
        if (removed > 0) {
            LOG.info("removed {} spill file(s) that stopped sources left in {}", removed, slotDir);
        }
    }

    /** Deletes {@code folder}'s spill files, the folder and its lock file if no live instance owns them. */
    private static int removeIfDead(Path folder, Path lockFile) throws IOException {
        if (LIVE.contains(folder)) {
            return 0;
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            return deleteFolder(folder); // its owner made the lock file first and deletes it last: it is gone
        }
        try (channel) {
            FileLock held;
            try {
                held = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                return 0; // locked in this JVM
            }
            if (held == null) {
                return 0; // locked by another live process
            }
            int n = deleteFolder(folder);
            Files.deleteIfExists(lockFile);
            return n;
        }
    }

    /** Deletes the spill files in {@code folder}, then the folder if nothing else is in it. */
    private static int deleteFolder(Path folder) throws IOException {
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int n = deleteSpillFiles(folder);
        try {
            Files.deleteIfExists(folder);
        } catch (DirectoryNotEmptyException e) {
            LOG.warn("left {}: it holds files that are not spill files", folder);
        }
        return n;
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
        return deleteSpillFiles(dir);
    }

    private static int deleteSpillFiles(Path dir) {
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

    /**
     * Deletes any spill file still there, and the folder when it is empty; an instance folder also gives up its lock,
     * and its slot folder goes when nothing else is in it.
     */
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
        if (lock == null) {
            return;
        }
        try {
            lock.close();
            Files.deleteIfExists(lockFile);
        } catch (IOException e) {
            LOG.warn("cannot remove the spill lock {}: {}", lockFile, e.getMessage());
        } finally {
            LIVE.remove(dir);
        }
        try {
            Files.deleteIfExists(slotDir); // only when empty: a sibling may be starting or running in it
        } catch (DirectoryNotEmptyException ignored) {
            // a sibling's folder or lock is there
        } catch (IOException e) {
            LOG.debug("cannot remove the spill folder {}: {}", slotDir, e.getMessage());
        }
    }
}
