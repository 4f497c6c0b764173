package io.etlstream.app.main;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.app.engine.ChartData;
import io.etlstream.metrics.RingSeries;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javafx.scene.chart.XYChart;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;

/** Chart and shutdown-progress view models: conversions and bounds, on the FX thread as the bridge calls them. */
class LiveChartsViewModelTest {

    @BeforeAll
    static void toolkit() throws Exception {
        FxToolkit.registerPrimaryStage();
    }

    @Test
    void upperBoundsAreOneTwoOrFiveTimesAPowerOfTenWithHeadroom() {
        assertThat(LiveChartsViewModel.niceUpperBound(0)).isEqualTo(1);
        assertThat(LiveChartsViewModel.niceUpperBound(0.5)).isEqualTo(1);
        assertThat(LiveChartsViewModel.niceUpperBound(1)).isEqualTo(2);
        assertThat(LiveChartsViewModel.niceUpperBound(360.9)).isEqualTo(500);
        assertThat(LiveChartsViewModel.niceUpperBound(480)).isEqualTo(1000);
        assertThat(LiveChartsViewModel.niceUpperBound(1_900_000)).isEqualTo(2_000_000);
        assertThat(LiveChartsViewModel.niceUpperBound(Double.NaN)).isEqualTo(1);
    }

    @Test
    void pointsBecomeSecondsBeforeNowAndSetTheBounds() throws Exception {
        LiveChartsViewModel vm = new LiveChartsViewModel();
        Instant now = Instant.ofEpochSecond(10_000);
        ChartData data = new ChartData("orders", now,
                List.of(new RingSeries.Point(9_990, 200), new RingSeries.Point(10_000, 2_500_000)),
                List.of(new RingSeries.Point(9_998, 3.5)),
                List.of(new RingSeries.Point(9_700, 40), new RingSeries.Point(9_999, 90)));

        FxToolkit.setupFixture(() -> vm.show(data));

        assertThat(vm.lagBytes()).extracting(XYChart.Data::getXValue).containsExactly(-10L, 0L);
        assertThat(vm.lagBytesUpperProperty().get()).isEqualTo(5_000_000);
        assertThat(vm.lagSecondsUpperProperty().get()).isEqualTo(5);
        assertThat(vm.rowsPerSecond()).extracting(d -> d.getYValue().doubleValue()).containsExactly(40.0, 90.0);
        assertThat(vm.rowsUpperProperty().get()).isEqualTo(100);
        assertThat(vm.lowerX()).isEqualTo(-300);
        assertThat(vm.headingProperty().get()).isEqualTo("orders \u00b7 last 5 minutes");

        FxToolkit.setupFixture(vm::clear);
        assertThat(vm.rowsPerSecond()).isEmpty();
        assertThat(vm.lagBytesUpperProperty().get()).as("bytes never go below 1 kB").isEqualTo(1000);
        assertThat(vm.headingProperty().get()).isEqualTo("Select a pipeline to see its charts");
    }

    @Test
    void theBridgeIsTheOnlyWriterOffTheFxThreadItIsRefused() {
        LiveChartsViewModel vm = new LiveChartsViewModel();
        assertThatThrownBy(() -> vm.show(ChartData.empty("orders", Instant.EPOCH)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("JavaFX application thread");
    }

    @Test
    void stoppingProgressCountsThePipelinesThatWereRunningWhenTheWindowClosed() throws Exception {
        StoppingViewModel vm = new StoppingViewModel(Duration.ofSeconds(30));
        assertThat(vm.explanation()).contains("at most 30 seconds");
        FxToolkit.setupFixture(() -> vm.show(List.of(status("a", PipelineState.STREAMING),
                status("b", PipelineState.STOPPING), status("c", PipelineState.STOPPED))));
        assertThat(vm.progressProperty().get()).isEqualTo(0);
        assertThat(vm.detailProperty().get()).isEqualTo("0 of 2 pipelines stopped");

        FxToolkit.setupFixture(() -> vm.show(List.of(status("a", PipelineState.STOPPED),
                status("b", PipelineState.STOPPING), status("c", PipelineState.STOPPED))));
        assertThat(vm.progressProperty().get()).isEqualTo(0.5);
        assertThat(vm.detailProperty().get()).isEqualTo("1 of 2 pipelines stopped");

        FxToolkit.setupFixture(() -> vm.finished(true));
        assertThat(vm.progressProperty().get()).isEqualTo(1);
        assertThat(vm.detailProperty().get()).isEqualTo("All pipelines stopped.");
    }

    private static PipelineStatus status(String name, PipelineState state) {
        return new PipelineStatus(name, "pg", "sf", state, true, PipelineSettings.DEFAULTS, List.of(), 0, 0, 0, 0, 0,
                0, 0, 0, 0, null, null, Instant.EPOCH, 1);
    }
}
