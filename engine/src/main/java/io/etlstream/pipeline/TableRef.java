package io.etlstream.pipeline;

import io.etlstream.UserFacingException;
import java.util.Objects;

/** A source table as {@code schema.name}. */
public record TableRef(String schema, String name) implements Comparable<TableRef> {

    public TableRef {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
        if (schema.isBlank() || name.isBlank()) {
            throw new UserFacingException("a table needs a schema and a name, e.g. public.orders");
        }
    }

    /** Parses {@code schema.table}; a name without a schema means {@code public}. */
    public static TableRef parse(String text) {
        String t = text.trim();
        int dot = t.indexOf('.');
        if (dot < 0) {
            return new TableRef("public", t);
        }
        if (t.indexOf('.', dot + 1) >= 0) {
            throw new UserFacingException("'" + text + "' is not schema.table; quote-free names only, e.g. public.orders");
        }
        return new TableRef(t.substring(0, dot), t.substring(dot + 1));
    }

    @Override
    public int compareTo(TableRef o) {
        int c = schema.compareTo(o.schema);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
