package io.etlstream.monitor;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Watches one source through exactly one plain JDBC connection (ApplicationName {@code etl-stream-monitor-<source>}),
 * which it owns and closes. Not thread-safe: the {@link WalMonitor} tick is its only user.
 */
public final class SourceProbe implements AutoCloseable {

    /** Prefix of the ApplicationName of every monitor connection. */
    public static final String APPLICATION_PREFIX = "etl-stream-monitor-";

    /** Logical-decoding message prefix of heartbeats, so decoders can recognise and skip them. */
    public static final String HEARTBEAT_PREFIX = "etl-stream-heartbeat";

    // One round trip per tick. pg_stat_replication_slots (spill/stream statistics) exists from PG14 on, which is
    // the oldest version etl-stream supports.
    private static final String SAMPLE_SQL = """
            SELECT cur.lsn::text, cur.standby,
                   pg_size_bytes(current_setting('max_slot_wal_keep_size')),
                   s.slot_name, s.active,
                   pg_wal_lsn_diff(cur.lsn, s.confirmed_flush_lsn)::bigint,
                   pg_wal_lsn_diff(cur.lsn, s.restart_lsn)::bigint,
                   s.wal_status, s.safe_wal_size,
                   st.spill_txns, st.spill_bytes, st.stream_txns, st.stream_bytes
            FROM (SELECT pg_is_in_recovery() AS standby,
                         CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END AS lsn) cur
            LEFT JOIN pg_replication_slots s ON s.database = current_database() AND s.slot_type = 'logical'
            LEFT JOIN pg_stat_replication_slots st ON st.slot_name = s.slot_name
            ORDER BY s.slot_name
            """;

    private final ProbeTarget target;
    private final Connection connection;

    private SourceProbe(ProbeTarget target, Connection connection) {
        this.target = target;
        this.connection = connection;
    }

    /** Opens the probe's connection. */
    public static SourceProbe open(ProbeTarget target) throws SQLException {
        Connection c = target.opener().open(APPLICATION_PREFIX + target.source());
        try {
            c.setAutoCommit(true);
            c.setReadOnly(false);
            // Whatever name the opener gave the session, the monitor's connection must be recognisable as such.
            try (PreparedStatement st = c.prepareStatement("SELECT set_config('application_name', ?, false)")) {
                st.setString(1, APPLICATION_PREFIX + target.source());
                st.execute();
            }
            return new SourceProbe(target, c);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public String source() {
        return target.source();
    }

    ProbeTarget target() {
        return target;
    }

    /** Samples WAL position and slots; throws when the server cannot be asked. */
    public WalSample sample(Instant now) throws SQLException {
        return sample(now, target.pipelineBySlot());
    }

    /** Samples, attributing slots to pipelines with {@code owners} (the catalog's latest view). */
    public WalSample sample(Instant now, Map<String, String> owners) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(SAMPLE_SQL); ResultSet rs = st.executeQuery()) {
            long lsn = 0;
            boolean standby = false;
            long keepBytes = -1;
            List<SlotSample> slots = new ArrayList<>();
            while (rs.next()) {
                String lsnText = rs.getString(1);
                lsn = lsnText == null ? 0 : parseLsn(lsnText);
                standby = rs.getBoolean(2);
                long keep = rs.getLong(3);
                keepBytes = rs.wasNull() || keep < 0 ? -1 : keep;
                String slot = rs.getString(4);
                if (slot == null) {
                    continue;
                }
                slots.add(new SlotSample(slot, owners.get(slot), rs.getBoolean(5), longOr(rs, 6, -1), longOr(rs, 7, -1),
                        rs.getString(8), longOr(rs, 9, -1), longOr(rs, 10, -1), longOr(rs, 11, -1), longOr(rs, 12, -1),
                        longOr(rs, 13, -1)));
            }
            return new WalSample(target.source(), now, lsn, standby, keepBytes, slots, null);
        }
    }

    /**
     * Writes a tiny transactional logical-decoding message into this source's WAL, so that slots on an idle
     * database see traffic and the stream can confirm a newer position (otherwise WAL written by other databases
     * piles up behind the idle slot). Not possible on a standby.
     */
    public void heartbeat() throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("SELECT pg_logical_emit_message(true, '" + HEARTBEAT_PREFIX + "', '')");
        }
    }

    /** True when the connection still answers; false after a server restart or a terminated backend. */
    boolean usable() {
        try {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }

    private static long longOr(ResultSet rs, int col, long dflt) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? dflt : v;
    }

    static long parseLsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
