package io.etlstream.source.pg;

import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real row identity of REPLICA IDENTITY FULL tables on the stream. Under FULL pgoutput flags every column as key,
 * which stops identifying a row as soon as a value changes; this rewrites such a Relation message so that only the
 * table's primary key columns are flagged (none when it has no primary key), read from the catalog on a regular
 * connection. {@code replicaIdentity() == 'f'} stays: it still says the old tuple carries every column.
 *
 * <p>The catalog is read again for every FULL Relation message, since PostgreSQL sends one whenever the table's
 * definition may have changed (an added or dropped primary key among them) and once per session; the last answer per
 * relation id is kept for when the catalog cannot be read. It is the catalog as of now, not as of the message's
 * position in the WAL: a primary key changed after changes still waiting in the slot applies to those changes too.
 * Owned by the replication reader thread, which holds its connection (opened at the first FULL table) while it
 * streams; {@link #close()} closes it.
 */
final class RowIdentity implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RowIdentity.class);

    /** The primary key columns of a relation (by oid), in index order. */
    static final String PRIMARY_KEY_SQL = "SELECT a.attname FROM pg_index i"
            + " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)"
            + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
            + " WHERE i.indrelid = ?::oid AND i.indisprimary ORDER BY k.pos";

    private final PgConnector connector;
    private final Map<Integer, List<String>> primaryKeys = new HashMap<>();
    private Connection connection;

    RowIdentity(PgConnector connector) {
        this.connector = connector;
    }

    /**
     * {@code r} with its key flags on the real row identity: for REPLICA IDENTITY FULL the primary key columns;
     * any other relation as it came (pgoutput flags exactly its identity columns then). When the catalog cannot be
     * read, the key last read for the relation is used; without one the failure goes to the caller (the reader
     * reconnects).
     */
    Relation resolve(Relation r) throws SQLException {
        if (r.replicaIdentity() != 'f') {
            primaryKeys.remove(r.relationId());
            return r;
        }
        List<String> pk;
        try {
            pk = primaryKey(Integer.toUnsignedLong(r.relationId()));
        } catch (SQLException | RuntimeException e) {
            pk = primaryKeys.get(r.relationId());
            if (pk == null) {
                throw e;
            }
            LOG.warn("{}.{}: cannot read its primary key ({}); keeping the one read before: {}", r.namespace(),
                    r.name(), e.getMessage(), pk);
        }
        primaryKeys.put(r.relationId(), pk);
        return withKey(r, pk);
    }

    /** {@code r} with exactly the columns of {@code key} flagged, or none if one of them is not in {@code r}. */
    static Relation withKey(Relation r, List<String> key) {
        Set<String> wanted = new LinkedHashSet<>(key);
        Set<String> present = new LinkedHashSet<>();
        for (RelationColumn c : r.columns()) {
            if (wanted.contains(c.name())) {
                present.add(c.name());
            }
        }
        if (!present.equals(wanted)) {
            // The catalog is ahead of the message (a key column renamed or dropped since): half a key would merge
            // different rows into one, so the table is treated as having none until the next Relation message.
            LOG.warn("{}.{}: primary key {} does not match the replicated columns; treating the table as keyless",
                    r.namespace(), r.name(), key);
            wanted.clear();
        }
        List<RelationColumn> cols = new ArrayList<>(r.columns().size());
        for (RelationColumn c : r.columns()) {
            cols.add(new RelationColumn(wanted.contains(c.name()), c.name(), c.typeOid(), c.typeModifier()));
        }
        return new Relation(r.streamXid(), r.relationId(), r.namespace(), r.name(), r.replicaIdentity(), cols);
    }

    private List<String> primaryKey(long oid) throws SQLException {
        try {
            return query(oid);
        } catch (SQLException | RuntimeException e) {
            // A connection idle since the last Relation message may have been dropped: one fresh attempt.
            closeConnection();
            return query(oid);
        }
    }

    private List<String> query(long oid) throws SQLException {
        if (connection == null) {
            // On the reader thread: a dead path must fail the query, not hang the reader.
            connection = connector.connect("catalog", SlotManager.QUERY_TIMEOUT_SECONDS);
        }
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(PRIMARY_KEY_SQL)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // dropping a broken catalog connection
            }
        }
    }

    @Override
    public void close() {
        closeConnection();
    }
}
