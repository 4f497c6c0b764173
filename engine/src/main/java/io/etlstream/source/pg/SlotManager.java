package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import io.etlstream.batch.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The pipeline's publication and pgoutput slot on the source: creates them idempotently, adds tables, reports the
 * slot's state and drops both when the pipeline is removed. Each call opens and closes its own connection.
 */
public final class SlotManager {

    private final PgConnector connector;
    private final ReplicationNames names;
    private volatile int version; // server_version_num, 0 until read

    public SlotManager(PgConnector connector, ReplicationNames names) {
        this.connector = connector;
        this.names = names;
    }

    public ReplicationNames names() {
        return names;
    }

    /** {@code server_version_num} of the source. */
    public int serverVersion() {
        int known = version;
        if (known != 0) {
            return known;
        }
        try (Connection c = query()) {
            return version(c);
        } catch (SQLException e) {
            throw failure("read the server version", e);
        }
    }

    /**
     * Creates the publication when missing (through the partition root on 13+) and adds the tables it lacks.
     * Returns the tables that were added by this call, in the given order.
     */
    public List<TableId> ensurePublication(List<TableId> tables) {
        if (tables.isEmpty()) {
            throw new UserFacingException("a pipeline needs at least one table: select tables with --tables schema.t1,schema.t2");
        }
        try (Connection c = connector.connect("slots")) {
            // The reads are short (a dead path must fail them, see query()); the DDL after them may wait for a lock.
            c.setNetworkTimeout(Runnable::run, QUERY_TIMEOUT_SECONDS * 1000);
            int version = version(c);
            Set<TableId> present = publishedTables(c);
            boolean exists = publicationExists(c);
            c.setNetworkTimeout(Runnable::run, 0);
            List<TableId> missing = tables.stream().filter(t -> !present.contains(t)).distinct().collect(Collectors.toList());
            if (!exists) {
                String list = missing.stream().map(TableNames::sql).collect(Collectors.joining(", "));
                String with = version >= 130000 ? " WITH (publish_via_partition_root = true)" : "";
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE PUBLICATION " + Sql.ident(names.publication()) + " FOR TABLE " + list + with);
                } catch (SQLException e) {
                    if (!"42710".equals(e.getSQLState())) { // created concurrently: fall through to ADD TABLE
                        throw tableFailure("create publication " + names.publication(), e);
                    }
                    return ensurePublication(tables);
                }
                return missing;
            }
            for (TableId t : missing) {
                try (Statement st = c.createStatement()) {
                    st.execute("ALTER PUBLICATION " + Sql.ident(names.publication()) + " ADD TABLE " + TableNames.sql(t));
                } catch (SQLException e) {
                    if (!"42710".equals(e.getSQLState())) {
                        throw tableFailure("add " + t + " to publication " + names.publication(), e);
                    }
                }
            }
            return missing;
        } catch (SQLException e) {
            throw failure("set up publication " + names.publication(), e);
        }
    }

    /** Removes a table from the publication (no-op when absent). */
    public void removeTable(TableId table) {
        try (Connection c = connector.connect("slots"); Statement st = c.createStatement()) {
            if (publishedTables(c).contains(table)) {
                st.execute("ALTER PUBLICATION " + Sql.ident(names.publication()) + " DROP TABLE " + TableNames.sql(table));
            }
        } catch (SQLException e) {
            throw failure("remove " + table + " from publication " + names.publication(), e);
        }
    }

    /** The tables in the publication (partition roots when published through the root). */
    public Set<TableId> publishedTables() {
        try (Connection c = query()) {
            return publishedTables(c);
        } catch (SQLException e) {
            throw failure("read publication " + names.publication(), e);
        }
    }

    /**
     * Ends walsender {@code pid} if it still holds the pipeline's slot, and waits up to {@code wait} for the slot to be
     * free. For the server side of a replication connection this source gave up on: it would keep the slot busy (a
     * new stream gets "slot is active") until {@code wal_sender_timeout}, or for ever if that is 0. Only that process
     * is ended, never another reader of the slot. Says whether it held the slot (not if the user may not signal it:
     * then the server's own timeout ends it) and whether it was busy then.
     */
    public AbandonedWalsender endAbandonedWalsender(int pid, java.time.Duration wait,
            java.util.function.BooleanSupplier stopRequested) {
        try (Connection c = query()) {
            boolean held;
            boolean busy;
            // The activity row is read before the signal takes effect (pg_stat_activity is a snapshot per query).
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(s.active_pid),"
                    + " coalesce(a.wait_event, '') FROM pg_replication_slots s LEFT JOIN pg_stat_activity a"
                    + " ON a.pid = s.active_pid WHERE s.slot_name = ? AND s.active_pid = ?")) {
                ps.setString(1, names.slot());
                ps.setInt(2, pid);
                try (ResultSet rs = ps.executeQuery()) {
                    held = rs.next() && rs.getBoolean(1);
                    busy = held && !WAITING_FOR_CLIENT_OR_WAL.contains(rs.getString(2));
                }
            } catch (SQLException e) {
                if ("42501".equals(e.getSQLState())) { // not the same role and no pg_signal_backend
                    return new AbandonedWalsender(false, false);
                }
                throw e;
            }
            long end = System.nanoTime() + wait.toNanos();
            // A stop does not wait for the slot: the walsender is already told to end.
            while (held && System.nanoTime() < end && !stopRequested.getAsBoolean()) {
                try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?"
                        + " AND active_pid = ?")) {
                    ps.setString(1, names.slot());
                    ps.setInt(2, pid);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            break;
                        }
                    }
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return new AbandonedWalsender(held, busy);
        } catch (SQLException e) {
            throw failure("end the abandoned walsender " + pid + " of slot " + names.slot(), e);
        }
    }

    /**
     * What {@link #endAbandonedWalsender} found: the walsender still held the slot, and it was busy (on the CPU or
     * reading, such as decoding a large transaction) rather than waiting for WAL or for the network when it was ended.
     */
    public record AbandonedWalsender(boolean held, boolean busy) {}

    /** Wait events of a walsender with nothing to do or blocked on its client: what a dead path leaves it in. */
    private static final Set<String> WAITING_FOR_CLIENT_OR_WAL = Set.of("WalSenderMain", "WalSenderWaitForWAL",
            "WalSenderWriteData", "ClientRead", "ClientWrite");

    /** Seconds a slot or catalog query may wait for the server before its connection counts as lost. */
    static final int QUERY_TIMEOUT_SECONDS = 30;

    /**
     * A connection for short queries that runs on the source's reader thread: a path that dies during one fails it
     * after {@link #QUERY_TIMEOUT_SECONDS} instead of hanging the reader (and its replication timeout) for minutes.
     * DDL (publication changes) keeps no limit: it may wait for a lock.
     */
    private Connection query() {
        return connector.connect("slots", QUERY_TIMEOUT_SECONDS);
    }

    /** The pipeline's slot, if it exists. */
    public Optional<SlotInfo> slot() {
        return slot(names.slot());
    }

    Optional<SlotInfo> slot(String slotName) {
        try (Connection c = query()) {
            int version = version(c);
            String current = "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END";
            String sql = "SELECT slot_name, coalesce(plugin, ''), active, coalesce(active_pid, 0),"
                    + " confirmed_flush_lsn::text, restart_lsn::text, "
                    + (version >= 130000 ? "coalesce(wal_status, '')" : "''") + ","
                    + " coalesce(pg_wal_lsn_diff(" + current + ", confirmed_flush_lsn), 0)::bigint,"
                    + " coalesce(pg_wal_lsn_diff(" + current + ", restart_lsn), 0)::bigint"
                    + " FROM pg_replication_slots WHERE slot_name = ?";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, slotName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new SlotInfo(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getInt(4),
                            Lsn.parse(rs.getString(5)), Lsn.parse(rs.getString(6)), rs.getString(7), rs.getLong(8),
                            rs.getLong(9)));
                }
            }
        } catch (SQLException e) {
            throw failure("read slot " + slotName, e);
        }
    }

    /**
     * Creates the pipeline's slot with an exported snapshot. Fails with a clear message if the slot already exists
     * (use {@link #slot()} first: an existing slot is resumed, not recreated).
     */
    public ExportedSnapshot createSlotWithSnapshot() {
        return create(names.slot(), false);
    }

    /**
     * Creates a temporary slot (dropped with its connection) only to get an exported snapshot, for backfilling a table
     * while the pipeline's own slot keeps its position.
     */
    public ExportedSnapshot createBackfillSnapshot() {
        String tmp = names.slot().length() > 55 ? names.slot().substring(0, 55) : names.slot();
        return create(tmp + "_bf" + Long.toString(System.nanoTime() % 46656, 36), true);
    }

    private ExportedSnapshot create(String slotName, boolean temporary) {
        int version = serverVersion();
        Connection repl = connector.connectReplication("slot");
        boolean ok = false;
        try {
            // Slot creation waits for transactions in flight; the exported snapshot lives while repl stays idle.
            String sql = version >= 150000
                    ? "CREATE_REPLICATION_SLOT " + slotName + (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput (SNAPSHOT 'export')"
                    : "CREATE_REPLICATION_SLOT " + slotName + (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput EXPORT_SNAPSHOT";
            try (Statement st = repl.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                ExportedSnapshot s = new ExportedSnapshot(repl, rs.getString("slot_name"), rs.getString("snapshot_name"),
                        Lsn.parse(rs.getString("consistent_point")));
                ok = true;
                return s;
            }
        } catch (SQLException e) {
            if ("42710".equals(e.getSQLState())) {
                throw new UserFacingException("replication slot " + slotName + " already exists: the pipeline resumes"
                        + " from it; to start over, remove the pipeline (which drops the slot) first", e);
            }
            if ("53400".equals(e.getSQLState())) {
                throw new UserFacingException("no free replication slot on the source: raise max_replication_slots"
                        + " (ALTER SYSTEM SET max_replication_slots = 10; then restart PostgreSQL) or drop unused slots", e);
            }
            throw failure("create replication slot " + slotName, e);
        } finally {
            if (!ok) {
                closeQuietly(repl);
            }
        }
    }

    /**
     * Drops the slot (ending the walsender that holds it) and the publication. Returns what was dropped, for the
     * user: "dropped slot x and publication y".
     */
    public String dropAll() {
        List<String> dropped = new ArrayList<>();
        try (Connection c = connector.connect("slots")) {
            Optional<SlotInfo> slot = slot();
            if (slot.isPresent()) {
                for (int attempt = 0; attempt < 20; attempt++) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                        ps.setString(1, names.slot());
                        ps.execute();
                        dropped.add("slot " + names.slot());
                        break;
                    } catch (SQLException e) {
                        if (!"55006".equals(e.getSQLState())) { // object_in_use: a walsender still holds it
                            throw e;
                        }
                        try (PreparedStatement t = c.prepareStatement("SELECT pg_terminate_backend(active_pid)"
                                + " FROM pg_replication_slots WHERE slot_name = ? AND active_pid IS NOT NULL")) {
                            t.setString(1, names.slot());
                            t.execute();
                        }
                        sleep(250);
                    }
                }
            }
            if (publicationExists(c)) {
                try (Statement st = c.createStatement()) {
                    st.execute("DROP PUBLICATION IF EXISTS " + Sql.ident(names.publication()));
                }
                dropped.add("publication " + names.publication());
            }
        } catch (SQLException e) {
            throw failure("drop slot " + names.slot() + " and publication " + names.publication(), e);
        }
        return dropped.isEmpty() ? "nothing to drop: slot " + names.slot() + " and publication " + names.publication()
                + " do not exist" : "dropped " + String.join(" and ", dropped);
    }

    private boolean publicationExists(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, names.publication());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private Set<TableId> publishedTables(Connection c) throws SQLException {
        Set<TableId> out = new LinkedHashSet<>();
        // pg_publication_rel lists what was added (partition roots stay roots), unlike pg_publication_tables.
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, cl.relname FROM pg_publication p"
                + " JOIN pg_publication_rel r ON r.prpubid = p.oid JOIN pg_class cl ON cl.oid = r.prrelid"
                + " JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE p.pubname = ?")) {
            ps.setString(1, names.publication());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /** Read once per manager: each connection the set-up saves is a round of TCP, start-up and authentication. */
    private int version(Connection c) throws SQLException {
        int known = version;
        if (known != 0) {
            return known;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            version = rs.getInt(1);
            return version;
        }
    }

    private UserFacingException tableFailure(String what, SQLException e) {
        String state = e.getSQLState();
        if ("42P01".equals(state)) {
            return new UserFacingException("cannot " + what + ": " + e.getMessage() + " — check the table names (quote"
                    + " mixed-case names: \"Schema\".\"Table\")", e);
        }
        if ("42501".equals(state)) {
            return new UserFacingException("cannot " + what + ": " + e.getMessage() + " — the user needs CREATE on the"
                    + " database and must own the tables; run `etl-stream doctor` for the exact GRANT statements", e);
        }
        return failure(what, e);
    }

    private static UserFacingException failure(String what, SQLException e) {
        return new UserFacingException("cannot " + what + ": " + e.getMessage()
                + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")")
                + "; run `etl-stream doctor` to check the source", e);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing after a failure; the original error is what matters
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
