package io.etlstream.app.main;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.UserFacingException;
import io.etlstream.app.concurrent.AppExecutors;
import io.etlstream.app.engine.ChartData;
import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Which buttons the selected pipeline's state allows, and what sending a command reports. */
class PipelineActionsViewModelTest {

    private final List<String> sent = new CopyOnWriteArrayList<>();
    private final AtomicInteger refreshed = new AtomicInteger();
    private RuntimeException refusal;

    /** Records commands and answers with the state they lead to (an engine of our own interface, not a mock). */
    private final ConsoleEngine engine = new ConsoleEngine() {
        @Override
        public Mode mode() {
            return Mode.OWNED;
        }

        @Override
        public String holder() {
            return "console";
        }

        @Override
        public List<PipelineStatus> statuses() {
            return List.of();
        }

        @Override
        public Map<String, Endpoints> endpoints() {
            return Map.of();
        }

        @Override
        public PipelineStatus send(String pipeline, PipelineCommand command) {
            if (refusal != null) {
                throw refusal;
            }
            String table = command instanceof PipelineCommand.ResyncTable r ? " " + r.table() : "";
            sent.add(command.verb() + " " + pipeline + table);
            PipelineState after = command instanceof PipelineCommand.Pause ? PipelineState.PAUSED
                    : PipelineState.STREAMING;
            return status(pipeline, after);
        }

        @Override
        public ChartData chart(String pipeline, Instant now, Duration window, int maxPoints) {
            return ChartData.empty(pipeline, now);
        }

        @Override
        public Duration stopTimeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public void close() {}
    };

    private final PipelineActionsViewModel viewModel = new PipelineActionsViewModel(engine,
            AppExecutors.currentThread((t, e) -> {
                throw new AssertionError("unhandled", e);
            }), refreshed::incrementAndGet);

    private static PipelineStatus status(String name, PipelineState state) {
        return new PipelineStatus(name, "pg", "sf", state, true, PipelineSettings.DEFAULTS, List.of(), 0, 0, 0, 0, 0,
                0, 0, 0, 0, null, null, Instant.EPOCH, 1);
    }

    private static PipelineRow row(PipelineState state) {
        return new PipelineRow("orders", "pg", "sf", state.label(), state, "", "", List.of("public.orders"));
    }

    @Test
    void theStateDecidesWhichCommandsAreOffered() {
        viewModel.selectedProperty().set(row(PipelineState.STREAMING));
        assertThat(flags()).containsExactly(false, true, true, false, true);

        viewModel.selectedProperty().set(row(PipelineState.PAUSED));
        assertThat(flags()).containsExactly(false, true, false, true, true);

        viewModel.selectedProperty().set(row(PipelineState.STOPPED));
        assertThat(flags()).containsExactly(true, false, false, false, true);

        viewModel.selectedProperty().set(row(PipelineState.STOPPING));
        assertThat(flags()).containsExactly(false, false, false, false, false);

        viewModel.selectedProperty().set(null);
        assertThat(flags()).containsExactly(false, false, false, false, false);
    }

    @Test
    void commandsGoToTheEngineAndTheListIsRefreshedAfterwards() {
        viewModel.selectedProperty().set(row(PipelineState.STREAMING));
        viewModel.pause();
        viewModel.resync("public.orders");

        assertThat(sent).containsExactly("pause orders", "resync orders public.orders");
        assertThat(viewModel.messageProperty().get()).isEqualTo("resync orders: now Streaming");
        assertThat(viewModel.messageIsProblemProperty().get()).isFalse();
        assertThat(refreshed).hasValue(2);
        assertThat(viewModel.busyProperty().get()).isFalse();
    }

    @Test
    void aRefusalIsShownAsAProblemWithTheEnginesReason() {
        viewModel.selectedProperty().set(row(PipelineState.STREAMING));
        refusal = new UserFacingException("pipeline orders is stopping; try again in a moment");
        viewModel.stop();

        assertThat(viewModel.messageProperty().get())
                .isEqualTo("stop orders was refused: pipeline orders is stopping; try again in a moment");
        assertThat(viewModel.messageIsProblemProperty().get()).isTrue();
        assertThat(viewModel.canStopProperty().get()).as("enabled again once the attempt ended").isTrue();
    }

    @Test
    void withoutAnEngineNothingIsOffered() {
        PipelineActionsViewModel none = new PipelineActionsViewModel(null, AppExecutors.currentThread((t, e) -> {}),
                () -> {});
        none.selectedProperty().set(row(PipelineState.STOPPED));
        assertThat(none.canStartProperty().get()).isFalse();
        none.start();
        assertThat(sent).isEmpty();
    }

    private List<Boolean> flags() {
        return List.of(viewModel.canStartProperty().get(), viewModel.canStopProperty().get(),
                viewModel.canPauseProperty().get(), viewModel.canResumeProperty().get(),
                viewModel.canResyncProperty().get());
    }

}
