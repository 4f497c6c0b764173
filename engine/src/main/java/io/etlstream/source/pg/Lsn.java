package io.etlstream.source.pg;

import org.postgresql.replication.LogSequenceNumber;

/** LSN text form {@code X/Y} <-> the 64-bit value used everywhere else. */
public final class Lsn {
    private Lsn() {}

    public static long parse(String text) {
        return text == null ? 0 : LogSequenceNumber.valueOf(text).asLong();
    }

    public static String format(long lsn) {
        return LogSequenceNumber.valueOf(lsn).asString();
    }
}
