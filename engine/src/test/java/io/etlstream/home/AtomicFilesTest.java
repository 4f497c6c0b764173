package io.etlstream.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @Test
    void replacesTheWholeFileAndLeavesNoTempFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("state/ledger");
        AtomicFiles.writeLines(f, List.of("a", "b"));
        AtomicFiles.writeLines(f, List.of("ç"));
        assertThat(Files.readAllLines(f)).containsExactly("ç");
        try (var files = Files.list(f.getParent())) {
            assertThat(files).containsExactly(f);
        }
    }

    @Test
    void aFailedMoveKeepsWhatWasThereAndDeletesItsTempFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("busy");
        Files.createDirectories(target.resolve("inside")); // a non-empty folder cannot be replaced by a file
        assertThatThrownBy(() -> AtomicFiles.writeLines(target, List.of("x")))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("cannot write " + target);
        assertThat(target.resolve("inside")).isDirectory();
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }
}
