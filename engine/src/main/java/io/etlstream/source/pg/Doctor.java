package io.etlstream.source.pg;

import io.etlstream.batch.TableId;
import io.etlstream.sink.snowflake.TypeMapping;
import io.etlstream.source.pg.types.ColumnMapping;
import io.etlstream.source.pg.ConnectionErrors.ConnectionFailedException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks that a PostgreSQL source can feed a pipeline and says how to fix what cannot: server version, wal_level,
 * slot and walsender headroom, privileges, per-table replica identity and types, WAL retention and existing slots.
 * Read-only: it never changes the source. The CLI's {@code doctor} and the wizard call {@link #run(List)}.
 */
public final class Doctor {

    private static final long GIB = 1024L * 1024 * 1024;

    private final PgConnector connector;

    public Doctor(PgConnector connector) {
        this.connector = connector;
    }

    /** Runs every check; a connection failure is reported as the single error (with its own fix), not thrown. */
    public DoctorReport run(List<TableId> tables) {
        List<DoctorCheck> out = new ArrayList<>();
        String source = connector.config().displayUrl();
        try (Connection c = connector.connect("doctor")) {
            out.add(DoctorCheck.ok("connection", "connected as " + connector.config().user()));
            int version = intQuery(c, "SELECT current_setting('server_version_num')::int");
            out.add(version(version, stringQuery(c, "SELECT current_setting('server_version')")));
            if (version < 100000) {
                return new DoctorReport(source, out);
            }
            Map<String, String> settings = settings(c);
            out.add(walLevel(settings.get("wal_level")));
            out.addAll(headroom(c, settings));
            boolean mayReplicate = replicationPrivilege(c, out);
            if (mayReplicate) {
                out.add(replicationConnection());
            }
            out.add(createOnDatabase(c));
            for (TableId t : tables) {
                out.addAll(table(c, t, version));
            }
            if (version >= 130000) {
                out.add(walKeepSize(settings.get("max_slot_wal_keep_size")));
            }
            out.addAll(slots(c, version));
        } catch (ConnectionFailedException e) {
            out.add(DoctorCheck.error("connection", e.getMessage(), null));
        } catch (SQLException e) {
            out.add(DoctorCheck.error("query", "a check query failed: " + e.getMessage(),
                    "grant the user read access to the catalog (pg_catalog) or run doctor as a more privileged user"));
        }
        return new DoctorReport(source, out);
    }

    private static DoctorCheck version(int num, String text) {
        if (num >= 140000) {
            return DoctorCheck.ok("server version", "PostgreSQL " + text + " (full support)");
        }
        if (num >= 100000) {
            List<String> limits = new ArrayList<>();
            limits.add("large transactions are decoded only at commit and spill to disk on the server (streaming needs 14)");
            limits.add("no logical messages: idle-source heartbeats rely on automatic flush only (needs 14)");
            limits.add("snapshot ctid ranges scan sequentially (Tid Range Scan needs 14)");
            if (num < 130000) {
                limits.add("partitioned tables are published per partition (publish_via_partition_root needs 13)");
                limits.add("slot WAL status and max_slot_wal_keep_size are not available (need 13)");
            }
            if (num < 110000) {
                limits.add("TRUNCATE is not replicated (needs 11)");
            }
            return DoctorCheck.warning("server version", "PostgreSQL " + text + " works with limits: "
                    + String.join("; ", limits), "upgrade to PostgreSQL 14 or newer for full support");
        }
        return DoctorCheck.error("server version", "PostgreSQL " + text + " has no logical replication with pgoutput",
                "upgrade to PostgreSQL 14 or newer (10 is the minimum)");
    }

    private static DoctorCheck walLevel(String level) {
        if ("logical".equals(level)) {
            return DoctorCheck.ok("wal_level", "logical");
        }
        return DoctorCheck.error("wal_level", "wal_level is '" + level + "'; logical decoding needs 'logical'",
                "ALTER SYSTEM SET wal_level = logical;  -- or in postgresql.conf: wal_level = logical\nthen restart"
                        + " PostgreSQL (on Amazon RDS: set rds.logical_replication = 1 in the parameter group)");
    }

