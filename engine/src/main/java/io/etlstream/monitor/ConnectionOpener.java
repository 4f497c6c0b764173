package io.etlstream.monitor;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Opens a plain (non-replication) JDBC connection to one source, with the given ApplicationName so the
 * connection is recognisable in pg_stat_activity. The source package supplies it (it owns credentials).
 */
@FunctionalInterface
public interface ConnectionOpener {
    Connection open(String applicationName) throws SQLException;
}
