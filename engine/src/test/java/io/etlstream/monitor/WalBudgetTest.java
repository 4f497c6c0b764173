package io.etlstream.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.metrics.EngineEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WalBudgetTest {

    private static final long MB = 1024 * 1024;

    private final List<EngineEvent> events = new ArrayList<>();
    private final List<String> paused = new ArrayList<>();
    private final List<WalBudget.Candidate> candidates = new ArrayList<>(List.of(
            new WalBudget.Candidate("vip", 10, true),
            new WalBudget.Candidate("bulk", 1, true),
            new WalBudget.Candidate("idle", 1, false),
            new WalBudget.Candidate("peer", 10, true)));
    private final WalBudget.PipelineControl control = new WalBudget.PipelineControl() {
        @Override
        public List<WalBudget.Candidate> pipelinesOf(String source) {
            return candidates;
        }

        @Override
        public void pause(String pipeline, String reason) {
            paused.add(pipeline + ": " + reason);
        }
    };

    private static WalSample sample(long keepBytes, long retained, String walStatus) {
        return new WalSample("pg1", Instant.EPOCH, 1, false, keepBytes, List.of(
                new SlotSample("slot_vip", "vip", true, retained, retained, walStatus, -1, 0, 0, 0, 0),
                new SlotSample("not_ours", null, false, 1L << 40, 1L << 40, "extended", -1, 0, 0, 0, 0)), null);
    }

    @Test
    void defaultsComeFromMaxSlotWalKeepSizeWhenItIsSet() {
        assertThat(WalBudget.defaults(1000 * MB)).isEqualTo(new WalBudget.Thresholds(500 * MB, 800 * MB));
        assertThat(WalBudget.defaults(-1)).isEqualTo(new WalBudget.Thresholds(WalBudget.DEFAULT_WARNING_BYTES,
                WalBudget.DEFAULT_CRITICAL_BYTES));
    }

    @Test
    void crossingsBecomeEventsOnceAndCriticalPausesOnlyLowerPriorityRunningPipelines() {
        WalBudget budget = new WalBudget(events::add, null, true, control);
        budget.accept(sample(1000 * MB, 10 * MB, "reserved"));
        assertThat(events).isEmpty();
        assertThat(budget.levels()).containsEntry("vip", WalBudget.Level.OK).doesNotContainKey("not_ours");

        budget.accept(sample(1000 * MB, 600 * MB, "reserved"));
        budget.accept(sample(1000 * MB, 650 * MB, "reserved"));
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(EngineEvent.Kind.WAL_WARNING);
            assertThat(e.pipeline()).isEqualTo("vip");
            assertThat(e.message()).contains("600.0 MiB").contains("warning at 500.0 MiB");
        });

        budget.accept(sample(1000 * MB, 850 * MB, "extended"));
        assertThat(events).extracting(EngineEvent::kind).containsSubsequence(EngineEvent.Kind.WAL_CRITICAL);
        assertThat(paused).containsExactly("bulk: WAL budget of vip is critical on source pg1");
        assertThat(events.get(events.size() - 1).message()).contains("paused lower-priority pipelines [bulk]");

        budget.accept(sample(1000 * MB, 900 * MB, "extended"));
        assertThat(paused).hasSize(1);

        budget.accept(sample(1000 * MB, 1 * MB, "reserved"));
        assertThat(events.get(events.size() - 1).message()).contains("within budget");

        budget.accept(sample(1000 * MB, 0, "lost"));
        assertThat(events.get(events.size() - 1).message()).contains("invalidated").contains("resync");
    }

    @Test
    void perPipelineOverridesWinAndPausingIsOptional() {
        WalBudget budget = new WalBudget(events::add,
                p -> Optional.of(new WalBudget.Thresholds(1 * MB, 2 * MB)), false, control);
        budget.accept(sample(-1, 3 * MB, "reserved"));
        assertThat(budget.levels()).containsEntry("vip", WalBudget.Level.CRITICAL);
        assertThat(paused).isEmpty();
    }
}
