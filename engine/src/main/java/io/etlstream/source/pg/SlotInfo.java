package io.etlstream.source.pg;

/** What {@code pg_replication_slots} says about one slot; LSNs as 64-bit values, lag in bytes behind the server. */
public record SlotInfo(String name, String plugin, boolean active, int activePid, long confirmedFlushLsn,
        long restartLsn, String walStatus, long lagBytes, long retainedBytes) {

    /** The slot's WAL was removed ({@code wal_status = lost}): it can never stream again. */
    public boolean invalidated() {
        return "lost".equals(walStatus);
    }
}
