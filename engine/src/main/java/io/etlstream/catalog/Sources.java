package io.etlstream.catalog;

import io.etlstream.UserFacingException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Stored PostgreSQL {@link Source}s. */
public final class Sources {

    private static final String COLUMNS = "id, name, host, port, database_name, user_name, sslmode, sslrootcert, "
            + "password_alias, created_at, updated_at";

    private final CatalogDb db;

    Sources(CatalogDb db) {
        this.db = db;
    }

    /** Stores a new source; its {@code id} and timestamps are ignored and assigned here. */
    public Source add(Source draft) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            try {
                long id = CatalogDb.insert(c, "INSERT INTO source (name, host, port, database_name, user_name, sslmode, "
                                + "sslrootcert, password_alias, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        draft.name(), draft.host(), draft.port(), draft.databaseName(), draft.userName(),
                        draft.sslMode().pgValue(), draft.sslRootCert(), draft.passwordAlias(), now, now);
                return find(c, id).orElseThrow();
            } catch (SQLException e) {
                if (CatalogDb.isUniqueViolation(e)) {
                    throw new UserFacingException("A source named '" + draft.name()
                            + "' already exists. Choose another name, or update or remove the existing one.");
                }
                throw e;
            }
        });
    }

    /** Rewrites every field of the source with {@code source.id()} except its creation time. */
    public Source update(Source source) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            try {
                int n = CatalogDb.update(c, "UPDATE source SET name=?, host=?, port=?, database_name=?, user_name=?, "
                                + "sslmode=?, sslrootcert=?, password_alias=?, updated_at=? WHERE id=?",
                        source.name(), source.host(), source.port(), source.databaseName(), source.userName(),
                        source.sslMode().pgValue(), source.sslRootCert(), source.passwordAlias(), now, source.id());
                if (n == 0) {
                    throw new UserFacingException("Source '" + source.name() + "' (id " + source.id()
                            + ") no longer exists; it may have been removed. Add it again.");
                }
                return find(c, source.id()).orElseThrow();
            } catch (SQLException e) {
                if (CatalogDb.isUniqueViolation(e)) {
                    throw new UserFacingException("A source named '" + source.name() + "' already exists. Choose another name.");
                }
                throw e;
            }
        });
    }

    public Optional<Source> find(String name) {
        return db.read(c -> CatalogDb.one(c, "SELECT " + COLUMNS + " FROM source WHERE name = ?", Sources::map, name));
    }

    public Optional<Source> find(long id) {
        return db.read(c -> find(c, id));
    }

    /** The source called {@code name}, or a message listing the ones that exist. */
    public Source require(String name) {
        return find(name).orElseThrow(() -> new UserFacingException("No source named '" + name + "'. Known sources: "
                + describe(list().stream().map(Source::name).toList()) + "."));
    }

    /** All sources, by name. */
    public List<Source> list() {
        return db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM source ORDER BY name", Sources::map));
    }

    /**
     * Removes the source; false when there was none. Refused while pipelines read from it, with a
     * message naming them.
     */
    public boolean remove(String name) {
        return db.inTransaction(c -> {
            Optional<Source> s = CatalogDb.one(c, "SELECT " + COLUMNS + " FROM source WHERE name = ?", Sources::map, name);
            if (s.isEmpty()) {
                return false;
            }
            List<String> users = CatalogDb.list(c, "SELECT name FROM pipeline WHERE source_id = ? ORDER BY name",
                    rs -> rs.getString(1), s.get().id());
            if (!users.isEmpty()) {
                throw new UserFacingException("Source '" + name + "' is used by pipeline(s) " + String.join(", ", users)
                        + ". Remove those pipelines first.");
            }
            return CatalogDb.update(c, "DELETE FROM source WHERE id = ?", s.get().id()) == 1;
        });
    }

    private static Optional<Source> find(Connection c, long id) throws SQLException {
        return CatalogDb.one(c, "SELECT " + COLUMNS + " FROM source WHERE id = ?", Sources::map, id);
    }

    static String describe(List<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static Source map(ResultSet rs) throws SQLException {
        return new Source(rs.getLong("id"), rs.getString("name"), rs.getString("host"), rs.getInt("port"),
                rs.getString("database_name"), rs.getString("user_name"), SslMode.fromPgValue(rs.getString("sslmode")),
                rs.getString("sslrootcert"), rs.getString("password_alias"),
                CatalogDb.instant(rs, "created_at"), CatalogDb.instant(rs, "updated_at"));
    }
}
