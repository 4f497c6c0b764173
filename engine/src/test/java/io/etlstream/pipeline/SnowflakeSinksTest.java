package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.etlstream.batch.SchemaChange;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.PipelineMode;
import io.etlstream.catalog.Source;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.emulator.SqlException;
import io.etlstream.home.EtlHome;
import io.etlstream.metrics.EventSink;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.vault.Vault;
import io.etlstream.vault.VaultPublicKey;
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

    @Test
    void theCatalogPipelineModeReachesTheSink() throws Exception {
        char[] pw = "a master password".toCharArray();
        try (Vault v = Vault.open(dir.resolve("vault.p12"))) {
            v.init(pw);
            VaultPublicKey pub = v.generateKey("loader", 2048);
            try (SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("U", pub.key()))) {
                emu.sql("CREATE DATABASE IF NOT EXISTS DB");
                emu.sql("CREATE SCHEMA IF NOT EXISTS DB.SC");
                try (Catalog c = Catalog.open(new EtlHome(dir.resolve("home")))) {
                    Source s = c.sources().add(Source.draft("pg", "127.0.0.1", 5432, "db", "postgres"));
                    Destination d = c.destinations().add(Destination.draft("sf", null, emu.url().toString(), "U",
                            "ACCOUNTADMIN", "DB", "SC", "loader"));
                    c.pipelines().add(Pipeline.draft("ph", s.id(), d.id()).withMode(PipelineMode.HISTORY));
                    long pm = c.pipelines().add(Pipeline.draft("pm", s.id(), d.id()).withMode(PipelineMode.MIRROR))
                            .id();
                    c.tables().add(pm, "public", "mirr_t");
                    try (SnowflakeSinks sinks = new SnowflakeSinks(() -> c, v, () -> null, new FlushLimiter(1),
                            SnowpipeTuning.DEFAULT)) {
                        openTable(sinks, "ph", "hist_t");
                        openTable(sinks, "pm", "mirr_t");
                    }
                    // the engine's sinks record each table's key in the catalog, for the next start to compare
                    assertThat(c.tables().keyColumns(pm, "public", "mirr_t")).contains(List.of("id"));
                }
                assertThat(emu.sql("SELECT COUNT(*) FROM HIST_T_HISTORY", "DB", "SC").rows().get(0).get(0))
                        .isEqualTo("0");
                assertThatThrownBy(() -> emu.sql("SELECT COUNT(*) FROM HIST_T", "DB", "SC"))
                        .isInstanceOf(SqlException.class).hasMessageContaining("does not exist or not authorized");
                assertThat(emu.sql("SELECT COUNT(*) FROM MIRR_T", "DB", "SC").rows().get(0).get(0)).isEqualTo("0");
            }
        } finally {
            java.util.Arrays.fill(pw, '\0');
        }
    }

    private static void openTable(SnowflakeSinks sinks, String pipeline, String table) throws Exception {
        PipelineDefinition def = new PipelineDefinition(pipeline, "pg", "sf",
                List.of(new TableRef("public", table)), PipelineSettings.DEFAULTS, true);
        try (ChangeSink sink = sinks.sink(def)) {
            sink.open(new ChangeSink.Durability() {
                @Override
                public void durable(long endLsn) {}

                @Override
                public void snapshotDurable(TableId t) {}
            });
            TableSchema schema = new TableSchema(new TableId("public", table), table.hashCode(), 'd',
                    List.of(new RelationColumn(true, "id", 23, -1), new RelationColumn(false, "v", 25, -1)), 1);
            sink.accept(new SchemaChange(schema.table(), null, schema, List.of(), List.of(), List.of(), false));
        }
    }
}
