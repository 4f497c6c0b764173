package io.etlstream.vault;

import io.etlstream.vault.Der.DerException;
import io.etlstream.vault.VaultException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.UnrecoverableKeyException;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.PBEParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encrypted PKCS12 store of Snowflake private keys and database passwords, behind one master password.
 *
 * <p>Every entry is protected with PBEWithHmacSHA256AndAES_256 at {@value #ITERATIONS} PBKDF2 iterations and so is
 * the file's MAC; every write goes to a temp file in the same folder that then replaces the store atomically, so a
 * crash leaves the old store or the new one. Passwords come in and go out as {@code char[]}: the vault copies what
 * it keeps and zeroes its copies; callers zero their own arrays. Reads never wait for a write: a write serialises
 * only with other writes (in this JVM and, through a lock file, in other processes) and rereads the file under
 * that lock, so a CLI and a running engine can share one store.
 */
public final class Vault implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Vault.class);

    /** PBKDF2 iterations for every entry and the MAC (OWASP 2023 figure for PBKDF2-HMAC-SHA256). */
    public static final int ITERATIONS = 600_000;
    /** Alias suffix of the pending next key during a rotation. */
    public static final String NEXT_SUFFIX = ".next";

    static final String ENTRY_PROTECTION = "PBEWithHmacSHA256AndAES_256";
    static final String MAC_ITERATIONS_PROPERTY = "keystore.pkcs12.macIterationCount";
    private static final String KEY_PREFIX = "key/";
    private static final String PASSWORD_PREFIX = "password/";
    /** PKCS#9 challengePassword: a registered OID that means "a password", used as the entry's algorithm label. */
    private static final String PASSWORD_ALGORITHM = "1.2.840.113549.1.9.7";
    private static final Pattern ALIAS = Pattern.compile("[a-z0-9_][a-z0-9_.-]{0,63}");
    private static final ConcurrentHashMap<Path, ReentrantLock> WRITERS = new ConcurrentHashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        // The JDK reads the MAC iteration count only from this property. Launchers pass it; a JVM started without
        // it would write a 10,000-iteration MAC, so raise the default here too (writes are still verified).
        if (System.getProperty(MAC_ITERATIONS_PROPERTY) == null) {
            System.setProperty(MAC_ITERATIONS_PROPERTY, Integer.toString(ITERATIONS));
        }
    }

    /** What an entry holds. */
    public enum Kind {
        KEY,
        PASSWORD
    }

    /** One entry, as listed without the master password. */
    public record Entry(String alias, Kind kind) {
        /** True for the pending key of a rotation ({@code ALIAS.next}). */
        public boolean pendingRotation() {
            return kind == Kind.KEY && alias.endsWith(NEXT_SUFFIX);
        }
    }

    private record FileStamp(Object fileKey, long modifiedMillis, long size) {}

    /** A loaded store and the bytes it was read from or written as (encrypted, so not secret). */
    private record Snapshot(KeyStore store, FileStamp stamp, byte[] bytes) {}

    @FunctionalInterface
    private interface Change<T> {
        T apply(KeyStore store, KeyStore.ProtectionParameter protection) throws GeneralSecurityException;
    }

    private final Path file;
    private final Path lockFile;
    private final ReentrantLock writer;
    private final Object state = new Object();
    private char[] password; // guarded by state; null while locked
    private Snapshot snapshot; // guarded by state
    private Duration idleTimeout; // guarded by state
    private ScheduledExecutorService timer; // guarded by state
    private ScheduledFuture<?> idleLock; // guarded by state

    private final java.util.List<java.util.function.Consumer<Boolean>> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Test hook: runs after the temp file is complete and before it replaces the store. */
    volatile Runnable beforeReplace = () -> {};

    private Vault(Path file, Duration idleTimeout) {
        this.file = file.toAbsolutePath().normalize();
        this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
        this.writer = WRITERS.computeIfAbsent(this.file, p -> new ReentrantLock());
        this.idleTimeout = idleTimeout;
    }

    /** A vault on {@code file} (which need not exist yet), locked, without auto-lock. */
    public static Vault open(Path file) {
        return new Vault(file, Duration.ZERO);
    }

    /** A vault on {@code file} that locks itself after {@code idleTimeout} without use (zero: never). */
    public static Vault open(Path file, Duration idleTimeout) {
        return new Vault(file, requireIdle(idleTimeout));
    }

    public Path file() {
        return file;
    }

    public boolean exists() {
        return Files.isRegularFile(file);
    }

    public boolean isUnlocked() {
        synchronized (state) {
            return password != null;
        }
    }

    /**
     * Calls {@code listener} with {@code true} on unlock and {@code false} on lock (including auto-lock), on the
     * thread that caused the change and never while the vault holds a lock. For UIs and the engine.
     */
    public void addLockListener(java.util.function.Consumer<Boolean> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private void fire(boolean unlocked) {
        for (java.util.function.Consumer<Boolean> l : listeners) {
            try {
                l.accept(unlocked);
            } catch (RuntimeException e) {
                log.warn("Vault lock listener failed", e);
            }
        }
    }

    /** Changes the idle time after which the vault locks itself; zero switches auto-lock off. */
    public void setIdleTimeout(Duration timeout) {
        synchronized (state) {
            idleTimeout = requireIdle(timeout);
            scheduleIdleLock();
        }
    }

    /** Creates an empty store protected by {@code masterPassword} and leaves it unlocked. */
    public void init(char[] masterPassword) {
        requireStrong(masterPassword);
        writer.lock();
        try (FileLock ignored = lockFile()) {
            if (Files.exists(file)) {
                throw new VaultException(Reason.ALREADY_EXISTS, "A vault already exists at " + file
                        + ". Unlock it, or move it away first if you really want a new, empty one.");
            }
            KeyStore store = emptyStore();
            byte[] bytes = serialize(store, masterPassword);
            FileStamp stamp = writeAtomically(bytes);
            publish(masterPassword, new Snapshot(store, stamp, bytes), true);
            log.info("Created vault {}", file);
        } catch (IOException e) {
            throw io("create", e);
        } finally {
            writer.unlock();
        }
        fire(true);
    }

    /** Checks {@code masterPassword} against the store and keeps the vault unlocked until {@link #lock()}. */
    public void unlock(char[] masterPassword) {
        Objects.requireNonNull(masterPassword, "masterPassword");
        FileStamp stamp = stamp();
        byte[] bytes = readFile();
        KeyStore store = loadVerified(bytes, masterPassword);
        boolean was = isUnlocked();
        publish(masterPassword, new Snapshot(store, stamp, bytes), true);
        log.info("Vault {} unlocked", file);
        if (!was) {
            fire(true);
        }
    }

    /** Checks {@code masterPassword} without unlocking (the CLI's {@code vault unlock} in a process of its own). */
    public void verifyPassword(char[] masterPassword) {
        loadVerified(readFile(), masterPassword);
    }

    /** Forgets the master password and the loaded store. Idempotent. */
    public void lock() {
        boolean wasUnlocked;
        synchronized (state) {
            wasUnlocked = password != null;
            Secrets.zero(password);
            password = null;
            snapshot = null;
            if (idleLock != null) {
                idleLock.cancel(false);
                idleLock = null;
            }
        }
        if (wasUnlocked) {
            log.info("Vault {} locked", file);
            fire(false);
        }
    }

    /**
     * Re-encrypts every entry under {@code newPassword}. The new store is written to a temp file, reopened and
     * checked, then swapped in atomically: a crash leaves the old store or the new one. Works locked or unlocked;
     * an unlocked vault stays unlocked under the new password.
     */
    public void changePassword(char[] oldPassword, char[] newPassword) {
        requireStrong(newPassword);
        writer.lock();
        try (FileLock ignored = lockFile()) {
            removeStaleTempFiles();
            KeyStore old = loadVerified(readFile(), oldPassword);
            KeyStore fresh = emptyStore();
            KeyStore.PasswordProtection oldProtection = new KeyStore.PasswordProtection(oldPassword);
            List<String> aliases = new ArrayList<>();
            try {
                aliases.addAll(Collections.list(old.aliases()));
                for (String alias : aliases) {
                    KeyStore.SecretKeyEntry entry = (KeyStore.SecretKeyEntry) old.getEntry(alias, oldProtection);
                    SecretKey secret = entry.getSecretKey();
                    VaultSecretKey copy = new VaultSecretKey(secret.getAlgorithm(), secret.getEncoded());
                    PemKeyReader.destroyQuietly(secret);
                    // A fresh salt per entry.
                    KeyStore.PasswordProtection newProtection = protection(newPassword);
                    try {
                        fresh.setEntry(alias, new KeyStore.SecretKeyEntry(copy), newProtection);
                    } finally {
                        copy.destroy();
                        destroy(newProtection);
                    }
                }
            } catch (GeneralSecurityException e) {
                throw new VaultException(Reason.CORRUPTED, "An entry of " + file + " cannot be decrypted although the"
                        + " master password is right; the store is damaged. Nothing was changed.", e);
            } finally {
                destroy(oldProtection);
            }
            byte[] bytes = serialize(fresh, newPassword);
            // Reopen what we are about to install: a store that does not open with the new password never replaces
            // the old one.
            KeyStore check = loadVerified(bytes, newPassword);
            if (!aliasSet(check).equals(new HashSet<>(aliases))) {
                throw new VaultException(Reason.CORRUPTED, "The re-encrypted store lost entries; nothing was changed.");
            }
            FileStamp stamp = writeAtomically(bytes);
            synchronized (state) {
                if (password != null) {
                    publish(newPassword, new Snapshot(check, stamp, bytes), false);
                }
            }
            log.info("Vault {} master password changed ({} entries re-encrypted)", file, aliases.size());
        } catch (IOException e) {
            throw io("change the password of", e);
        } finally {
            writer.unlock();
        }
    }

    /** Generates an RSA key pair in memory, stores the private key under {@code alias}, returns the public side. */
    public VaultPublicKey generateKey(String alias, int bits) {
        String a = normalizeAlias(alias);
        if (bits != 2048 && bits != 3072 && bits != 4096) {
            throw new VaultException(Reason.INVALID_ARGUMENT, "RSA key size must be 2048, 3072 or 4096 bits, not " + bits
                    + ".");
        }
        requireUnlocked();
        KeyPair pair;
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(bits, RANDOM);
            pair = gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot generate RSA keys", e);
        }
        storeKey(a, pair.getPrivate().getEncoded());
        PemKeyReader.destroyQuietly(pair.getPrivate());
        log.info("Generated a {}-bit RSA key '{}'", bits, a);
        return new VaultPublicKey(a, (RSAPublicKey) pair.getPublic());
    }

    /**
     * Imports an RSA private key from PEM bytes (PKCS#8, encrypted PKCS#8 or PKCS#1). Neither array is zeroed here.
     *
     * @param source how to name the file in error messages
     */
    public VaultPublicKey importKey(String alias, byte[] pem, char[] passphrase, String source) {
        String a = normalizeAlias(alias);
        requireUnlocked();
        byte[] pkcs8 = PemKeyReader.readPkcs8(pem, passphrase, source);
        RSAPublicKey pub;
        try {
            PrivateKey key = RsaKeys.privateKeyFromPkcs8(pkcs8);
            pub = RsaKeys.publicKeyOf(key);
        } catch (RuntimeException e) {
            Secrets.zero(pkcs8);
            throw e;
        }
        storeKey(a, pkcs8);
        log.info("Imported a {}-bit RSA key '{}'", pub.getModulus().bitLength(), a);
        return new VaultPublicKey(a, pub);
    }

    /** {@link #importKey(String, byte[], char[], String)} with a generic source name. */
    public VaultPublicKey importKey(String alias, byte[] pem, char[] passphrase) {
        return importKey(alias, pem, passphrase, "The PEM data");
    }

    /** The private key under {@code alias}, for signing (Snowflake SDK, JWT). Never serialise it. */
    public PrivateKey privateKey(String alias) {
        String a = normalizeAlias(alias);
        SecretKey secret = readSecret(KEY_PREFIX + a, "key", a);
        byte[] pkcs8 = secret.getEncoded();
        try {
            return RsaKeys.privateKeyFromPkcs8(pkcs8);
        } finally {
            Secrets.zero(pkcs8);
            PemKeyReader.destroyQuietly(secret);
        }
    }

    /** The public side of the key under {@code alias}. */
    public VaultPublicKey publicKey(String alias) {
        String a = normalizeAlias(alias);
        PrivateKey key = privateKey(a);
        return new VaultPublicKey(a, RsaKeys.publicKeyOf(key));
    }

    /** True if a key is stored under {@code alias}; needs no password. */
    public boolean hasKey(String alias) {
        return entries().contains(new Entry(normalizeAlias(alias), Kind.KEY));
    }

    /** Deletes the key under {@code alias}. */
    public void deleteKey(String alias) {
        delete(KEY_PREFIX, normalizeAlias(alias), "key");
    }

    /**
     * Finishes a rotation: the pending key {@code ALIAS.next} becomes {@code ALIAS} and the old key is deleted,
     * in one atomic write.
     */
    public VaultPublicKey promoteNextKey(String alias) {
        String a = normalizeAlias(alias);
        String next = KEY_PREFIX + a + NEXT_SUFFIX;
        return mutate((store, protection) -> {
            if (!store.containsAlias(next)) {
                throw new VaultException(Reason.NO_SUCH_ALIAS, "There is no pending key for '" + a + "'. Start the"
                        + " rotation first: etl-stream key rotate " + a);
            }
            KeyStore.SecretKeyEntry entry = (KeyStore.SecretKeyEntry) store.getEntry(next, protection);
            SecretKey secret = entry.getSecretKey();
            byte[] pkcs8 = secret.getEncoded();
            PemKeyReader.destroyQuietly(secret);
            VaultSecretKey copy = new VaultSecretKey("RSA", pkcs8);
            try {
                RSAPublicKey pub = RsaKeys.publicKeyOf(RsaKeys.privateKeyFromPkcs8(pkcs8));
                store.setEntry(KEY_PREFIX + a, new KeyStore.SecretKeyEntry(copy), protection);
                store.deleteEntry(next);
                return new VaultPublicKey(a, pub);
            } finally {
                copy.destroy();
            }
        });
    }

    /** Stores (or replaces) a database password under {@code alias}. The caller zeroes {@code secret}. */
    public void putPassword(String alias, char[] secret) {
        String a = normalizeAlias(alias);
        byte[] bytes = Secrets.utf8(secret);
        VaultSecretKey key = new VaultSecretKey(PASSWORD_ALGORITHM, bytes);
        try {
            mutate((store, protection) -> {
                store.setEntry(PASSWORD_PREFIX + a, new KeyStore.SecretKeyEntry(key), protection);
                return null;
            });
        } finally {
            key.destroy();
        }
        log.info("Stored password '{}'", a);
    }

    /** The password under {@code alias}; the caller zeroes the array when done. */
    public char[] password(String alias) {
        String a = normalizeAlias(alias);
        SecretKey secret = readSecret(PASSWORD_PREFIX + a, "password", a);
        byte[] bytes = secret.getEncoded();
        try {
            return Secrets.utf8ToChars(bytes, false);
        } finally {
            Secrets.zero(bytes);
            PemKeyReader.destroyQuietly(secret);
        }
    }

    /** Deletes the password under {@code alias}. */
    public void deletePassword(String alias) {
        delete(PASSWORD_PREFIX, normalizeAlias(alias), "password");
    }

    /** All entries, sorted; read from the file without the master password (PKCS12 aliases are not encrypted). */
    public List<Entry> entries() {
        Pkcs12Facts facts = inspect();
        List<Entry> out = new ArrayList<>();
        for (Pkcs12Facts.Bag bag : facts.bags()) {
            String name = bag.alias() == null ? "" : bag.alias().toLowerCase(Locale.ROOT);
            if (name.startsWith(KEY_PREFIX)) {
                out.add(new Entry(name.substring(KEY_PREFIX.length()), Kind.KEY));
            } else if (name.startsWith(PASSWORD_PREFIX)) {
                out.add(new Entry(name.substring(PASSWORD_PREFIX.length()), Kind.PASSWORD));
            }
        }
        out.sort(Comparator.comparing(Entry::kind).thenComparing(Entry::alias));
        return List.copyOf(out);
    }

    /** The protection the file on disk actually has (MAC and entry iteration counts), read without a password. */
    public Pkcs12Facts inspect() {
        return facts(readFile());
    }

    /** Aliases are case-insensitive (PKCS12 folds them): lower case, letters, digits, '_', '.', '-'. */
    public static String normalizeAlias(String alias) {
        String a = alias == null ? "" : alias.trim().toLowerCase(Locale.ROOT);
        if (!ALIAS.matcher(a).matches()) {
            throw new VaultException(Reason.INVALID_ALIAS, "'" + alias + "' is not a valid alias: use 1-64 letters,"
                    + " digits, '_', '.' or '-', starting with a letter, digit or '_'.");
        }
        return a;
    }

    @Override
    public void close() {
        lock();
        synchronized (state) {
            if (timer != null) {
                timer.shutdownNow();
                timer = null;
            }
        }
    }

    @Override
    public String toString() {
        return "Vault[" + file + ", " + (isUnlocked() ? "unlocked" : "locked") + "]";
    }

    // ---- internals ------------------------------------------------------------------------------------------

    private void storeKey(String alias, byte[] pkcs8) {
        VaultSecretKey key = new VaultSecretKey("RSA", pkcs8);
        try {
            mutate((store, protection) -> {
                if (store.containsAlias(KEY_PREFIX + alias)) {
                    throw new VaultException(Reason.ALIAS_EXISTS, "A key named '" + alias + "' already exists."
                            + " Pick another alias, rotate it (etl-stream key rotate " + alias + ") or delete it.");
                }
                store.setEntry(KEY_PREFIX + alias, new KeyStore.SecretKeyEntry(key), protection);
                return null;
            });
        } finally {
            key.destroy();
        }
    }

    private void delete(String prefix, String alias, String what) {
        mutate((store, protection) -> {
            if (!store.containsAlias(prefix + alias)) {
                throw new VaultException(Reason.NO_SUCH_ALIAS, "There is no " + what + " named '" + alias + "' in "
                        + file + ".");
            }
            store.deleteEntry(prefix + alias);
            return null;
        });
        log.info("Deleted {} '{}'", what, alias);
    }

    /** Reads one entry from the current snapshot (reloading it if another process replaced the file). */
    private SecretKey readSecret(String storeAlias, String what, String alias) {
        char[] pw;
        Snapshot snap;
        synchronized (state) {
            pw = requireUnlockedCopy();
            snap = snapshot;
            scheduleIdleLock();
        }
        KeyStore.PasswordProtection protection = new KeyStore.PasswordProtection(pw);
        try {
            FileStamp now = stamp();
            if (!now.equals(snap.stamp())) {
                byte[] bytes = readFile();
                snap = new Snapshot(loadVerified(bytes, pw), now, bytes);
                publish(pw, snap, false);
            }
            KeyStore.Entry entry = snap.store().getEntry(storeAlias, protection);
            if (entry == null) {
                throw new VaultException(Reason.NO_SUCH_ALIAS, "There is no " + what + " named '" + alias + "' in "
                        + file + ". List what is there: etl-stream key list");
            }
            return ((KeyStore.SecretKeyEntry) entry).getSecretKey();
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.CORRUPTED, "The " + what + " '" + alias + "' cannot be decrypted"
                    + " although the master password is right; the entry is damaged. Delete and re-create it.", e);
        } finally {
            destroy(protection);
            Secrets.zero(pw);
        }
    }

    /** Read-modify-write under the writer locks, always on the file's current content. */
    private <T> T mutate(Change<T> change) {
        char[] pw;
        synchronized (state) {
            pw = requireUnlockedCopy();
            scheduleIdleLock();
        }
        writer.lock();
        KeyStore.PasswordProtection protection = protection(pw);
        try (FileLock ignored = lockFile()) {
            removeStaleTempFiles();
            Snapshot snap;
            synchronized (state) {
                snap = snapshot;
            }
            KeyStore store;
            if (snap != null && snap.stamp().equals(stamp())) {
                // The file is still what we last verified: copy it without paying for another MAC check. The
                // snapshot's KeyStore itself is never modified, since readers use it without a lock.
                store = loadUnchecked(snap.bytes());
            } else {
                store = loadVerified(readFile(), pw);
            }
            T result = change.apply(store, protection);
            byte[] bytes = serialize(store, pw);
            FileStamp stamp = writeAtomically(bytes);
            publish(pw, new Snapshot(store, stamp, bytes), false);
            return result;
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.CORRUPTED, "An entry of " + file + " cannot be read or written although"
                    + " the master password is right; nothing was changed.", e);
        } catch (IOException e) {
            throw io("update", e);
        } finally {
            destroy(protection);
            Secrets.zero(pw);
            writer.unlock();
        }
    }

    /** Installs a snapshot; {@code force} also replaces the password (unlock/init), otherwise only refreshes. */
    private void publish(char[] pw, Snapshot snap, boolean force) {
        synchronized (state) {
            if (force) {
                Secrets.zero(password);
                password = pw.clone();
                snapshot = snap;
                scheduleIdleLock();
            } else if (password != null) {
                if (!Arrays.equals(password, pw)) {
                    Secrets.zero(password);
                    password = pw.clone();
                }
                snapshot = snap;
            }
        }
    }

    private char[] requireUnlockedCopy() {
        if (password == null) {
            throw locked();
        }
        return password.clone();
    }

    private void requireUnlocked() {
        if (!isUnlocked()) {
            throw locked();
        }
    }

    private VaultException locked() {
        return new VaultException(Reason.LOCKED, "The vault is locked. Unlock it with the master password first.");
    }

    private void scheduleIdleLock() {
        if (idleLock != null) {
            idleLock.cancel(false);
            idleLock = null;
        }
        if (password == null || idleTimeout.isZero()) {
            return;
        }
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "vault-auto-lock");
                t.setDaemon(true);
                return t;
            });
        }
        idleLock = timer.schedule(() -> {
            log.info("Vault {} locked after {} idle", file, idleTimeout);
            lock();
        }, idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Duration requireIdle(Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("idle timeout must be zero (off) or positive");
        }
        return d;
    }

    private static void requireStrong(char[] pw) {
        Objects.requireNonNull(pw, "password");
        PasswordStrength s = PasswordStrength.of(pw);
        if (!s.acceptable()) {
            throw new VaultException(Reason.WEAK_PASSWORD, "The master password is too short (" + s.length()
                    + " characters): use at least " + PasswordStrength.MIN_LENGTH + ", ideally a passphrase of"
                    + " several words.");
        }
    }

    private static KeyStore emptyStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("this JDK has no PKCS12 KeyStore", e);
        }
    }

    static KeyStore.PasswordProtection protection(char[] pw) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return new KeyStore.PasswordProtection(pw, ENTRY_PROTECTION, new PBEParameterSpec(salt, ITERATIONS));
    }

    private static void destroy(KeyStore.PasswordProtection p) {
        try {
            p.destroy();
        } catch (javax.security.auth.DestroyFailedException e) {
            // PasswordProtection.destroy only zeroes its char[]; it does not fail in practice.
        }
    }

    /** Serialises and verifies that what will be written is as strong as promised. */
    private byte[] serialize(KeyStore store, char[] pw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            store.store(out, pw);
        } catch (GeneralSecurityException | IOException e) {
            throw new VaultException(Reason.IO, "Could not encode the vault: " + e.getMessage(), e);
        }
        byte[] bytes = out.toByteArray();
        Pkcs12Facts facts = facts(bytes);
        if (facts.macIterations() < ITERATIONS) {
            throw new VaultException(Reason.WEAK_PROTECTION, "This JVM writes PKCS12 files with a MAC of only "
                    + facts.macIterations() + " iterations, so the vault was not written. Start it with"
                    + " -D" + MAC_ITERATIONS_PROPERTY + "=" + ITERATIONS + " (the etl-stream launcher does).");
        }
        for (Pkcs12Facts.Bag bag : facts.bags()) {
            if (bag.iterations() < ITERATIONS) {
                throw new VaultException(Reason.WEAK_PROTECTION, "Entry '" + bag.alias() + "' would be written with"
                        + " only " + bag.iterations() + " iterations (" + bag.protection() + "); the vault was not"
                        + " written.");
            }
        }
        return bytes;
    }

    /** Parses the file's structure; a damaged or truncated file is reported as such, never as a wrong password. */
    private Pkcs12Facts facts(byte[] bytes) {
        try {
            return Pkcs12Facts.parse(bytes);
        } catch (DerException e) {
            throw new VaultException(Reason.CORRUPTED, file + " is damaged or truncated (" + e.getMessage() + ")."
                    + " It was left untouched: restore it from a backup, or move it away and run etl-stream vault"
                    + " init to start a new vault.", e);
        }
    }

    private static KeyStore loadUnchecked(byte[] bytes) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(bytes), null);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("a store this vault verified earlier no longer loads", e);
        }
    }

    /** Opens a store with the master password, telling a wrong password from a modified file. */
    private KeyStore loadVerified(byte[] bytes, char[] pw) {
        Pkcs12Facts facts = facts(bytes);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(bytes), pw);
            if (facts.macIterations() < ITERATIONS || facts.minEntryIterations() < ITERATIONS) {
                log.warn("Vault {} is protected with fewer than {} iterations (MAC {}, weakest entry {}); change the"
                        + " master password to re-encrypt it", file, ITERATIONS, facts.macIterations(),
                        facts.minEntryIterations());
            }
            return store;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw wrongPasswordOrTampered(bytes, pw);
            }
            throw new VaultException(Reason.CORRUPTED, file + " cannot be read as a PKCS12 store ("
                    + e.getMessage() + "). It was left untouched: restore it from a backup.", e);
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.CORRUPTED, file + " cannot be read as a PKCS12 store ("
                    + e.getMessage() + "). It was left untouched: restore it from a backup.", e);
        }
    }

    /**
     * The MAC failed: either the password is wrong or the file was changed. If an entry still decrypts with this
     * password, the password is right and the file was modified.
     */
    private VaultException wrongPasswordOrTampered(byte[] bytes, char[] pw) {
        try {
            KeyStore unchecked = KeyStore.getInstance("PKCS12");
            unchecked.load(new ByteArrayInputStream(bytes), null);
            for (String alias : Collections.list(unchecked.aliases())) {
                KeyStore.PasswordProtection p = new KeyStore.PasswordProtection(pw);
                try {
                    unchecked.getEntry(alias, p);
                    return new VaultException(Reason.TAMPERED, file + " failed its integrity check although the master"
                            + " password is right: the file was modified. It was left untouched; restore it from a"
                            + " backup.");
                } catch (GeneralSecurityException | RuntimeException e) {
                    // This entry does not decrypt either; try the next one.
                } finally {
                    destroy(p);
                }
            }
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            // Unreadable without the MAC check too: treat as a wrong password.
        }
        return new VaultException(Reason.WRONG_PASSWORD, "Wrong master password for " + file
                + " (or the file was damaged). Nothing was changed; try again.");
    }

    private byte[] readFile() {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new VaultException(Reason.NOT_INITIALIZED, "There is no vault at " + file
                    + ". Create one with: etl-stream vault init");
        } catch (IOException e) {
            throw io("read", e);
        }
    }

    private FileStamp stamp() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileStamp(a.fileKey(), a.lastModifiedTime().toMillis(), a.size());
        } catch (NoSuchFileException e) {
            throw new VaultException(Reason.NOT_INITIALIZED, "There is no vault at " + file
                    + ". Create one with: etl-stream vault init");
        } catch (IOException e) {
            throw io("read", e);
        }
    }

    /** Temp file in the same folder, fsync, then ATOMIC_MOVE over the store; owner-only where POSIX allows. */
    private FileStamp writeAtomically(byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        io.etlstream.home.EtlHome.createPrivateDir(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp", ownerOnly());
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            beforeReplace.run();
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot replace files atomically; keep the"
                        + " home folder on a local disk", e);
            }
            moved = true;
            syncDirectory(dir);
            return stamp();
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static FileAttribute<?>[] ownerOnly() {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
        }
        return new FileAttribute<?>[0];
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename durable on Linux; other systems refuse to open a directory, which is harmless.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            log.debug("Directory fsync not available for {}: {}", dir, e.toString());
        }
    }

    /** Temp files are left behind only by a crash mid-write; they are removed under the writer lock. */
    private void removeStaleTempFiles() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(file.getParent(), file.getFileName() + ".*.tmp")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
                log.info("Removed {} left over by an interrupted vault write", p.getFileName());
            }
        } catch (IOException e) {
            log.warn("Could not clean up temp files next to {}: {}", file, e.toString());
        }
    }

    private FileLock lockFile() throws IOException {
        io.etlstream.home.EtlHome.createPrivateDir(file.toAbsolutePath().getParent());
        FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = ch.lock();
            return new ClosingLock(ch, lock);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** A FileLock whose close also closes its channel. */
    private static final class ClosingLock extends FileLock {
        private final FileLock inner;

        ClosingLock(FileChannel ch, FileLock inner) {
            super(ch, inner.position(), inner.size(), inner.isShared());
            this.inner = inner;
        }

        @Override
        public boolean isValid() {
            return inner.isValid();
        }

        @Override
        public void release() throws IOException {
            try {
                inner.release();
            } finally {
                channel().close();
            }
        }
    }

    private VaultException io(String what, IOException e) {
        return new VaultException(Reason.IO, "Could not " + what + " the vault " + file + ": " + e.getMessage()
                + ". Check that the folder exists and is writable.", e);
    }

    // Used by tests to check every alias; package-private on purpose.
    Set<String> storeAliasesForTest(char[] pw) {
        return aliasSet(loadVerified(readFile(), pw));
    }

    private static Set<String> aliasSet(KeyStore store) {
        try {
            return new HashSet<>(Collections.list(store.aliases()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("KeyStore not loaded", e);
        }
    }
}
