package io.etlstream.source.pg;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A freshly created slot's exported snapshot: copy workers attach to it with {@code SET TRANSACTION SNAPSHOT} and
 * see the database exactly as of the slot's consistent point. It stays valid while this object's replication
 * connection stays open and idle; {@link #close()} ends it (and drops the slot when it was created temporary).
 */
public final class ExportedSnapshot implements AutoCloseable {
    private final Connection replicationConnection;
    private final String slotName;
    private final String snapshotName;
    private final long consistentPoint;

    ExportedSnapshot(Connection replicationConnection, String slotName, String snapshotName, long consistentPoint) {
        this.replicationConnection = replicationConnection;
        this.slotName = slotName;
        this.snapshotName = snapshotName;
        this.consistentPoint = consistentPoint;
    }

    public String slotName() {
        return slotName;
    }

    /** The name to pass to {@code SET TRANSACTION SNAPSHOT}. */
    public String snapshotName() {
        return snapshotName;
    }

    /** The LSN from which the slot streams: every transaction committed after it is not in the snapshot. */
    public long consistentPoint() {
        return consistentPoint;
    }

    @Override
    public void close() {
        try {
            replicationConnection.close();
        } catch (SQLException ignored) {
            // the connection is going away either way; the exported snapshot dies with it
        }
    }
}