    private static List<DoctorCheck> headroom(Connection c, Map<String, String> settings) throws SQLException {
        List<DoctorCheck> out = new ArrayList<>();
        int maxSlots = Integer.parseInt(settings.get("max_replication_slots"));
        int usedSlots = intQuery(c, "SELECT count(*)::int FROM pg_replication_slots");
        out.add(headroomCheck("max_replication_slots", maxSlots, usedSlots, "slots in use"));
        int maxSenders = Integer.parseInt(settings.get("max_wal_senders"));
        int usedSenders = intQuery(c, "SELECT count(*)::int FROM pg_stat_replication");
        out.add(headroomCheck("max_wal_senders", maxSenders, usedSenders, "walsenders running"));
        return out;
    }

    private static DoctorCheck headroomCheck(String setting, int max, int used, String what) {
        int free = max - used;
        String detail = max + " (" + used + " " + what + ", " + free + " free)";
        // A pipeline needs one for streaming and a second one while a table is backfilled.
        String fix = "ALTER SYSTEM SET " + setting + " = " + Math.max(10, used + 4) + ";  -- postgresql.conf: " + setting
                + " = " + Math.max(10, used + 4) + "\nthen restart PostgreSQL";
        if (free < 1) {
            return DoctorCheck.error(setting, detail + ": no room for the pipeline", fix);
        }
        if (free < 2) {
            return DoctorCheck.warning(setting, detail + ": a table backfill needs a second one", fix);
        }
        return DoctorCheck.ok(setting, detail);
    }

