package io.etlstream.monitor;

/**
 * One replication slot at one sample.
 *
 * @param pipeline the pipeline owning the slot, or null for a slot etl-stream does not own
 * @param confirmedLagBytes WAL between the server's position and the slot's confirmed_flush_lsn (how far behind)
 * @param retainedBytes WAL between the server's position and the slot's restart_lsn (what the slot keeps on disk)
 * @param walStatus reserved, extended, unreserved or lost (lost = invalidated: only a resync recovers)
 * @param safeWalSize bytes that can still be written before the slot is in danger of being invalidated; -1 = no limit
 * @param spillBytes bytes of decoded transactions spilled to disk (PG14+; -1 unknown)
 * @param streamBytes bytes of in-progress transactions streamed to the client (PG14+; -1 unknown)
 */
public record SlotSample(String slot, String pipeline, boolean active, long confirmedLagBytes, long retainedBytes,
        String walStatus, long safeWalSize, long spillTxns, long spillBytes, long streamTxns, long streamBytes) {

    public boolean invalidated() {
        return "lost".equals(walStatus);
    }
}
