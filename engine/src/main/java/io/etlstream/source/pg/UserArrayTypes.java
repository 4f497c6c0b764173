package io.etlstream.source.pg;

import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.types.PgType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves user-defined types to the built-in type whose mapping they share, from {@code pg_type} once per type OID
 * (cached): a domain over a built-in type (also a domain over a domain) as that type, with the domain's type modifier
 * (a domain over numeric(10,2) maps as numeric(10,2)); an enum[] (and an array of a domain over an enum) as text[], an
 * array of a domain over a built-in type as that type's array. Arrays of composite, range or other user types, and
 * every other user type, keep their own OID (carried as text, flagged by the doctor).
 *
 * <p>User types have per-database OIDs, which neither the decoder (pure) nor the type tables can know. The stream
 * and the snapshot both rewrite their column OIDs through one instance, so a table's schema looks the same on both
 * paths and the sink maps the column to its exact type. A domain's text and binary forms are its base type's.
 */
public final class UserArrayTypes {

    /** PostgreSQL's FirstNormalObjectId: OIDs below it are built in. */
    public static final int FIRST_USER_OID = 16384;

    private static final String LOOKUP = "SELECT typtype, typcategory, typelem, typbasetype, typtypmod FROM pg_type"
            + " WHERE oid = ?::oid";

    /** What a type maps as: a built-in OID and, for a domain, its type modifier (-1: the column's own). */
    public record Mapping(int oid, int typmod) {
        /** The type modifier a column with {@code columnTypmod} maps with. */
        public int typmodFor(int columnTypmod) {
            return typmod != -1 ? typmod : columnTypmod;
        }
    }

    private final Map<Integer, Mapping> resolved = new ConcurrentHashMap<>();

    /** Whether {@code typeOid} may need a catalog look-up (a user type not resolved yet). */
    public boolean needsLookup(int typeOid) {
        return !builtIn(typeOid) && !resolved.containsKey(typeOid);
    }

    /** What a column of type {@code typeOid} is mapped as; {@code typeOid} itself when it resolves to nothing built in. */
    public Mapping mapping(Connection c, int typeOid) throws SQLException {
        if (builtIn(typeOid)) {
            return new Mapping(typeOid, -1);
        }
        Mapping known = resolved.get(typeOid);
        if (known != null) {
            return known;
        }
        Mapping r = lookUp(c, typeOid);
        resolved.put(typeOid, r);
        return r;
    }

    /** {@code columns} with resolved type OIDs (the same list when nothing changed). */
    public List<RelationColumn> resolve(Connection c, List<RelationColumn> columns) throws SQLException {
        List<RelationColumn> out = null;
        for (int i = 0; i < columns.size(); i++) {
            RelationColumn col = columns.get(i);
            Mapping m = mapping(c, col.typeOid());
            int typmod = m.typmodFor(col.typeModifier());
            if (m.oid() != col.typeOid() || typmod != col.typeModifier()) {
                if (out == null) {
                    out = new ArrayList<>(columns);
                }
                out.set(i, new RelationColumn(col.key(), col.name(), m.oid(), typmod));
            }
        }
        return out == null ? columns : out;
    }

    /**
     * A Relation message with resolved column types; any other message unchanged. Opens a short-lived connection
     * through {@code connector} only when the Relation has a user type not seen before.
     */
    public PgOutputMessage resolve(PgOutputMessage m, PgConnector connector) throws SQLException {
        if (!(m instanceof Relation r)) {
            return m;
        }
        boolean lookup = false;
        for (RelationColumn col : r.columns()) {
            lookup |= needsLookup(col.typeOid());
        }
        List<RelationColumn> cols;
        if (lookup) {
            // On the reader thread: a dead path must fail the lookup, not hang the reader.
            try (Connection c = connector.connect("types", SlotManager.QUERY_TIMEOUT_SECONDS)) {
                cols = resolve(c, r.columns());
            }
        } else {
            cols = resolve(null, r.columns());
        }
        return cols == r.columns() ? r
                : new Relation(r.streamXid(), r.relationId(), r.namespace(), r.name(), r.replicaIdentity(), cols);
    }

    private static boolean builtIn(int typeOid) {
        return typeOid >= 0 && typeOid < FIRST_USER_OID; // OIDs are unsigned: above 2^31 they arrive negative
    }

    private static Mapping lookUp(Connection c, int typeOid) throws SQLException {
        Mapping own = new Mapping(typeOid, -1);
        try (PreparedStatement ps = c.prepareStatement(LOOKUP)) {
            String[] t = row(ps, Integer.toUnsignedLong(typeOid));
            if (t == null) {
                return own;
            }
            if ("d".equals(t[0])) {
                return domain(ps, t, own);
            }
            if (!"A".equals(t[1]) || "0".equals(t[2])) {
                return own;
            }
            long element = Long.parseLong(t[2]);
            // Domains may stack (a domain over a domain); a handful of levels is plenty.
            for (int depth = 0; depth < 8; depth++) {
                if (element < FIRST_USER_OID) {
                    int array = PgType.arrayOf((int) element);
                    return array != 0 ? new Mapping(array, -1) : own;
                }
                String[] e = row(ps, element);
                if (e == null) {
                    return own;
                }
                switch (e[0]) {
                    case "e":
                        return new Mapping(PgType.TEXT_ARRAY, -1); // an enum's text is its value
                    case "d":
                        element = Long.parseLong(e[3]);
                        break;
                    default:
                        return own; // composite, range, base type of an extension: text
                }
            }
            return own;
        }
    }

    /** A scalar domain: its built-in base type (through stacked domains) with the nearest domain's type modifier. */
    private static Mapping domain(PreparedStatement ps, String[] d, Mapping own) throws SQLException {
        int typmod = -1;
        String[] at = d;
        for (int depth = 0; depth < 8 && at != null && "d".equals(at[0]); depth++) {
            if (typmod == -1) {
                typmod = Integer.parseInt(at[4]);
            }
            long base = Long.parseLong(at[3]);
            if (base < FIRST_USER_OID) {
                return new Mapping((int) base, typmod);
            }
            at = row(ps, base);
        }
        return own; // over an enum, composite, range, extension type or an array of a user type: text
    }

    private static String[] row(PreparedStatement ps, long oid) throws SQLException {
        ps.setLong(1, oid);
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            return new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)};
        }
    }
}
