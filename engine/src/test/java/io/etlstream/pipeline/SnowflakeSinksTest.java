package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.metrics.EventSink;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.vault.Vault;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a pipeline hears when its destination cannot be connected: a locked vault, a missing key, a stopping engine. */
class SnowflakeSinksTest {

    @TempDir
    Path dir;

    private static final PipelineDefinition P1 = new PipelineDefinition("p1", "pg", "sf",
            List.of(new TableRef("public", "t")), PipelineSettings.DEFAULTS, true);

    private Catalog catalog() {
        Catalog c = Catalog.open(new EtlHome(dir.resolve("home")));
        Source s = c.sources().add(Source.draft("pg", "127.0.0.1", 5432, "db", "postgres"));
        Destination d = c.destinations().add(Destination.draft("sf", null, "http://127.0.0.1:1", "U", "R", "DB", "SC",
                "loader"));
        c.pipelines().add(Pipeline.draft("p1", s.id(), d.id()));
        return c;
    }

    @Test
    void aLockedVaultIsAPermanentFailureThatSaysHowToUnlock() {
        try (Catalog c = catalog();
                SnowflakeSinks sinks = new SnowflakeSinks(() -> c, null, () -> EventSink.NONE, new FlushLimiter(1),
                        SnowpipeTuning.DEFAULT)) {
            PipelineFailure f = catchThrowableOfType(() -> sinks.sink(P1), PipelineFailure.class);
            assertThat(f.permanent()).isTrue();
            assertThat(f.getMessage()).contains("destination sf", "'loader'", "locked");
            assertThat(f.suggestedAction()).contains("--password-file");
        }
    }

    @Test
    void aMissingKeyIsAPermanentFailureThatSaysHowToCreateIt() {
        char[] pw = "a master password".toCharArray();
        try (Catalog c = catalog(); Vault v = Vault.open(dir.resolve("vault.p12"))) {
            v.init(pw);
            try (SnowflakeSinks sinks = new SnowflakeSinks(() -> c, v, () -> null, new FlushLimiter(1),
                    SnowpipeTuning.DEFAULT)) {
                PipelineFailure f = catchThrowableOfType(() -> sinks.sink(P1), PipelineFailure.class);
                assertThat(f.permanent()).isTrue();
                assertThat(f.getMessage()).contains("no key 'loader'");
                assertThat(f.suggestedAction()).contains("etl-stream key generate loader");
            }
        } finally {
            java.util.Arrays.fill(pw, '\0');
        }
    }

    @Test
    void afterCloseNoSinkIsOpened() {
        try (Catalog c = catalog()) {
            SnowflakeSinks sinks = new SnowflakeSinks(() -> c, null, () -> null, new FlushLimiter(1),
                    SnowpipeTuning.DEFAULT);
            sinks.close();
            PipelineFailure f = catchThrowableOfType(() -> sinks.sink(P1), PipelineFailure.class);
            assertThat(f.permanent()).isFalse();
            assertThat(f.getMessage()).contains("stopping");
        }
    }
}
