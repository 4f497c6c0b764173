package io.etlstream.home;

import io.etlstream.UserFacingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes one process the owner of a home folder: an OS file lock on {@code <home>/engine.lock},
 * plus the owner's pid, role and start time written into that file so a refused process can
 * say who holds it.
 *
 * <p>The OS drops the lock when the owner dies, so the file left behind by a crash never blocks
 * the next start. The lock covers a byte far past the end of the file rather than its content:
 * on Windows a locked range cannot be read by other processes, and they must read who owns it.
 */
public final class HomeLock implements AutoCloseable {

    /** Role of the JavaFX console process. */
    public static final String CONSOLE = "console";
    /** Role of the headless engine ({@code etl-stream run}). */
    public static final String RUN = "run";
    /** Role of a short CLI command that works on the catalog while no engine runs. */
    public static final String CLI = "cli";

    private static final long LOCK_POSITION = Long.MAX_VALUE - 1;
    private static final Map<Path, HomeLock> HELD_IN_THIS_JVM = new ConcurrentHashMap<>();

    private final EtlHome home;
    private final String role;
    private final Holder holder;
    private final FileChannel channel;
    private final FileLock lock;

    private HomeLock(EtlHome home, String role, Holder holder, FileChannel channel, FileLock lock) {
        this.home = home;
        this.role = role;
        this.holder = holder;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Makes this process the engine of {@code home}, or throws a {@link UserFacingException} naming
     * the process that already is. Close the returned lock when the engine stops.
     */
    public static HomeLock acquireEngine(EtlHome home, String role) {
        return acquire(home, role);
    }

    /**
     * Takes the home for {@code role}; refused while any other holder (engine or CLI command, in this
     * or another process) has it.
     */
    // synchronized: the in-JVM check and the OS lock must be one step; the I/O inside is a few local
    // file operations on the lock file, never a call into another component.
    public static synchronized HomeLock acquire(EtlHome home, String role) {
        HomeLock mine = HELD_IN_THIS_JVM.get(home.dir());
        if (mine != null) {
            throw inUse(home, mine.holder);
        }
        FileChannel channel = null;
        try {
            home.createDir();
            channel = FileChannel.open(home.lockFile(),
                    StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock(LOCK_POSITION, 1, false);
            } catch (OverlappingFileLockException e) {
                lock = null; // another channel in this JVM holds it (not through this class)
            }
            if (lock == null) {
                channel.close();
                channel = null;
                throw inUse(home, readHolder(home).orElse(null));
            }
            Holder holder = new Holder(ProcessHandle.current().pid(), role,
                    Instant.now().truncatedTo(ChronoUnit.SECONDS), commandOf(ProcessHandle.current()));
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(holder.toProperties().getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            HomeLock homeLock = new HomeLock(home, role, holder, channel, lock);
            HELD_IN_THIS_JVM.put(home.dir(), homeLock);
            return homeLock;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UserFacingException("Cannot lock the etl-stream home " + home.dir() + ": " + e.getMessage()
                    + ". Check that the folder is writable, or use --home DIR.", e);
        }
    }

    /** The lock this JVM holds on {@code home}, if any; the catalog opens under it. */
    public static Optional<HomeLock> heldByThisProcess(EtlHome home) {
        return Optional.ofNullable(HELD_IN_THIS_JVM.get(home.dir()));
    }

    /** Who the lock file says holds (or last held) the home; empty when unreadable. */
    public static Optional<Holder> readHolder(EtlHome home) {
        // The holder truncates then writes; a reader racing with that sees an empty file, so retry briefly.
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                if (!Files.exists(home.lockFile())) {
                    return Optional.empty();
                }
                Optional<Holder> h = Holder.parse(Files.readString(home.lockFile(), StandardCharsets.UTF_8));
                if (h.isPresent()) {
                    return h;
                }
                Thread.sleep(20);
            } catch (IOException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    public EtlHome home() {
        return home;
    }

    public String role() {
        return role;
    }

    public Holder holder() {
        return holder;
    }

    @Override
    public synchronized void close() {
        if (!channel.isOpen()) {
            return;
        }
        HELD_IN_THIS_JVM.remove(home.dir(), this);
        try {
            // Emptied, not deleted: deleting would let two later processes lock two different inodes.
            channel.truncate(0);
            lock.release();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            closeQuietly(channel);
        }
    }

    private static UserFacingException inUse(EtlHome home, Holder holder) {
        String who;
        if (holder == null) {
            who = "Another etl-stream process";
        } else {
            String what = CLI.equals(holder.role()) ? "command" : "engine";
            who = "Another etl-stream " + what + " (pid " + holder.pid() + ", " + holder.role()
                    + ", started " + holder.started() + ")";
        }
        return new UserFacingException(who + " is using " + home.dir()
                + ". Stop it or use --home DIR (or " + EtlHome.ENV + ") for a separate home.");
    }

    private static String commandOf(ProcessHandle process) {
        return process.info().command().orElse("java");
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    /** What the lock file records about the owning process. */
    public record Holder(long pid, String role, Instant started, String command) {

        String toProperties() {
            return "pid=" + pid + "\nrole=" + role + "\nstarted=" + started + "\ncommand=" + command + "\n";
        }

        static Optional<Holder> parse(String text) {
            // Plain key=value lines rather than java.util.Properties, which would eat Windows backslashes.
            Map<String, String> p = new java.util.HashMap<>();
            for (String line : text.split("\\R")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    p.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
            try {
                String pid = p.get("pid");
                String role = p.get("role");
                String started = p.get("started");
                if (pid == null || role == null || started == null) {
                    return Optional.empty();
                }
                return Optional.of(new Holder(Long.parseLong(pid), role, Instant.parse(started),
                        p.getOrDefault("command", "")));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }
    }
}
