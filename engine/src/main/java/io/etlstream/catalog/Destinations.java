package io.etlstream.catalog;

import io.etlstream.UserFacingException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Stored Snowflake {@link Destination}s. */
public final class Destinations {

    private static final String COLUMNS = "id, name, account, url, user_name, role_name, warehouse, database_name, "
            + "schema_name, key_alias, created_at, updated_at";

    private final CatalogDb db;

    Destinations(CatalogDb db) {
        this.db = db;
    }

    /** Stores a new destination; its {@code id} and timestamps are assigned here. */
    public Destination add(Destination draft) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            try {
                long id = CatalogDb.insert(c, "INSERT INTO destination (name, account, url, user_name, role_name, warehouse, "
                                + "database_name, schema_name, key_alias, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        draft.name(), draft.account(), draft.url(), draft.userName(), draft.roleName(), draft.warehouse(),
                        draft.databaseName(), draft.schemaName(), draft.keyAlias(), now, now);
                return find(c, id).orElseThrow();
            } catch (SQLException e) {
                if (CatalogDb.isUniqueViolation(e)) {
                    throw new UserFacingException("A destination named '" + draft.name()
                            + "' already exists. Choose another name, or update or remove the existing one.");
                }
                throw e;
            }
        });
    }

    /** Rewrites every field of the destination with {@code d.id()} except its creation time. */
    public Destination update(Destination d) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            try {
                int n = CatalogDb.update(c, "UPDATE destination SET name=?, account=?, url=?, user_name=?, role_name=?, "
                                + "warehouse=?, database_name=?, schema_name=?, key_alias=?, updated_at=? WHERE id=?",
                        d.name(), d.account(), d.url(), d.userName(), d.roleName(), d.warehouse(), d.databaseName(),
                        d.schemaName(), d.keyAlias(), now, d.id());
                if (n == 0) {
                    throw new UserFacingException("Destination '" + d.name() + "' (id " + d.id()
                            + ") no longer exists; it may have been removed. Add it again.");
                }
                return find(c, d.id()).orElseThrow();
            } catch (SQLException e) {
                if (CatalogDb.isUniqueViolation(e)) {
                    throw new UserFacingException("A destination named '" + d.name() + "' already exists. Choose another name.");
                }
                throw e;
            }
        });
    }

    public Optional<Destination> find(String name) {
        return db.read(c -> CatalogDb.one(c, "SELECT " + COLUMNS + " FROM destination WHERE name = ?",
                Destinations::map, name));
    }

    public Optional<Destination> find(long id) {
        return db.read(c -> find(c, id));
    }

    /** The destination called {@code name}, or a message listing the ones that exist. */
    public Destination require(String name) {
        return find(name).orElseThrow(() -> new UserFacingException("No destination named '" + name
                + "'. Known destinations: " + Sources.describe(list().stream().map(Destination::name).toList()) + "."));
    }

    /** All destinations, by name. */
    public List<Destination> list() {
        return db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM destination ORDER BY name", Destinations::map));
    }

    /** Removes the destination; false when there was none. Refused while pipelines write to it. */
    public boolean remove(String name) {
        return db.inTransaction(c -> {
            Optional<Destination> d = CatalogDb.one(c, "SELECT " + COLUMNS + " FROM destination WHERE name = ?",
                    Destinations::map, name);
            if (d.isEmpty()) {
                return false;
            }
            List<String> users = CatalogDb.list(c, "SELECT name FROM pipeline WHERE destination_id = ? ORDER BY name",
                    rs -> rs.getString(1), d.get().id());
            if (!users.isEmpty()) {
                throw new UserFacingException("Destination '" + name + "' is used by pipeline(s) "
                        + String.join(", ", users) + ". Remove those pipelines first.");
            }
            return CatalogDb.update(c, "DELETE FROM destination WHERE id = ?", d.get().id()) == 1;
        });
    }

    private static Optional<Destination> find(Connection c, long id) throws SQLException {
        return CatalogDb.one(c, "SELECT " + COLUMNS + " FROM destination WHERE id = ?", Destinations::map, id);
    }

    private static Destination map(ResultSet rs) throws SQLException {
        return new Destination(rs.getLong("id"), rs.getString("name"), rs.getString("account"), rs.getString("url"),
                rs.getString("user_name"), rs.getString("role_name"), rs.getString("warehouse"),
                rs.getString("database_name"), rs.getString("schema_name"), rs.getString("key_alias"),
                CatalogDb.instant(rs, "created_at"), CatalogDb.instant(rs, "updated_at"));
    }
}
