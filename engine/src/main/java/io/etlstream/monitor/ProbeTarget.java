package io.etlstream.monitor;

import java.util.Map;
import java.util.Objects;

/**
 * A source the WAL monitor should watch: its name, how to connect, and which replication slot belongs to which
 * pipeline (slots of other tools are sampled too, owned by nobody). {@code connectionKey} identifies the connection
 * settings (e.g. {@code host:port/db user}): when it changes, the probe reconnects.
 */
public record ProbeTarget(String source, String connectionKey, ConnectionOpener opener,
        Map<String, String> pipelineBySlot) {
    public ProbeTarget {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(connectionKey, "connectionKey");
        Objects.requireNonNull(opener, "opener");
        pipelineBySlot = Map.copyOf(pipelineBySlot);
    }
}
