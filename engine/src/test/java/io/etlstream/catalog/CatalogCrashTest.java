package io.etlstream.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.ChildJvm;
import io.etlstream.home.EtlHome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A JVM killed while writing leaves a catalog that opens with every write it reported committed. */
class CatalogCrashTest {

    @TempDir
    Path dir;

    @Test
    void killedWriterLosesNothingItReportedCommitted() throws Exception {
        EtlHome home = new EtlHome(dir);
        Random random = new Random();
        long next = 0;
        for (int round = 0; round < 3; round++) {
            long lastCommitted = -1;
            int killAfter = 5 + random.nextInt(40);
            try (ChildJvm child = ChildJvm.start(CatalogWriterMain.class, dir.toString(), Long.toString(next))) {
                // First line: no library log output on stdout (the default logback setup writes WARN to stderr).
                assertThat(child.nextLine(60)).as("stderr: %s", child.stderr()).isEqualTo("READY");
                List<String> seen = new ArrayList<>();
                int committedLines = 0;
                while (committedLines < killAfter) {
                    String line = child.nextLine(60);
                    assertThat(line).as("child ended early; stderr: %s", child.stderr()).isNotNull();
                    seen.add(line);
                    if (line.startsWith("committed ")) {
                        committedLines++;
                    }
                }
                // Kill in the middle of the loop; lines still in the pipe were committed too.
                seen.addAll(child.killAndDrain());
                for (String line : seen) {
                    if (line.startsWith("committed ")) {
                        lastCommitted = Long.parseLong(line.substring("committed ".length()));
                    }
                }
            }
            assertThat(lastCommitted).as("round %d", round).isGreaterThanOrEqualTo(next + killAfter - 1);

            try (Catalog catalog = Catalog.open(home)) {
                Set<String> sources = new HashSet<>();
                catalog.sources().list().forEach(s -> sources.add(s.name()));
                Set<String> events = new HashSet<>();
                catalog.events().since(0L, Integer.MAX_VALUE).forEach(e -> events.add(e.message()));
                for (long i = 0; i <= lastCommitted; i++) {
                    assertThat(sources).as("round %d", round).contains("s-" + i);
                    assertThat(events).as("round %d", round).contains("e-" + i);
                }
                Pipeline p = catalog.pipelines().require("crash");
                assertThat(catalog.tables().find(p.id(), "public", "t").orElseThrow().lastCommittedLsn())
                        .isGreaterThanOrEqualTo(lastCommitted + 1);
                // The write the kill interrupted may or may not have landed; the next round starts after it.
                next = catalog.sources().list().stream().filter(s -> s.name().startsWith("s-"))
                        .mapToLong(s -> Long.parseLong(s.name().substring(2))).max().orElse(-1) + 1;
                // And the catalog is writable again after the crash.
                catalog.events().append(Event.info("crash.test", "reopened after round " + round));
            }
        }
    }
}
