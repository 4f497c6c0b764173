package io.etlstream.batch;

import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.TypeMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The committed shape of every table seen on the stream, fed by Relation messages. Owned by the thread that runs
 * the {@link TransactionAssembler}.
 */
public final class SchemaRegistry {

    private final Map<Integer, TableSchema> byRelationId = new HashMap<>();
    private final Map<Integer, TypeMessage> types = new HashMap<>();

    /** The current schema of a relation, or null if no Relation message for it was seen. */
    public TableSchema get(int relationId) {
        return byRelationId.get(relationId);
    }

    /** The name a Type message gave a non-built-in type OID, or null. */
    public TypeMessage type(int typeOid) {
        return types.get(typeOid);
    }

    public void recordType(TypeMessage t) {
        types.put(t.typeOid(), t);
    }

    /** Registers a table shape (for example from the snapshot's catalog read) without producing an event. */
    public void register(TableSchema schema) {
        byRelationId.put(schema.relationId(), schema);
    }

    /**
     * The schema {@code r} describes relative to {@code current} (null if unknown): {@code current} itself when
     * nothing changed, else a new schema with the next version.
     */
    public static TableSchema describe(Relation r, TableSchema current) {
        TableId id = new TableId(r.namespace(), r.name());
        if (current != null && current.table().equals(id) && current.replicaIdentity() == r.replicaIdentity()
                && current.columns().equals(r.columns())) {
            return current;
        }
        return new TableSchema(id, r.relationId(), r.replicaIdentity(), r.columns(),
                current == null ? 1 : current.version() + 1);
    }

    /**
     * Applies a Relation message: returns the {@link SchemaChange} to deliver before the table's next row, or null
     * if the table's shape is unchanged.
     */
    public SchemaChange apply(Relation r) {
        TableSchema before = byRelationId.get(r.relationId());
        TableSchema after = describe(r, before);
        return apply(after);
    }

    /** Makes {@code after} current; returns the change against the previous schema, or null if it is the same. */
    public SchemaChange apply(TableSchema after) {
        TableSchema before = byRelationId.get(after.relationId());
        if (before == after || (before != null && before.equals(after))) {
            return null;
        }
        byRelationId.put(after.relationId(), after);
        return diff(before, after);
    }

    /** The differences between two shapes of one table; {@code before} may be null (first sight). */
    public static SchemaChange diff(TableSchema before, TableSchema after) {
        List<String> added = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        List<String> retyped = new ArrayList<>();
        boolean identity = before != null && before.replicaIdentity() != after.replicaIdentity();
        if (before != null) {
            for (RelationColumn c : after.columns()) {
                int i = before.indexOf(c.name());
                if (i < 0) {
                    added.add(c.name());
                    continue;
                }
                RelationColumn old = before.columns().get(i);
                if (old.typeOid() != c.typeOid() || old.typeModifier() != c.typeModifier()) {
                    retyped.add(c.name());
                }
                if (old.key() != c.key()) {
                    identity = true;
                }
            }
            for (RelationColumn c : before.columns()) {
                if (after.indexOf(c.name()) < 0) {
                    dropped.add(c.name());
                }
            }
        } else {
            after.columns().forEach(c -> added.add(c.name()));
        }
        return new SchemaChange(after.table(), before, after, added, dropped, retyped, identity);
    }
}
