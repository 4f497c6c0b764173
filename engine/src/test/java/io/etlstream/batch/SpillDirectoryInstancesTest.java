package io.etlstream.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Source instances on one slot's spill folder: each gets a folder of its own; a new one deletes only what dead
 * instances left (in this process or a killed one), never a live sibling's files; each removes its own at close.
 */
class SpillDirectoryInstancesTest {

    @TempDir
    Path root;

    private static List<Path> list(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void aClosingInstanceAndItsSuccessorKeepTheirOwnFilesAndEachCleansItsOwn() throws Exception {
        Path slot = root.resolve("etl_stream_x_p");
        SpillDirectory first = SpillDirectory.openInstance(slot, 1, true);
        TransactionSpill firstFile = first.newFile(1);
        Path firstPath = list(first.path()).get(0);

        SpillDirectory second = SpillDirectory.openInstance(slot, 1, true);
        assertThat(second.path()).isNotEqualTo(first.path());
        assertThat(second.path().getParent()).isEqualTo(first.path().getParent()).isEqualTo(slot.toAbsolutePath());
        assertThat(firstPath).as("the successor's start left the live instance's file").exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(second.path()))).isEqualTo("rwx------");
        TransactionSpill secondFile = second.newFile(1); // the same xid: replayed by the successor
        Path secondPath = list(second.path()).get(0);

        firstFile.close();
        first.close();
        assertThat(first.path()).as("the closed instance removed its folder").doesNotExist();
        assertThat(secondPath).as("the closing instance's clean-up left the successor's file").exists();
        assertThat(list(slot)).as("only the successor's folder and its lock remain")
                .containsExactly(second.path(), slot.toAbsolutePath().resolve(second.path().getFileName() + ".lock"));

        secondFile.close();
        second.close();
        assertThat(slot).as("the last instance removed the slot folder").doesNotExist();
    }

    @Test
    void whatDeadInstancesAndOlderBuildsLeftIsDeletedButForeignFilesStay() throws Exception {
        Path slot = root.resolve("etl_stream_x_q");
        Files.createDirectories(slot);
        // A killed instance: its folder and an unlocked lock file.
        Path dead = Files.createDirectories(slot.resolve("111-dead"));
        Files.writeString(dead.resolve("txn-5-1" + SpillDirectory.SUFFIX), "rows of a killed run");
        Files.writeString(slot.resolve("111-dead" + SpillDirectory.LOCK_SUFFIX), "");
        // Killed between making its lock and its folder, or between removing them.
        Path lockOnly = Files.writeString(slot.resolve("222-gone" + SpillDirectory.LOCK_SUFFIX), "");
        Path noLock = Files.createDirectories(slot.resolve("333-nolock"));
        Files.writeString(noLock.resolve("txn-6-1" + SpillDirectory.SUFFIX), "rows");
        // The layout before instance folders: files straight in the slot folder.
        Path old = Files.writeString(slot.resolve("txn-9-1" + SpillDirectory.SUFFIX), "rows of an older build");
        // Not ours: kept.
        Path foreignDir = Files.createDirectories(slot.resolve("444-foreign"));
        Path foreign = Files.writeString(foreignDir.resolve("notes.txt"), "keep me");

        try (SpillDirectory d = SpillDirectory.openInstance(slot, 1, false)) {
            assertThat(dead).doesNotExist();
            assertThat(slot.resolve("111-dead" + SpillDirectory.LOCK_SUFFIX)).doesNotExist();
            assertThat(lockOnly).doesNotExist();
            assertThat(noLock).doesNotExist();
            assertThat(old).doesNotExist();
            assertThat(foreign).exists();
            assertThat(d.path()).exists();
        }
        assertThat(foreign).as("a folder holding files that are not spill files is left").exists();
    }

    @Test
    void anInstanceHeldByAnotherLiveProcessIsLeftAloneAndCleanedOnceThatProcessDied() throws Exception {
        Path slot = root.resolve("etl_stream_x_r");
        Path childDir;
        Path childFile;
        try (ChildJvm child = ChildJvm.start(SpillInstanceHolder.class, slot.toString())) {
            childDir = Path.of(child.awaitLine("READY ", 60).substring("READY ".length()));
            childFile = list(childDir).get(0);
            try (SpillDirectory mine = SpillDirectory.openInstance(slot, 1, true)) {
                assertThat(childFile).as("the other process's live instance keeps its file").exists();
                assertThat(mine.path()).isNotEqualTo(childDir);
            }
            assertThat(childFile).as("closing mine left the other's file").exists();
            child.killAndDrain();
        }
        assertThat(childFile).as("SIGKILL leaves the file behind").exists();
        try (SpillDirectory next = SpillDirectory.openInstance(slot, 1, true)) {
            assertThat(childDir).as("the dead process's folder is removed at the next start").doesNotExist();
            assertThat(next.path()).exists();
        }
        assertThat(slot).doesNotExist();
    }

    @Test
    void manyInstancesStartingAndClosingAtOnceNeverLoseALiveOnesFile() throws Exception {
        Path slot = root.resolve("etl_stream_x_s");
        int threads = 8;
        int rounds = 40;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    int checked = 0;
                    for (int r = 0; r < rounds; r++) {
                        try (SpillDirectory d = SpillDirectory.openInstance(slot, 1, true)) {
                            TransactionSpill f = d.newFile(r);
                            Path p = list(d.path()).get(0);
                            Thread.yield();
                            if (!Files.exists(p)) {
                                throw new AssertionError("a sibling deleted live file " + p);
                            }
                            f.close();
                            checked++;
                        }
                    }
                    return checked;
                }));
            }
            go.countDown();
            for (Future<Integer> f : results) {
                assertThat(f.get()).isEqualTo(rounds);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(slot).as("all closed: nothing left").doesNotExist();
    }
}
