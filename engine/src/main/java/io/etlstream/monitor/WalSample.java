package io.etlstream.monitor;

import java.time.Instant;
import java.util.List;

/**
 * What one probe saw at one tick: the server's WAL position, its slots, and {@code max_slot_wal_keep_size}
 * ({@code -1} when unlimited); or, when sampling failed, the error.
 */
public record WalSample(String source, Instant at, long currentLsn, boolean standby, long maxSlotWalKeepBytes,
        List<SlotSample> slots, String error) {

    public WalSample {
        slots = List.copyOf(slots);
    }

    public static WalSample failed(String source, Instant at, String error) {
        return new WalSample(source, at, 0, false, -1, List.of(), error);
    }

    public boolean ok() {
        return error == null;
    }
}
