package io.etlstream.batch;

import java.util.Objects;

/** A source table: PostgreSQL schema (namespace) and table name, both as stored in the catalog (unquoted). */
public record TableId(String schema, String name) {
    public TableId {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
