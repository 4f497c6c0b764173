package io.etlstream.pipeline.replay;

import java.util.List;

/**
 * Recorded pgoutput messages (as PostgreSQL sent them, e.g. from {@code pg_logical_slot_peek_binary_changes})
 * with the WAL position of each, replayed by {@link ReplaySource} to drive pipelines without a server.
 */
public record ReplayRecording(List<Frame> frames) {

    /** One pgoutput message and the LSN it was read at. */
    public record Frame(long lsn, byte[] bytes) {
        /** The pgoutput message type: B, C, R, I, U, D, T, ... */
        public char type() {
            return bytes.length == 0 ? '?' : (char) bytes[0];
        }
    }

    public ReplayRecording {
        frames = List.copyOf(frames);
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a recording needs at least one frame");
        }
    }

    /** Number of row changes (Insert/Update/Delete) in one pass. */
    public long rowChanges() {
        return frames.stream().filter(f -> f.type() == 'I' || f.type() == 'U' || f.type() == 'D').count();
    }
}
