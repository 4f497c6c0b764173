package io.etlstream.catalog;

import io.etlstream.UserFacingException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Stored {@link Pipeline}s. Removing a pipeline removes its table selections and metric history. */
public final class Pipelines {

    private static final String COLUMNS = "id, name, source_id, destination_id, mode, merge_interval_seconds, deletes, "
            + "snapshot, parallelism, enabled, priority, slot_name, publication_name, oversize_policy, "
            + "settings_version, created_at, updated_at";

    private final CatalogDb db;

    Pipelines(CatalogDb db) {
        this.db = db;
    }

    /**
     * Stores a new pipeline at settings version 1; the source and destination must exist. A draft with the default
     * slot and publication names ({@link Pipeline#pgNameFor(String)}) gets the home's names instead
     * ({@link Pipeline#pgNameFor(String, String)}); the stored names never change after that.
     */
    public Pipeline add(Pipeline pipeline) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            Pipeline draft = pipeline;
            try {
                String defaultName = Pipeline.pgNameFor(draft.name());
                if (draft.slotName().equals(defaultName) || draft.publicationName().equals(defaultName)) {
                    String homeName = Pipeline.pgNameFor(draft.name(), homeId(c));
                    draft = draft.slotName().equals(defaultName) ? draft.withSlotName(homeName) : draft;
                    draft = draft.publicationName().equals(defaultName) ? draft.withPublicationName(homeName) : draft;
                }
                long id = CatalogDb.insert(c, "INSERT INTO pipeline (name, source_id, destination_id, mode, "
                                + "merge_interval_seconds, deletes, snapshot, parallelism, enabled, priority, slot_name, "
                                + "publication_name, oversize_policy, settings_version, created_at, updated_at) "
                                + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?)",
                        draft.name(), draft.sourceId(), draft.destinationId(), lower(draft.mode()),
                        draft.mergeIntervalSeconds(), lower(draft.deletes()), draft.snapshot(), draft.parallelism(),
                        draft.enabled(), draft.priority(), draft.slotName(), draft.publicationName(),
                        lower(draft.oversizePolicy()), now, now);
                return find(c, id).orElseThrow();
            } catch (SQLException e) {
                throw explain(e, draft);
            }
        });
    }

    /** The home's short random id (created once by the catalog's migration), part of new slot names. */
    public String homeId() {
        return db.read(Pipelines::homeId);
    }

    private static String homeId(Connection c) throws SQLException {
        return CatalogDb.one(c, "SELECT home_id FROM home_identity", rs -> rs.getString(1)).orElseThrow();
    }

    /**
     * Saves changed settings. {@code p.settingsVersion()} must be the stored one (the caller read the
     * current settings); the stored version then goes up by one.
     */
    public Pipeline update(Pipeline p) {
        Instant now = db.now();
        return db.inTransaction(c -> {
            try {
                int n = CatalogDb.update(c, "UPDATE pipeline SET name=?, source_id=?, destination_id=?, mode=?, "
                                + "merge_interval_seconds=?, deletes=?, snapshot=?, parallelism=?, enabled=?, priority=?, "
                                + "slot_name=?, publication_name=?, oversize_policy=?, settings_version=settings_version+1, "
                                + "updated_at=? WHERE id=? AND settings_version=?",
                        p.name(), p.sourceId(), p.destinationId(), lower(p.mode()), p.mergeIntervalSeconds(),
                        lower(p.deletes()), p.snapshot(), p.parallelism(), p.enabled(), p.priority(), p.slotName(),
                        p.publicationName(), lower(p.oversizePolicy()), now, p.id(), p.settingsVersion());
                if (n == 0) {
                    Optional<Pipeline> current = find(c, p.id());
                    if (current.isEmpty()) {
                        throw new UserFacingException("Pipeline '" + p.name() + "' (id " + p.id()
                                + ") no longer exists; it may have been removed.");
                    }
                    throw new UserFacingException("Pipeline '" + p.name() + "' was changed elsewhere (settings version "
                            + current.get().settingsVersion() + ", yours " + p.settingsVersion()
                            + "). Reload it and apply your change again.");
                }
                return find(c, p.id()).orElseThrow();
            } catch (SQLException e) {
                throw explain(e, p);
            }
        });
    }

    /** Whether the pipeline was paused by the user (it stays paused until resumed, across engine restarts). */
    public boolean paused(long pipelineId) {
        return db.read(c -> CatalogDb.one(c, "SELECT paused FROM pipeline WHERE id = ?", rs -> rs.getBoolean(1),
                pipelineId)).orElse(false);
    }

    /**
     * Records a pause or a resume. Not a settings change: the settings version stays as it is, so an editor holding
     * the settings is not refused because the pipeline was paused meanwhile.
     */
    public void setPaused(long pipelineId, boolean paused) {
        db.read(c -> CatalogDb.update(c, "UPDATE pipeline SET paused = ? WHERE id = ?", paused, pipelineId));
    }

    public Optional<Pipeline> find(String name) {
        return db.read(c -> CatalogDb.one(c, "SELECT " + COLUMNS + " FROM pipeline WHERE name = ?", Pipelines::map, name));
    }

    public Optional<Pipeline> find(long id) {
        return db.read(c -> find(c, id));
    }

    /** The pipeline called {@code name}, or a message listing the ones that exist. */
    public Pipeline require(String name) {
        return find(name).orElseThrow(() -> new UserFacingException("No pipeline named '" + name
                + "'. Known pipelines: " + Sources.describe(list().stream().map(Pipeline::name).toList()) + "."));
    }

    /** All pipelines, by name. */
    public List<Pipeline> list() {
        return db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM pipeline ORDER BY name", Pipelines::map));
    }

    /** Pipelines that start with the engine, highest priority first. */
    public List<Pipeline> listEnabled() {
        return db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM pipeline WHERE enabled "
                + "ORDER BY priority DESC, name", Pipelines::map));
    }

    /** Pipelines reading from one source, by name. */
    public List<Pipeline> listBySource(long sourceId) {
        return db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM pipeline WHERE source_id = ? ORDER BY name",
                Pipelines::map, sourceId));
    }

    /** Removes the pipeline with its table selections and metric history; false when there was none. */
    public boolean remove(String name) {
        return db.inTransaction(c -> CatalogDb.update(c, "DELETE FROM pipeline WHERE name = ?", name) == 1);
    }

    private static Optional<Pipeline> find(Connection c, long id) throws SQLException {
        return CatalogDb.one(c, "SELECT " + COLUMNS + " FROM pipeline WHERE id = ?", Pipelines::map, id);
    }

    private static SQLException explain(SQLException e, Pipeline p) {
        if (CatalogDb.isUniqueViolation(e)) {
            String msg = e.getMessage().toUpperCase(Locale.ROOT);
            if (msg.contains("PIPELINE_SLOT_UQ")) {
                throw new UserFacingException("Another pipeline on this source already uses replication slot '"
                        + p.slotName() + "'. Choose another slot name.");
            }
            throw new UserFacingException("A pipeline named '" + p.name()
                    + "' already exists. Choose another name, or update or remove the existing one.");
        }
        if (CatalogDb.isParentMissing(e)) {
            throw new UserFacingException("Pipeline '" + p.name() + "' refers to source id " + p.sourceId()
                    + " or destination id " + p.destinationId() + ", which does not exist. Add it first.");
        }
        return e;
    }

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static Pipeline map(ResultSet rs) throws SQLException {
        return new Pipeline(rs.getLong("id"), rs.getString("name"), rs.getLong("source_id"), rs.getLong("destination_id"),
                PipelineMode.valueOf(rs.getString("mode").toUpperCase(Locale.ROOT)), rs.getInt("merge_interval_seconds"),
                DeleteMode.valueOf(rs.getString("deletes").toUpperCase(Locale.ROOT)), rs.getBoolean("snapshot"),
                rs.getInt("parallelism"), rs.getBoolean("enabled"), rs.getInt("priority"), rs.getString("slot_name"),
                rs.getString("publication_name"),
                OversizePolicy.valueOf(rs.getString("oversize_policy").toUpperCase(Locale.ROOT)),
                rs.getInt("settings_version"), CatalogDb.instant(rs, "created_at"), CatalogDb.instant(rs, "updated_at"));
    }
}
