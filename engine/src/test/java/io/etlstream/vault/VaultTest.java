package io.etlstream.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.vault.VaultException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultTest {
    static final char[] MASTER = "correct horse battery staple".toCharArray();
    static final char[] OTHER = "another long master password".toCharArray();

    @TempDir
    Path dir;

    private Vault newVault() {
        Vault v = Vault.open(dir.resolve("vault.p12"));
        v.init(MASTER);
        return v;
    }

    @Test
    void keysAndPasswordsSurviveLockAndReopen() throws Exception {
        VaultPublicKey pub;
        try (Vault v = newVault()) {
            pub = v.generateKey("Prod", 2048);
            v.putPassword("pg-main", "s3cr€t pässword".toCharArray());
            assertThat(pub.alias()).isEqualTo("prod");
        }
        try (Vault v = Vault.open(dir.resolve("vault.p12"))) {
            assertThat(v.isUnlocked()).isFalse();
            assertThatThrownBy(() -> v.privateKey("prod"))
                    .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(Reason.LOCKED));
            assertThat(v.entries()).containsExactly(new Vault.Entry("prod", Vault.Kind.KEY),
                    new Vault.Entry("pg-main", Vault.Kind.PASSWORD));
            v.unlock(MASTER);
            char[] pw = v.password("PG-MAIN");
            assertThat(new String(pw)).isEqualTo("s3cr€t pässword");
            Secrets.zero(pw);
            PrivateKey key = v.privateKey("prod");
            assertThat(verify(key, pub)).isTrue();
            assertThat(v.publicKey("prod").fingerprint()).isEqualTo(pub.fingerprint()).startsWith("SHA256:");
            assertThat(v.toString()).doesNotContain("correct");
        }
    }

    @Test
    void importedFormatsRoundTripThroughTheStore() throws Exception {
        byte[] reference = PemKeyReader.readPkcs8(PemKeyReaderTest.fixture("rsa2048-pkcs8.pem"), null, "ref");
        try (Vault v = newVault()) {
            v.importKey("plain", PemKeyReaderTest.fixture("rsa2048-pkcs8.pem"), null);
            v.importKey("pkcs1", PemKeyReaderTest.fixture("rsa2048-pkcs1.pem"), null);
            v.importKey("enc", PemKeyReaderTest.fixture("rsa2048-pkcs8-aes256.pem"), PemKeyReaderTest.PASSPHRASE);
        }
        try (Vault v = Vault.open(dir.resolve("vault.p12"))) {
            v.unlock(MASTER);
            for (String a : List.of("plain", "pkcs1", "enc")) {
                assertThat(v.privateKey(a).getEncoded()).as(a).isEqualTo(reference);
            }
        }
    }

    @Test
    void everyIterationCountInTheWrittenFileIsAtLeast600k() {
        try (Vault v = newVault()) {
            v.generateKey("k", 2048);
            v.putPassword("p", "pw".toCharArray());
            Pkcs12Facts facts = v.inspect();
            assertThat(facts.macIterations()).isGreaterThanOrEqualTo(600_000);
            assertThat(facts.macDigest()).isEqualTo("HmacSHA256");
            assertThat(facts.bags()).hasSize(2).allSatisfy(b -> {
                assertThat(b.iterations()).isGreaterThanOrEqualTo(600_000);
                assertThat(b.protection()).isEqualTo("PBES2/PBKDF2-HmacSHA256/AES-256-CBC");
            });
        }
    }

    @Test
    void vaultFileIsOwnerOnly() throws Exception {
        try (Vault v = newVault()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(v.file()))).isEqualTo("rw-------");
            v.putPassword("p", "x".toCharArray());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(v.file()))).isEqualTo("rw-------");
        }
    }

    @Test
    void wrongPasswordIsClearAndChangesNothing() throws Exception {
        try (Vault v = newVault()) {
            v.putPassword("p", "x".toCharArray());
        }
        Path file = dir.resolve("vault.p12");
        byte[] before = Files.readAllBytes(file);
        try (Vault v = Vault.open(file)) {
            assertThatThrownBy(() -> v.unlock(OTHER))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSWORD))
                    .hasMessageContaining("Wrong master password");
            assertThat(v.isUnlocked()).isFalse();
            assertThatThrownBy(() -> v.changePassword(OTHER, MASTER))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSWORD));
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void truncatedOrCorruptedFileIsReportedAndLeftUntouched() throws Exception {
        try (Vault v = newVault()) {
            v.putPassword("p", "x".toCharArray());
        }
        Path file = dir.resolve("vault.p12");
        byte[] good = Files.readAllBytes(file);

        byte[] truncated = Arrays.copyOf(good, good.length - 40);
        Files.write(file, truncated);
        try (Vault v = Vault.open(file)) {
            assertThatThrownBy(() -> v.unlock(MASTER))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPTED))
                    .hasMessageContaining("damaged or truncated");
            assertThatThrownBy(() -> v.init(MASTER))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_EXISTS));
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(truncated);

        Files.write(file, "not a keystore at all".getBytes());
        try (Vault v = Vault.open(file)) {
            assertThatThrownBy(() -> v.unlock(MASTER))
                    .isInstanceOfSatisfying(VaultException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPTED));
        }

        // A flipped byte in the encrypted entry keeps the structure: the MAC catches it, and the message says the
        // file was modified rather than blaming the password.
        byte[] flipped = good.clone();
        flipped[good.length - 30] ^= 0x01; // inside the MacData (digest/salt), after every entry
        Files.write(file, flipped);
        try (Vault v = Vault.open(file)) {
            assertThatThrownBy(() -> v.unlock(MASTER))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED))
                    .hasMessageContaining("modified");
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(flipped);
    }

    @Test
    void changePasswordReencryptsEverything() throws Exception {
        VaultPublicKey pub;
        try (Vault v = newVault()) {
            pub = v.generateKey("k", 2048);
            v.putPassword("p", "db-secret".toCharArray());
            v.changePassword(MASTER, OTHER);
            assertThat(v.isUnlocked()).isTrue();
            assertThat(new String(v.password("p"))).isEqualTo("db-secret");
            v.putPassword("q", "after".toCharArray());
        }
        try (Vault v = Vault.open(dir.resolve("vault.p12"))) {
            assertThatThrownBy(() -> v.unlock(MASTER)).isInstanceOf(VaultException.class);
            v.unlock(OTHER);
            assertThat(verify(v.privateKey("k"), pub)).isTrue();
            assertThat(new String(v.password("q"))).isEqualTo("after");
            assertThat(v.inspect().minEntryIterations()).isGreaterThanOrEqualTo(600_000);
        }
    }

    @Test
    void crashBetweenTempWriteAndMoveLeavesTheOldStore() throws Exception {
        try (Vault v = newVault()) {
            v.generateKey("k", 2048);
            v.putPassword("p", "db-secret".toCharArray());
        }
        Path file = dir.resolve("vault.p12");
        byte[] before = Files.readAllBytes(file);
        AtomicBoolean tempWasComplete = new AtomicBoolean();
        try (Vault v = Vault.open(file)) {
            v.beforeReplace = () -> {
                try (var s = Files.newDirectoryStream(dir, "vault.p12.*.tmp")) {
                    for (Path tmp : s) {
                        tempWasComplete.set(Files.size(tmp) > 0);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                throw new IllegalStateException("simulated crash");
            };
            assertThatThrownBy(() -> v.changePassword(MASTER, OTHER)).hasMessage("simulated crash");
        }
        assertThat(tempWasComplete).isTrue();
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        try (Vault v = Vault.open(file)) {
            v.unlock(MASTER);
            assertThat(v.storeAliasesForTest(MASTER)).containsExactlyInAnyOrder("key/k", "password/p");
            assertThat(new String(v.password("p"))).isEqualTo("db-secret");
        }
    }

    @Test
    void rotationPromotesThePendingKeyInOneWrite() throws Exception {
        try (Vault v = newVault()) {
            VaultPublicKey old = v.generateKey("sf", 2048);
            VaultPublicKey next = v.generateKey("sf" + Vault.NEXT_SUFFIX, 2048);
            assertThat(v.entries()).anySatisfy(e -> assertThat(e.pendingRotation()).isTrue());
            assertThatThrownBy(() -> v.generateKey("sf", 2048))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.ALIAS_EXISTS));
            VaultPublicKey promoted = v.promoteNextKey("sf");
            assertThat(promoted.fingerprint()).isEqualTo(next.fingerprint()).isNotEqualTo(old.fingerprint());
            assertThat(v.publicKey("sf").fingerprint()).isEqualTo(next.fingerprint());
            assertThat(v.entries()).containsExactly(new Vault.Entry("sf", Vault.Kind.KEY));
            assertThatThrownBy(() -> v.promoteNextKey("sf"))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_ALIAS));
        }
    }

    @Test
    void autoLocksAfterIdleTime() throws Exception {
        try (Vault v = Vault.open(dir.resolve("vault.p12"), Duration.ofMillis(300))) {
            List<Boolean> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            v.addLockListener(events::add);
            v.init(MASTER);
            assertThat(v.isUnlocked()).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (v.isUnlocked() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(v.isUnlocked()).isFalse();
            assertThat(events).containsExactly(true, false);
            v.unlock(MASTER);
            assertThat(events).containsExactly(true, false, true);
        }
    }

    @Test
    void shortMasterPasswordIsRefused() {
        try (Vault v = Vault.open(dir.resolve("vault.p12"))) {
            assertThatThrownBy(() -> v.init("short".toCharArray()))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.WEAK_PASSWORD));
            assertThat(v.exists()).isFalse();
        }
    }

    @Test
    void twoInstancesShareOneFile() throws Exception {
        try (Vault engine = newVault(); Vault cli = Vault.open(dir.resolve("vault.p12"))) {
            cli.unlock(MASTER);
            cli.putPassword("from-cli", "v1".toCharArray());
            // The engine's loaded snapshot is stale; it rereads the replaced file.
            assertThat(new String(engine.password("from-cli"))).isEqualTo("v1");
            engine.putPassword("from-engine", "v2".toCharArray());
            assertThat(cli.entries()).extracting(Vault.Entry::alias).containsExactly("from-cli", "from-engine");
        }
    }

    @Test
    void readsDoNotWaitForAWriteInProgress() throws Exception {
        try (Vault v = newVault()) {
            v.putPassword("p", "v1".toCharArray());
            java.util.concurrent.CountDownLatch inWrite = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            v.beforeReplace = () -> {
                inWrite.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            Thread writer = new Thread(() -> v.putPassword("q", "v2".toCharArray()));
            writer.start();
            assertThat(inWrite.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // The writer holds the write lock and the file lock; a read still completes.
            assertThat(new String(v.password("p"))).isEqualTo("v1");
            release.countDown();
            writer.join(30_000);
            v.beforeReplace = () -> {};
            assertThat(new String(v.password("q"))).isEqualTo("v2");
        }
    }

    @Test
    void refusesToWriteWhenTheJvmWouldUseAWeakMac() {
        String saved = System.getProperty(Vault.MAC_ITERATIONS_PROPERTY);
        System.setProperty(Vault.MAC_ITERATIONS_PROPERTY, "10000");
        try (Vault v = Vault.open(dir.resolve("vault.p12"))) {
            assertThatThrownBy(() -> v.init(MASTER))
                    .isInstanceOfSatisfying(VaultException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.WEAK_PROTECTION))
                    .hasMessageContaining("-Dkeystore.pkcs12.macIterationCount=600000");
            assertThat(v.exists()).isFalse();
        } finally {
            System.setProperty(Vault.MAC_ITERATIONS_PROPERTY, saved);
        }
    }

    @Test
    void aWeakerStoreWrittenElsewhereOpensAndIsUpgradedByChangePassword() throws Exception {
        // A store as keytool or default JDK settings write it: entries at 10,000 iterations.
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setEntry("password/legacy", new java.security.KeyStore.SecretKeyEntry(
                new javax.crypto.spec.SecretKeySpec("old-db-pw".getBytes(), "1.2.840.113549.1.9.7")),
                new java.security.KeyStore.PasswordProtection(MASTER, "PBEWithHmacSHA256AndAES_256",
                        new javax.crypto.spec.PBEParameterSpec(new byte[16], 10_000)));
        Path file = dir.resolve("vault.p12");
        try (var out = Files.newOutputStream(file)) {
            ks.store(out, MASTER);
        }
        try (Vault v = Vault.open(file)) {
            assertThat(v.inspect().minEntryIterations()).isEqualTo(10_000);
            v.unlock(MASTER);
            assertThat(new String(v.password("legacy"))).isEqualTo("old-db-pw");
            v.changePassword(MASTER, OTHER);
            assertThat(v.inspect().minEntryIterations()).isGreaterThanOrEqualTo(600_000);
            assertThat(new String(v.password("legacy"))).isEqualTo("old-db-pw");
        }
    }

    @Test
    void concurrentReadersAndAWriterAgree() throws Exception {
        try (Vault v = newVault()) {
            VaultPublicKey pub = v.generateKey("k", 2048);
            v.putPassword("p", "db".toCharArray());
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    results.add(pool.submit(() -> verify(v.privateKey("k"), pub)
                            && new String(v.password("p")).equals("db")));
                }
                results.add(pool.submit(() -> {
                    v.putPassword("other", "x".toCharArray());
                    return true;
                }));
                for (var f : results) {
                    assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(v.entries()).hasSize(3);
        }
    }

    static boolean verify(PrivateKey key, VaultPublicKey pub) throws Exception {
        byte[] data = "payload".getBytes();
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(key);
        s.update(data);
        byte[] sig = s.sign();
        Signature check = Signature.getInstance("SHA256withRSA");
        check.initVerify(pub.key());
        check.update(data);
        return check.verify(sig);
    }
}
