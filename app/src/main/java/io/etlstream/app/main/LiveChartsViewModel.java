package io.etlstream.app.main;

import io.etlstream.app.bridge.FxThread;
import io.etlstream.app.engine.ChartData;
import io.etlstream.app.i18n.Messages;
import io.etlstream.metrics.RingSeries;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.scene.chart.XYChart;

/**
 * The live charts of the selected pipeline: WAL lag in bytes and seconds and throughput in rows/s over a fixed
 * window ending now. x is seconds before now ({@code -WINDOW..0}); y bounds are set here (rounded up to 1, 2 or 5
 * times a power of ten) so the axes never auto-range. The engine downsamples; this only converts.
 */
public final class LiveChartsViewModel {

    /** The time window the charts show. */
    public static final Duration WINDOW = Duration.ofMinutes(5);
    /** At most this many points per series (about one per two pixels of a chart). */
    public static final int MAX_POINTS = 150;

    private final ObservableList<XYChart.Data<Number, Number>> lagBytes = FXCollections.observableArrayList();
    private final ObservableList<XYChart.Data<Number, Number>> lagSeconds = FXCollections.observableArrayList();
    private final ObservableList<XYChart.Data<Number, Number>> rows = FXCollections.observableArrayList();
    private static final double MIN_BYTES_UPPER = 1000;

    private final ReadOnlyDoubleWrapper lagBytesUpper = new ReadOnlyDoubleWrapper(this, "lagBytesUpper",
            MIN_BYTES_UPPER);
    private final ReadOnlyDoubleWrapper lagSecondsUpper = new ReadOnlyDoubleWrapper(this, "lagSecondsUpper", 1);
    private final ReadOnlyDoubleWrapper rowsUpper = new ReadOnlyDoubleWrapper(this, "rowsUpper", 1);
    private final ReadOnlyStringWrapper heading = new ReadOnlyStringWrapper(this, "heading",
            Messages.get("charts.none"));

    /** The charts now show {@code data}; called by the bridge on the FX thread. */
    public void show(ChartData data) {
        FxThread.require();
        heading.set(Messages.get("charts.heading", data.pipeline(), WINDOW.toMinutes()));
        long now = data.now().getEpochSecond();
        // Bytes start at 1 KiB: below that the axis would print the same rounded label on every tick.
        lagBytesUpper.set(Math.max(MIN_BYTES_UPPER, fill(lagBytes, data.lagBytes(), now)));
        lagSecondsUpper.set(fill(lagSeconds, data.lagSeconds(), now));
        rowsUpper.set(fill(rows, data.rowsPerSecond(), now));
    }

    /** No pipeline selected: empty charts. */
    public void clear() {
        FxThread.require();
        heading.set(Messages.get("charts.none"));
        lagBytes.clear();
        lagSeconds.clear();
        rows.clear();
        lagBytesUpper.set(MIN_BYTES_UPPER);
        lagSecondsUpper.set(1);
        rowsUpper.set(1);
    }

    private static double fill(ObservableList<XYChart.Data<Number, Number>> target, List<RingSeries.Point> points,
            long now) {
        List<XYChart.Data<Number, Number>> data = new ArrayList<>(points.size());
        double max = 0;
        for (RingSeries.Point p : points) {
            data.add(new XYChart.Data<>(p.epochSecond() - now, p.value()));
            max = Math.max(max, p.value());
        }
        target.setAll(data);
        return niceUpperBound(max);
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code max} plus 5 % headroom; at least 1. */
    public static double niceUpperBound(double max) {
        double target = max * 1.05;
        if (!(target > 1)) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(target)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * power >= target) {
                return step * power;
            }
        }
        return 10 * power;
    }

    /** Left end of every x axis, in seconds before now. */
    public double lowerX() {
        return -WINDOW.toSeconds();
    }

    public ObservableList<XYChart.Data<Number, Number>> lagBytes() {
        return lagBytes;
    }

    public ObservableList<XYChart.Data<Number, Number>> lagSeconds() {
        return lagSeconds;
    }

    public ObservableList<XYChart.Data<Number, Number>> rowsPerSecond() {
        return rows;
    }

    public ReadOnlyDoubleProperty lagBytesUpperProperty() {
        return lagBytesUpper.getReadOnlyProperty();
    }

    public ReadOnlyDoubleProperty lagSecondsUpperProperty() {
        return lagSecondsUpper.getReadOnlyProperty();
    }

    public ReadOnlyDoubleProperty rowsUpperProperty() {
        return rowsUpper.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty headingProperty() {
        return heading.getReadOnlyProperty();
    }
}