    private boolean replicationPrivilege(Connection c, List<DoctorCheck> out) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT r.rolsuper, r.rolreplication,"
                + " CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication')"
                + " THEN pg_has_role(current_user, 'rds_replication', 'member') ELSE false END"
                + " FROM pg_roles r WHERE r.rolname = current_user")) {
            rs.next();
            boolean superuser = rs.getBoolean(1);
            boolean replication = rs.getBoolean(2);
            boolean rds = rs.getBoolean(3);
            String user = connector.config().user();
            if (superuser || replication || rds) {
                out.add(DoctorCheck.ok("replication privilege", superuser ? "superuser" : replication ? "REPLICATION"
                        : "member of rds_replication"));
                return true;
            }
            out.add(DoctorCheck.error("replication privilege", "user '" + user + "' has neither REPLICATION nor"
                    + " rds_replication", "ALTER ROLE " + Sql.ident(user) + " WITH REPLICATION;\n-- on Amazon RDS: GRANT"
                    + " rds_replication TO " + Sql.ident(user) + ";"));
            return false;
        }
    }

    private DoctorCheck replicationConnection() {
        try (Connection r = connector.connectReplication("doctor"); Statement st = r.createStatement();
                ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            rs.next();
            return DoctorCheck.ok("replication connection", "accepted (timeline " + rs.getString(2) + ")");
        } catch (ConnectionFailedException e) {
            return DoctorCheck.error("replication connection", e.getMessage(), null);
        } catch (SQLException e) {
            return DoctorCheck.error("replication connection", "IDENTIFY_SYSTEM failed: " + e.getMessage(),
                    "check max_wal_senders and the replication lines of pg_hba.conf");
        }
    }

    private DoctorCheck createOnDatabase(Connection c) throws SQLException {
        boolean create = boolQuery(c, "SELECT has_database_privilege(current_database(), 'CREATE')");
        String db = connector.config().database();
        if (create) {
            return DoctorCheck.ok("CREATE on database", "user may create publications in " + db);
        }
        return DoctorCheck.error("CREATE on database", "user '" + connector.config().user() + "' lacks CREATE on database '"
                + db + "' and so cannot create the pipeline's publication",
                "GRANT CREATE ON DATABASE " + Sql.ident(db) + " TO " + Sql.ident(connector.config().user()) + ";");
    }

    private List<DoctorCheck> table(Connection c, TableId t, int version) throws SQLException {
        List<DoctorCheck> out = new ArrayList<>();
        String name = "table " + TableNames.sql(t);
        String sql = "SELECT c.oid, c.relkind, c.relreplident, c.reltuples::bigint, pg_total_relation_size(c.oid),"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident),"
                + " has_table_privilege(c.oid, 'SELECT'), pg_has_role(c.relowner, 'USAGE')"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ?";
        long oid;
        boolean partitioned;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    out.add(DoctorCheck.error(name, "does not exist (names are case-sensitive when quoted)",
                            "check the name; list tables with SELECT schemaname, tablename FROM pg_tables;"));
                    return out;
                }
                oid = rs.getLong(1);
                String kind = rs.getString(2);
                char ident = rs.getString(3).charAt(0);
                long tuples = rs.getLong(4);
                long bytes = rs.getLong(5);
                boolean pk = rs.getBoolean(6);
                boolean identIndex = rs.getBoolean(7);
                boolean select = rs.getBoolean(8);
                boolean owner = rs.getBoolean(9);
                if (!"r".equals(kind) && !"p".equals(kind)) {
                    out.add(DoctorCheck.error(name, "is not a table (relkind " + kind + "); views and foreign tables"
                            + " cannot be replicated", "replicate the underlying table instead"));
                    return out;
                }
                partitioned = "p".equals(kind);
                out.add(replicaIdentity(name, t, ident, pk, identIndex));
                if (!select) {
                    out.add(DoctorCheck.error(name + " privilege", "user may not SELECT it (needed to copy it)",
                            "GRANT SELECT ON " + TableNames.sql(t) + " TO " + Sql.ident(connector.config().user()) + ";"));
                }
                if (!owner) {
                    out.add(DoctorCheck.warning(name + " owner", "user does not own it; adding it to a publication"
                            + " needs ownership", "let the owner run: ALTER PUBLICATION <name> ADD TABLE "
                            + TableNames.sql(t) + ";  -- or ALTER TABLE " + TableNames.sql(t) + " OWNER TO "
                            + Sql.ident(connector.config().user()) + ";"));
                }
                String rows = tuples < 0 ? "unknown rows (never analyzed)" : "~" + tuples + " rows";
                out.add(DoctorCheck.ok(name + " size", rows + ", " + human(bytes)
                        + ("p".equals(kind) ? ", partitioned (published through the partition root)" : "")));
                if ("p".equals(kind) && version < 130000) {
                    out.add(DoctorCheck.warning(name + " partitions", "partitioned tables need PostgreSQL 13 to be"
                            + " published through their root", "select the partitions instead, or upgrade"));
                }
            }
        }
        if (partitioned && version >= 130000) {
            out.add(partitionTruncate(c, t, name, oid));
        }
        out.addAll(columns(c, t, name, oid));
        return out;
    }

    /**
     * Published through its root, a partitioned table's changes arrive under the root's name, but PostgreSQL does not
     * send a TRUNCATE of one partition (only a TRUNCATE of the root or of the whole tree): the destination keeps rows
     * the source no longer has.
     */
    private static DoctorCheck partitionTruncate(Connection c, TableId t, String name, long oid) throws SQLException {
        String example = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT relid::regclass::text FROM pg_partition_tree(?::oid)"
                + " WHERE level > 0 ORDER BY isleaf DESC, relid::regclass::text LIMIT 1")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    example = rs.getString(1);
                }
            }
        }
        String table = TableNames.sql(t);
        return DoctorCheck.warning(name + " partition truncate", "TRUNCATE of a single partition"
                + (example == null ? "" : " (e.g. TRUNCATE " + example + ")") + " is not replicated: PostgreSQL"
                + " publishes this table through its root and sends no TRUNCATE for one partition, so its rows stay"
                + " in Snowflake",
                "truncate the parent instead (TRUNCATE " + table + "; reaches Snowflake), or after truncating a"
                + " partition copy the table again: etl-stream pipeline resync <pipeline> --table '"
                + table.replace("'", "'\\''") + "'");
    }

    private static DoctorCheck replicaIdentity(String name, TableId t, char ident, boolean pk, boolean identIndex) {
        String table = TableNames.sql(t);
        return switch (ident) {
            case 'n' -> DoctorCheck.error(name + " replica identity", "REPLICA IDENTITY NOTHING: PostgreSQL itself"
                    + " refuses UPDATE and DELETE on a published table without an identity",
                    "ALTER TABLE " + table + " ADD PRIMARY KEY (<columns>);  -- or: ALTER TABLE " + table
                            + " REPLICA IDENTITY FULL;");
            case 'd' -> pk ? DoctorCheck.ok(name + " replica identity", "primary key")
                    : DoctorCheck.error(name + " replica identity", "no primary key and REPLICA IDENTITY DEFAULT:"
                            + " PostgreSQL refuses UPDATE and DELETE on it once it is published",
                            "ALTER TABLE " + table + " ADD PRIMARY KEY (<columns>);  -- or: ALTER TABLE " + table
                                    + " REPLICA IDENTITY USING INDEX <unique index>;  -- or: ALTER TABLE " + table
                                    + " REPLICA IDENTITY FULL;");
            case 'i' -> identIndex ? DoctorCheck.ok(name + " replica identity", "unique index")
                    : DoctorCheck.error(name + " replica identity", "REPLICA IDENTITY USING INDEX points to no index",
                            "ALTER TABLE " + table + " REPLICA IDENTITY DEFAULT;");
            case 'f' -> DoctorCheck.warning(name + " replica identity", "REPLICA IDENTITY FULL: every UPDATE and DELETE"
                    + " writes the whole old row to WAL (more WAL, slower decoding)" + (pk ? "; the mirror table is"
                    + " kept by the primary key" : "; without a primary key only the history table is kept, no"
                    + " mirror"),
                    pk ? "ALTER TABLE " + table + " REPLICA IDENTITY DEFAULT;  -- the primary key is enough, unless"
                            + " another subscriber needs the old rows"
                            : "ALTER TABLE " + table + " ADD PRIMARY KEY (<columns>);  -- then it gets a mirror;"
                                    + " REPLICA IDENTITY DEFAULT also saves the WAL, unless another subscriber needs the"
                                    + " old rows");
            default -> DoctorCheck.warning(name + " replica identity", "unknown replica identity '" + ident + "'", null);
        };
    }

    /**
     * Per column, what the pipeline will really do with it: the type the stream and the snapshot use (arrays of
     * enums and domains resolved as they are), whether it arrives typed or as text, and the Snowflake sink's own
     * mapping and finding ({@link TypeMapping#mapWithFinding}), so the doctor never promises what the sink does not do.
     */
    private static List<DoctorCheck> columns(Connection c, TableId t, String name, long oid) throws SQLException {
        List<DoctorCheck> out = new ArrayList<>();
        String sql = "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid, a.atttypmod, t.typtype"
                + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
        List<String[]> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5)});
                }
            }
        }
        UserArrayTypes arrays = new UserArrayTypes();
        List<String> asText = new ArrayList<>();
        for (String[] r : rows) {
            String col = Sql.ident(r[0]);
            String type = r[1];
            UserArrayTypes.Mapping m = arrays.mapping(c, (int) Long.parseLong(r[2]));
            int typmod = m.typmodFor(Integer.parseInt(r[3]));
            int mapped = m.oid();
            TypeMapping.Mapped dest = TypeMapping.mapWithFinding(mapped, typmod);
            if (dest.finding().isPresent()) {
                String fix = dest.betterSourceType().map(better -> "ALTER TABLE " + TableNames.sql(t) + " ALTER COLUMN "
                        + col + " TYPE " + better + ";  -- only if every value fits " + better
                        + "; then resync the table").orElse(null);
                out.add(DoctorCheck.warning(name + " column " + col, col + " " + type + " → Snowflake "
                        + dest.type().ddl() + ": " + dest.finding().get(), fix));
            } else if (!ColumnMapping.isLosslessMapping(mapped, r[4].charAt(0))) {
                asText.add(col + " " + type);
            }
        }
        if (!asText.isEmpty()) {
            out.add(DoctorCheck.warning(name + " types", String.join(", ", asText) + ": no typed mapping; these arrive"
                    + " as PostgreSQL's exact text and become VARCHAR columns in Snowflake", "nothing to do if text is"
                    + " fine; otherwise change the column to a mapped type (numbers, text, dates and times, json,"
                    + " uuid, inet, enums, and arrays of these)"));
        }
        if (out.isEmpty()) {
            out.add(DoctorCheck.ok(name + " types", "every column has an exact typed mapping"));
        }
        return out;
    }

    private static DoctorCheck walKeepSize(String value) {
        if (value == null || "-1".equals(value.trim())) {
            return DoctorCheck.warning("max_slot_wal_keep_size", "unlimited: a stopped pipeline keeps WAL until the"
                    + " disk is full", "ALTER SYSTEM SET max_slot_wal_keep_size = '50GB'; SELECT pg_reload_conf();"
                    + "  -- a slot past the limit is invalidated and needs a resync");
        }
        return DoctorCheck.ok("max_slot_wal_keep_size", value + "MB: a slot further behind is invalidated and needs a resync");
    }

    private static List<DoctorCheck> slots(Connection c, int version) throws SQLException {
        List<DoctorCheck> out = new ArrayList<>();
        String current = "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END";
        String sql = "SELECT slot_name, coalesce(plugin, ''), slot_type, coalesce(database, ''), active,"
                + " pg_wal_lsn_diff(" + current + ", confirmed_flush_lsn)::bigint,"
                + " pg_wal_lsn_diff(" + current + ", restart_lsn)::bigint, "
                + (version >= 130000 ? "coalesce(wal_status, '')" : "''") + " FROM pg_replication_slots ORDER BY slot_name";
        Map<String, DoctorCheck> sorted = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                String slot = rs.getString(1);
                boolean ours = slot.startsWith(ReplicationNames.PREFIX);
                boolean active = rs.getBoolean(5);
                long behind = rs.getLong(6);
                long retained = rs.getLong(7);
                String walStatus = rs.getString(8);
                String detail = rs.getString(3) + (rs.getString(2).isEmpty() ? "" : " " + rs.getString(2))
                        + (rs.getString(4).isEmpty() ? "" : " on " + rs.getString(4)) + ", " + (active ? "active" : "inactive")
                        + ", " + human(Math.max(0, behind)) + " behind, " + human(Math.max(0, retained)) + " WAL retained"
                        + (walStatus.isEmpty() ? "" : ", wal_status " + walStatus);
                String name = "slot " + slot;
                if ("lost".equals(walStatus)) {
                    String fix = ours ? "resync the pipeline (it drops the slot, creates a new one and copies the tables again)"
                            : "SELECT pg_drop_replication_slot(" + Sql.literal(slot) + ");";
                    sorted.put(slot, (ours ? DoctorCheck.error(name, detail + ": invalidated, it can never stream again", fix)
                            : DoctorCheck.warning(name, detail + ": invalidated", fix)));
                } else if (!active && retained > GIB) {
                    sorted.put(slot, DoctorCheck.warning(name, detail + ": an unused slot keeps WAL on disk",
                            "SELECT pg_drop_replication_slot(" + Sql.literal(slot) + ");  -- if nothing uses it any more"));
                } else {
                    sorted.put(slot, DoctorCheck.ok(name, detail));
                }
            }
        }
        if (sorted.isEmpty()) {
            out.add(DoctorCheck.ok("replication slots", "none yet"));
        }
        out.addAll(sorted.values());
        return out;
    }

    private static Map<String, String> settings(Connection c) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT name, setting FROM pg_settings"
                + " WHERE name IN ('wal_level', 'max_replication_slots', 'max_wal_senders', 'max_slot_wal_keep_size')")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static int intQuery(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String stringQuery(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean boolQuery(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
