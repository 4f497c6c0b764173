package io.etlstream.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.ChildJvm;
import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HomeLockTest {

    @TempDir
    Path dir;

    @Test
    void secondEngineOnTheSameHomeIsRefusedNamingTheFirst() throws Exception {
        EtlHome home = new EtlHome(dir);
        try (ChildJvm child = ChildJvm.start(HoldHomeLockMain.class, dir.toString(), HomeLock.CONSOLE)) {
            String locked = child.awaitLine("LOCKED ", 30);
            assertThat(locked).isEqualTo("LOCKED " + child.pid());

            assertThatThrownBy(() -> HomeLock.acquireEngine(home, HomeLock.RUN))
                    .isInstanceOf(UserFacingException.class)
                    .hasMessageStartingWith("Another etl-stream engine (pid " + child.pid() + ", console, started ")
                    .hasMessageContaining("is using " + home.dir())
                    .hasMessageContaining("--home");
            // A CLI command that wants the catalog is refused the same way.
            assertThatThrownBy(() -> Catalog.open(home))
                    .isInstanceOf(UserFacingException.class)
                    .hasMessageContaining("pid " + child.pid());
            assertThat(HomeLock.readHolder(home)).hasValueSatisfying(h -> {
                assertThat(h.pid()).isEqualTo(child.pid());
                assertThat(h.role()).isEqualTo("console");
            });

            // Clean release: the child closes the lock when its stdin closes.
            child.process().getOutputStream().close();
            assertThat(child.awaitLine("RELEASED", 30)).isEqualTo("RELEASED");
            assertThat(child.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (HomeLock lock = HomeLock.acquireEngine(home, HomeLock.RUN)) {
            assertThat(lock.holder().pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(HomeLock.readHolder(home).orElseThrow().role()).isEqualTo("run");
        }
    }

    @Test
    void lockFileLeftByAKilledEngineDoesNotBlock() throws Exception {
        EtlHome home = new EtlHome(dir);
        try (ChildJvm child = ChildJvm.start(HoldHomeLockMain.class, dir.toString(), HomeLock.RUN)) {
            child.awaitLine("LOCKED ", 30);
            child.killAndDrain();
        }
        // The dead engine's record is still in the file...
        assertThat(Files.readString(home.lockFile())).contains("role=run");
        // ...but the OS released its lock.
        try (HomeLock lock = HomeLock.acquireEngine(home, HomeLock.CONSOLE)) {
            assertThat(HomeLock.readHolder(home).orElseThrow().pid()).isEqualTo(ProcessHandle.current().pid());
        }
    }

    @Test
    void sameProcessCannotTakeTheHomeTwiceButItsCatalogOpensUnderTheEngineLock() {
        EtlHome home = new EtlHome(dir);
        try (HomeLock engine = HomeLock.acquireEngine(home, HomeLock.CONSOLE)) {
            assertThatThrownBy(() -> HomeLock.acquireEngine(home, HomeLock.RUN))
                    .isInstanceOf(UserFacingException.class)
                    .hasMessageContaining("pid " + ProcessHandle.current().pid());
            try (Catalog catalog = Catalog.open(home)) {
                assertThat(catalog.sources().list()).isEmpty();
            }
            // Closing the catalog did not release the engine's lock.
            assertThat(HomeLock.heldByThisProcess(home)).containsSame(engine);
        }
        assertThat(HomeLock.heldByThisProcess(home)).isEmpty();
        // While a CLI command has the catalog open, an engine cannot start.
        try (Catalog catalog = Catalog.open(home)) {
            assertThatThrownBy(() -> HomeLock.acquireEngine(home, HomeLock.CONSOLE))
                    .isInstanceOf(UserFacingException.class)
                    .hasMessageStartingWith("Another etl-stream command (pid " + ProcessHandle.current().pid() + ", cli");
        }
        try (HomeLock lock = HomeLock.acquireEngine(home, HomeLock.CONSOLE)) {
            assertThat(lock.role()).isEqualTo("console");
        }
    }

    @Test
    void aNewHomeIsReadableByItsOwnerOnlyAndAnExistingOneKeepsItsMode() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        var ownerOnly = java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
        // the engine, a CLI command opening the catalog, and a vault created before any of them each make a new home
        EtlHome engine = new EtlHome(dir.resolve("a/engine-home"));
        try (HomeLock lock = HomeLock.acquireEngine(engine, HomeLock.RUN)) {
            assertThat(Files.getPosixFilePermissions(engine.dir())).isEqualTo(ownerOnly);
        }
        EtlHome cli = new EtlHome(dir.resolve("cli-home"));
        Catalog.open(cli).close();
        assertThat(Files.getPosixFilePermissions(cli.dir())).isEqualTo(ownerOnly);
        Path vaultHome = dir.resolve("vault-home");
        try (var vault = io.etlstream.vault.Vault.open(vaultHome.resolve("vault.p12"))) {
            char[] pw = "correct horse battery".toCharArray();
            vault.init(pw);
        }
        assertThat(Files.getPosixFilePermissions(vaultHome)).isEqualTo(ownerOnly);
        // a folder the user made (say a shared mount point) keeps the mode they gave it
        Path existing = Files.createDirectory(dir.resolve("existing"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---")));
        try (HomeLock lock = HomeLock.acquireEngine(new EtlHome(existing), HomeLock.RUN)) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)))
                    .isEqualTo("rwxr-x---");
        }
    }
}
