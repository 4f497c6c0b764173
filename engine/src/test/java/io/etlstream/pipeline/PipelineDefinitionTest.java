package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adding a table: one check (new table, distinct Snowflake names) for the engine's actor and the offline path. */
class PipelineDefinitionTest {

    static PipelineDefinition def() {
        return new PipelineDefinition("p1", "src", "dst", List.of(TableRef.parse("public.orders")),
                PipelineSettings.DEFAULTS, false);
    }

    @Test
    void anAddedTableIsNewAndKeepsSnowflakeNamesDistinct() {
        assertThat(def().withAddedTable(TableRef.parse("public.items")).tables())
                .containsExactly(TableRef.parse("public.items"), TableRef.parse("public.orders"));
        assertThatThrownBy(() -> def().withAddedTable(TableRef.parse("public.orders")))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("already has table public.orders");
        assertThatThrownBy(() -> def().withAddedTable(TableRef.parse("sales.orders")))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("would both be written to the Snowflake"
                        + " table");
    }

    @Test
    void aRunningEngineRefusesTheClashThroughTheSameCheck() throws Exception {
        try (PipelineManager m = PipelineManager.builder(new ControlledRuntime()).build()) {
            m.create(def());
            assertThatThrownBy(() -> m.send("p1", new PipelineCommand.AddTable(TableRef.parse("sales.orders")))
                    .join()).hasRootCauseInstanceOf(UserFacingException.class)
                    .hasMessageContaining("would both be written to the Snowflake table");
        }
    }
}
