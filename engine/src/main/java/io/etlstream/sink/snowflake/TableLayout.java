package io.etlstream.sink.snowflake;

import io.etlstream.batch.TableSchema;
import io.etlstream.source.pg.Sql;
import io.etlstream.source.pg.TableNames;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The columns of a destination table pair (history and mirror) and how a new source schema changes them. Immutable;
 * {@link #evolve} returns the next layout plus what has to happen in Snowflake first.
 */
public record TableLayout(List<DestColumn> columns) {

    public TableLayout {
        columns = List.copyOf(columns);
    }

    /** The layout for a table seen for the first time. */
    public static TableLayout initial(TableSchema schema) {
        List<DestColumn> cols = new ArrayList<>();
        for (RelationColumn c : schema.columns()) {
            cols.add(new DestColumn(cols.size() + 1, c.name(), SnowflakeName.fromPostgres(c.name()),
                    TypeMapping.map(c.typeOid(), c.typeModifier()), c.key(), false));
        }
        return new TableLayout(cols);
    }

    public Optional<DestColumn> column(String sourceName) {
        return columns.stream().filter(c -> c.sourceName().equals(sourceName)).findFirst();
    }

    public List<DestColumn> keys() {
        return columns.stream().filter(DestColumn::key).toList();
    }

    /** Prefix of the sink's own columns ({@code _ETL_OP}, ...) and of the MERGE's aliases: no source column may take it. */
    static final String RESERVED_PREFIX = "_ETL_";

    /** A source change the engine cannot apply in place: the table stops until it is resynced. */
    public record Incompatible(String column, String message) {
        static Incompatible typeChange(String column, SnowflakeType from, SnowflakeType to) {
            return new Incompatible(column, "column " + column + " changed from " + from.ddl() + " to " + to.ddl()
                    + ", which Snowflake cannot convert in place");
        }
    }

    /**
     * Source columns whose Snowflake name would start with {@code _ETL_}: the history table's own columns and the
     * MERGE's aliases use those names, so such a column would clash with them (or be taken for one of them).
     */
    public static List<Incompatible> reservedNames(TableSchema schema) {
        List<Incompatible> out = new ArrayList<>();
        for (RelationColumn c : schema.columns()) {
            if (isReserved(c.name())) {
                out.add(reserved(schema, c.name()));
            }
        }
        return out;
    }

    private static boolean isReserved(String sourceName) {
        return SnowflakeName.fromPostgres(sourceName).resolved().startsWith(RESERVED_PREFIX);
    }

    private static Incompatible reserved(TableSchema schema, String column) {
        return new Incompatible(column, "column " + column + " would be named "
                + SnowflakeName.fromPostgres(column).sql() + " in Snowflake, and names starting with " + RESERVED_PREFIX
                + " are reserved for etl-stream's own columns. Rename it at the source (ALTER TABLE "
                + TableNames.sql(schema.table()) + " RENAME COLUMN " + Sql.ident(column) + " TO "
                + Sql.ident(freeName(schema, column)) + ";)");
    }

    /**
     * The column's name without its leading underscores, with a suffix {@code _2}, {@code _3}... if the table already
     * has a column of that name in PostgreSQL or in Snowflake: the suggested rename must not collide.
     */
    private static String freeName(TableSchema schema, String column) {
        String base = column.replaceFirst("^_+", "");
        if (base.isEmpty()) {
            base = "col";
        }
        java.util.Set<String> taken = new java.util.HashSet<>();
        for (RelationColumn c : schema.columns()) {
            taken.add(c.name());
            taken.add(SnowflakeName.fromPostgres(c.name()).resolved());
        }
        String name = base;
        for (int k = 2; taken.contains(name) || taken.contains(SnowflakeName.fromPostgres(name).resolved())
                || isReserved(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    /**
     * The result of a source schema change: the next layout and the steps to take before the next row.
     * {@code keyChanged}: the layout had a key and the source's differs (moved, narrowed, widened, renamed or gone),
     * so what history holds so far, written under this layout, can still be merged on the old key, and only on it.
     */
    public record Evolution(TableLayout next, List<DestColumn> added, List<DestColumn> dropped,
            List<DestColumn> widened, List<Incompatible> incompatible, boolean keyChanged) {
        public boolean hasDdl() {
            return !added.isEmpty() || !widened.isEmpty();
        }
    }

    /** Compares this layout with the source's new schema. */
    public Evolution evolve(TableSchema after) {
        List<DestColumn> next = new ArrayList<>(columns);
        List<DestColumn> added = new ArrayList<>();
        List<DestColumn> dropped = new ArrayList<>();
        List<DestColumn> widened = new ArrayList<>();
        List<Incompatible> incompatible = new ArrayList<>();
        boolean keyed = columns.stream().anyMatch(c -> c.key() && !c.droppedAtSource());
        boolean keyedAfter = after.columns().stream().anyMatch(RelationColumn::key);
        for (RelationColumn c : after.columns()) {
            SnowflakeType t = TypeMapping.map(c.typeOid(), c.typeModifier());
            int i = indexOf(next, c.name());
            if (i < 0) {
                if (isReserved(c.name())) {
                    incompatible.add(reserved(after, c.name()));
                    continue;
                }
                if (keyed && c.key()) {
                    // Rows already in the mirror have no value in a new column: a MERGE on it matches none of them.
                    incompatible.add(new Incompatible(c.name(), "the key now includes column " + c.name()
                            + ", which is new (a renamed or replaced key column?): the rows already in Snowflake have"
                            + " no value in it, so changes could no longer be matched to them"));
                }
                DestColumn d = new DestColumn(next.size() + 1, c.name(), SnowflakeName.fromPostgres(c.name()), t,
                        c.key(), false, true);
                next.add(d);
                added.add(d);
            } else {
                DestColumn old = next.get(i);
                boolean wasKey = old.key() && !old.droppedAtSource();
                if (old.droppedAtSource()) {
                    // Dropped then added again under the same name: the old column comes back to life if compatible.
                    // Its old rows keep the dropped column's values, newer rows got none: as good as a new column.
                    old = new DestColumn(old.ordinal(), old.sourceName(), old.name(), old.type(), c.key(), false,
                            true);
                    next.set(i, old);
                }
                if (old.key() != c.key()) {
                    old = new DestColumn(old.ordinal(), old.sourceName(), old.name(), old.type(), c.key(), false,
                            old.addedAfterCopy());
                    next.set(i, old);
                }
                if (keyed && c.key() && !wasKey && old.addedAfterCopy()) {
                    // The mirror's rows from before the column came hold NULL (or a dropped column's value) in it:
                    // a MERGE on it matches none of them.
                    incompatible.add(new Incompatible(c.name(), "the key now includes column " + c.name()
                            + ", which was added after the table was copied: the rows Snowflake got before it have no"
                            + " value in it, so changes could no longer be matched to them"));
                } else if (keyed && c.key() && !wasKey) {
                    // The mirror's rows are filled in it, but the history not merged yet is not: the next MERGE
                    // groups and matches it on the new key, and a DELETE written before the move (REPLICA IDENTITY
                    // DEFAULT sends the old key only) carries NULL in it, matches no row and the row stays for good.
                    // The sink merges that history on the old key before the table stops (keyChanged).
                    incompatible.add(new Incompatible(c.name(), "the key now includes column " + c.name()
                            + ", which was not part of it before: changes written before the key moved carry only"
                            + " the old key (a DELETE has no value in " + c.name() + "), so they could no longer be"
                            + " matched to the rows in Snowflake"));
                }
                if (keyed && keyedAfter && !c.key() && wasKey) {
                    // Rows that differed only in this column are one key now: a change merged on the narrower key
                    // matches all of them, e.g. the row deleted before the change, not merged yet, is updated too.
                    // (No key at all is the keyless case below: FULL stops, DEFAULT turns keyless.)
                    incompatible.add(new Incompatible(c.name(), "the key no longer includes column " + c.name()
                            + ": rows in Snowflake that differ only in it (a row deleted before the change, not yet"
                            + " merged) would all be matched by the changes written since, so the mirror could no"
                            + " longer be kept exact"));
                }
                if (!old.type().equals(t)) {
                    if (t.widens(old.type())) {
                        DestColumn w = old.withType(t);
                        next.set(i, w);
                        widened.add(w);
                    } else if (!old.type().widens(t)) {
                        // A narrowing the destination already holds (e.g. varchar(20) -> varchar(10)) needs nothing.
                        incompatible.add(Incompatible.typeChange(c.name(), old.type(), t));
                    }
                }
            }
        }
        for (int i = 0; i < next.size(); i++) {
            DestColumn d = next.get(i);
            if (!d.droppedAtSource() && after.indexOf(d.sourceName()) < 0) {
                DestColumn x = d.dropped();
                next.set(i, x);
                dropped.add(x);
                if (d.key()) {
                    // Every later change would carry NULL in it and match no row of the mirror.
                    incompatible.add(new Incompatible(d.sourceName(), "key column " + d.sourceName() + " was dropped"
                            + " or renamed at the source: changes could no longer be matched to the rows already in"
                            + " Snowflake"));
                }
            }
        }
        List<String> oldKey = columns.stream().filter(c -> c.key() && !c.droppedAtSource())
                .map(DestColumn::sourceName).toList();
        List<String> newKey = after.columns().stream().filter(RelationColumn::key).map(RelationColumn::name).toList();
        if (keyed && !keyedAfter && after.replicaIdentity() != 'f'
                && oldKey.stream().allMatch(k -> after.indexOf(k) >= 0)) {
            // Under DEFAULT (or USING INDEX, NOTHING) pgoutput flags exactly the replica identity: none means the
            // table is keyless now. An UPDATE or DELETE carries no key from here on (PostgreSQL even refuses them
            // while the table publishes them without one), so the mirror can no longer be kept on any key.
            incompatible.add(new Incompatible(oldKey.get(0), "the table no longer has a key: its primary key (or"
                    + " replica identity index) " + String.join(", ", oldKey) + " was dropped, or its replica"
                    + " identity set to NOTHING, so later changes could no longer be matched to the rows in"
                    + " Snowflake. To keep a mirror, give it a key again before the resync: add the primary key back"
                    + " (ALTER TABLE " + TableNames.sql(after.table()) + " ADD PRIMARY KEY ("
                    + String.join(", ", oldKey.stream().map(Sql::ident).toList()) + ");) or name a unique index on"
                    + " NOT NULL columns as its identity (ALTER TABLE " + TableNames.sql(after.table())
                    + " REPLICA IDENTITY USING INDEX <index>;). REPLICA IDENTITY FULL alone gives no key; resynced"
                    + " without one, only its history table is kept"));
        }
        if (!keyed && keyedAfter) {
            // The mirror of a keyless table was never merged: its first merge would fold all history since the copy
            // on the new key, and history may hold rows that shared a value of it while the table had no key (two
            // rows with id 1, one deleted before the key came: the DELETE then took id 1 out of the mirror).
            String key = String.join(", ", newKey);
            incompatible.add(new Incompatible(newKey.get(0), "the table had no key and now has one (" + key
                    + "): its history since the copy was never merged on a key and may hold rows that shared a value"
                    + " of it then, so the mirror cannot be built exactly from it. The resync copies the table again"
                    + " and keeps its mirror on the new key from then on"));
        }
        if (keyed && after.replicaIdentity() == 'f' && !keyedAfter) {
            // Under FULL the source flags the primary key it reads from the catalog now, which may be newer than
            // this message (a key column renamed or added further on in the stream): no key flag then means "key
            // unknown" as well as "primary key dropped". Taking it as keyless would forget the key the mirror is
            // merged on and hide the later change; either way the mirror can no longer be kept on a known key.
            incompatible.add(new Incompatible(oldKey.get(0), "the table (REPLICA IDENTITY FULL) no"
                    + " longer shows its key " + String.join(", ", oldKey) + " in the"
                    + " stream: its primary key was dropped, or changed further on in the stream (a key column"
                    + " renamed or replaced), so changes could no longer be matched to the rows in Snowflake"));
        }
        boolean keyChanged = keyed && !new java.util.HashSet<>(oldKey).equals(new java.util.HashSet<>(newKey));
        return new Evolution(new TableLayout(next), added, dropped, widened, incompatible, keyChanged);
    }

    private static int indexOf(List<DestColumn> cols, String sourceName) {
        for (int i = 0; i < cols.size(); i++) {
            if (cols.get(i).sourceName().equals(sourceName)) {
                return i;
            }
        }
        return -1;
    }
}
