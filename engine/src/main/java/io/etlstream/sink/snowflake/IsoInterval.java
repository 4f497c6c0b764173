package io.etlstream.sink.snowflake;

/** A PostgreSQL interval (months, days, time) as ISO 8601 duration text, e.g. {@code P1Y2M3DT4H5M6.5S}. */
public final class IsoInterval {
    private IsoInterval() {}

    public static String format(int months, int days, long nanos) {
        StringBuilder sb = new StringBuilder("P");
        int years = months / 12;
        int m = months % 12;
        if (years != 0) {
            sb.append(years).append('Y');
        }
        if (m != 0) {
            sb.append(m).append('M');
        }
        if (days != 0) {
            sb.append(days).append('D');
        }
        if (nanos != 0) {
            sb.append('T');
            long hours = nanos / 3_600_000_000_000L;
            long rest = nanos % 3_600_000_000_000L;
            long minutes = rest / 60_000_000_000L;
            rest = rest % 60_000_000_000L;
            if (hours != 0) {
                sb.append(hours).append('H');
            }
            if (minutes != 0) {
                sb.append(minutes).append('M');
            }
            if (rest != 0) {
                java.math.BigDecimal secs = java.math.BigDecimal.valueOf(rest, 9).stripTrailingZeros();
                sb.append(secs.toPlainString()).append('S');
            }
        }
        if (sb.length() == 1) {
            sb.append("T0S");
        }
        return sb.toString();
    }
}
