package io.etlstream.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.StampedLock;

/**
 * A fixed window of one value per second (by default the last hour). One writer (the metrics tick) and any number
 * of readers; readers use optimistic reads and never block the writer for longer than copying one value.
 */
public final class RingSeries {

    /** One value at one second. */
    public record Point(long epochSecond, double value) {}

    private final long[] seconds;
    private final double[] values;
    private final StampedLock lock = new StampedLock();

    public RingSeries(int capacitySeconds) {
        if (capacitySeconds < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        seconds = new long[capacitySeconds];
        values = new double[capacitySeconds];
        java.util.Arrays.fill(seconds, Long.MIN_VALUE);
    }

    public int capacity() {
        return seconds.length;
    }

    /** Stores the value of {@code epochSecond}, replacing whatever was stored one window earlier in that slot. */
    public void record(long epochSecond, double value) {
        int i = (int) Math.floorMod(epochSecond, (long) seconds.length);
        long stamp = lock.writeLock();
        try {
            seconds[i] = epochSecond;
            values[i] = value;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Points with {@code from <= second < to} still in the window, oldest first. */
    public List<Point> points(long fromSecond, long toSecond) {
        long from = Math.max(fromSecond, toSecond - seconds.length);
        List<Point> out = new ArrayList<>((int) Math.max(0, Math.min(seconds.length, toSecond - from)));
        for (long s = from; s < toSecond; s++) {
            int i = (int) Math.floorMod(s, (long) seconds.length);
            long stamp = lock.tryOptimisticRead();
            long sec = seconds[i];
            double v = values[i];
            if (!lock.validate(stamp)) {
                stamp = lock.readLock();
                try {
                    sec = seconds[i];
                    v = values[i];
                } finally {
                    lock.unlockRead(stamp);
                }
            }
            if (sec == s) {
                out.add(new Point(s, v));
            }
        }
        return out;
    }

    /** Average of the points in {@code [from, to)}, or NaN when there are none. */
    public double average(long fromSecond, long toSecond) {
        List<Point> ps = points(fromSecond, toSecond);
        if (ps.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (Point p : ps) {
            sum += p.value();
        }
        return sum / ps.size();
    }
}
