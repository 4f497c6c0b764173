package io.etlstream.pipeline.replay;

import io.etlstream.source.pg.pgoutput.PgOutputDecoder;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Recorded pgoutput messages exactly as PostgreSQL sent them (e.g. from {@code pg_logical_slot_peek_binary_changes}
 * or the decoder's captured fixtures), replayed by {@link ReplaySource} to drive pipelines without a server.
 */
public record ReplayRecording(List<byte[]> messages, long firstLsn, long lastLsn, long rowChanges) {

    public ReplayRecording {
        messages = List.copyOf(messages);
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a recording needs at least one message");
        }
    }

    /** Decodes the messages once to find the WAL span and the number of row changes in one pass. */
    public static ReplayRecording of(List<byte[]> messages) {
        PgOutputDecoder decoder = new PgOutputDecoder();
        long first = Long.MAX_VALUE;
        long last = 0;
        long rows = 0;
        for (byte[] m : messages) {
            PgOutputMessage msg = decoder.decode(ByteBuffer.wrap(m));
            if (msg instanceof PgOutputMessage.Begin b) {
                first = Math.min(first, b.finalLsn());
            } else if (msg instanceof PgOutputMessage.Commit c) {
                first = Math.min(first, c.commitLsn());
                last = Math.max(last, c.endLsn());
            } else if (msg instanceof PgOutputMessage.StreamCommit c) {
                first = Math.min(first, c.commitLsn());
                last = Math.max(last, c.endLsn());
            } else if (msg instanceof PgOutputMessage.Insert || msg instanceof PgOutputMessage.Update
                    || msg instanceof PgOutputMessage.Delete) {
                rows++;
            }
        }
        if (last == 0) {
            throw new IllegalArgumentException("the recording holds no committed transaction");
        }
        return new ReplayRecording(messages, first, last, rows);
    }

    /** WAL bytes one pass spans; replay adds it per loop so that confirmed LSNs keep growing. */
    public long span() {
        return Math.max(1, lastLsn - firstLsn + 1);
    }
}
