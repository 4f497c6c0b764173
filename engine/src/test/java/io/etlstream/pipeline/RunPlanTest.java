package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link RunPlan#resyncsWholePipeline}: the one rule the runtime and the actor share. */
class RunPlanTest {

    private static final TableRef A = new TableRef("public", "a");
    private static final TableRef B = new TableRef("public", "b");

    @Test
    void onlyAResyncOfEveryTableIsOneOfTheWholePipeline() {
        assertThat(RunPlan.resyncsWholePipeline(Set.of(A, B), List.of(A, B))).isTrue();
        assertThat(RunPlan.resyncsWholePipeline(Set.of(A), List.of(A, B))).isFalse();
        assertThat(RunPlan.resyncsWholePipeline(Set.of(), List.of(A))).isFalse();
        assertThat(RunPlan.resyncsWholePipeline(Set.of(), List.of())).isFalse();
    }
}
