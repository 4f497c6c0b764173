package io.etlstream.batch;

import java.nio.charset.StandardCharsets;

/**
 * A logical decoding message ({@code pg_logical_emit_message}); the source uses those with its own prefix as
 * heartbeats. Transactional ones are delivered in commit order, before their {@link TransactionCommitted}.
 */
public record Heartbeat(long lsn, boolean transactional, String prefix, byte[] content) implements ChangeEvent {
    public String contentAsText() {
        return new String(content, StandardCharsets.UTF_8);
    }
}
