package io.etlstream.sink.snowflake;

import io.etlstream.batch.TableSchema;
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

    /** A type change the engine cannot apply in place. */
    public record Incompatible(String column, SnowflakeType from, SnowflakeType to) {
        public String message() {
            return "column " + column + " changed from " + from.ddl() + " to " + to.ddl()
                    + ", which Snowflake cannot convert in place";
        }
    }

    /** The result of a source schema change: the next layout and the steps to take before the next row. */
    public record Evolution(TableLayout next, List<DestColumn> added, List<DestColumn> dropped,
            List<DestColumn> widened, List<Incompatible> incompatible) {
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
        for (RelationColumn c : after.columns()) {
            SnowflakeType t = TypeMapping.map(c.typeOid(), c.typeModifier());
            int i = indexOf(next, c.name());
            if (i < 0) {
                DestColumn d = new DestColumn(next.size() + 1, c.name(), SnowflakeName.fromPostgres(c.name()), t,
                        c.key(), false);
                next.add(d);
                added.add(d);
            } else {
                DestColumn old = next.get(i);
                if (old.droppedAtSource()) {
                    // Dropped then added again under the same name: the old column comes back to life if compatible.
                    old = new DestColumn(old.ordinal(), old.sourceName(), old.name(), old.type(), c.key(), false);
                    next.set(i, old);
                }
                if (old.key() != c.key()) {
                    old = new DestColumn(old.ordinal(), old.sourceName(), old.name(), old.type(), c.key(), false);
                    next.set(i, old);
                }
                if (!old.type().equals(t)) {
                    if (t.widens(old.type())) {
                        DestColumn w = old.withType(t);
                        next.set(i, w);
                        widened.add(w);
                    } else if (!old.type().widens(t)) {
                        // A narrowing the destination already holds (e.g. varchar(20) -> varchar(10)) needs nothing.
                        incompatible.add(new Incompatible(c.name(), old.type(), t));
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
            }
        }
        return new Evolution(new TableLayout(next), added, dropped, widened, incompatible);
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
