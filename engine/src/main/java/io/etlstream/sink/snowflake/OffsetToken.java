package io.etlstream.sink.snowflake;

/**
 * A channel's position: the commit LSN of the last transaction it holds, plus {@code :seq} when only part of that
 * transaction is in (a transaction split across batches). Text form {@code 16/B374D848} or {@code 16/B374D848:1200},
 * PostgreSQL's LSN notation so a human can compare it with {@code pg_replication_slots}.
 *
 * <p>Order: by LSN, then a partial position {@code L:s} before {@code L:s+1}, and every partial position of L before
 * the complete position L.
 */
public record OffsetToken(long lsn, int seq) implements Comparable<OffsetToken> {

    /** {@code seq} value of a position that covers its whole transaction. */
    public static final int COMPLETE = Integer.MAX_VALUE;

    public OffsetToken {
        if (seq < 0) {
            throw new IllegalArgumentException("seq must be >= 0: " + seq);
        }
    }

    /** Everything of the transaction committed at {@code lsn}. */
    public static OffsetToken complete(long lsn) {
        return new OffsetToken(lsn, COMPLETE);
    }

    /** The transaction committed at {@code lsn}, up to and including the change numbered {@code seq}. */
    public static OffsetToken partial(long lsn, int seq) {
        if (seq == COMPLETE) {
            throw new IllegalArgumentException("seq too large: " + seq);
        }
        return new OffsetToken(lsn, seq);
    }

    public boolean isComplete() {
        return seq == COMPLETE;
    }

    /** True if the change ({@code lsn}, {@code seq}) is at or below this position, i.e. already in the channel. */
    public boolean covers(long changeLsn, int changeSeq) {
        int c = Long.compareUnsigned(changeLsn, lsn);
        return c < 0 || (c == 0 && changeSeq <= seq);
    }

    /** Parses the text form; null or empty (a channel that never committed) gives null. */
    public static OffsetToken parse(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            int colon = text.indexOf(':');
            String lsnPart = colon < 0 ? text : text.substring(0, colon);
            long lsn = parseLsn(lsnPart);
            return colon < 0 ? complete(lsn) : partial(lsn, Integer.parseInt(text.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not an etl-stream offset token: '" + text
                    + "' (expected an LSN like 16/B374D848, optionally followed by :seq). Was this channel written"
                    + " by another tool? Drop the destination table's channel or resync the table.", e);
        }
    }

    /** PostgreSQL LSN text ({@code X/X}, hex) to its 64-bit value. */
    public static long parseLsn(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        long hi = Long.parseLong(text.substring(0, slash), 16);
        long lo = Long.parseLong(text.substring(slash + 1), 16);
        if (hi > 0xFFFFFFFFL || lo > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        return (hi << 32) | lo;
    }

    /** The 64-bit LSN in PostgreSQL's text form. */
    public static String formatLsn(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    @Override
    public int compareTo(OffsetToken o) {
        int c = Long.compareUnsigned(lsn, o.lsn);
        return c != 0 ? c : Integer.compare(seq, o.seq);
    }

    @Override
    public String toString() {
        return isComplete() ? formatLsn(lsn) : formatLsn(lsn) + ":" + seq;
    }
}
