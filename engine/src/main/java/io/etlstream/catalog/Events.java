package io.etlstream.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The persistent event log. Ids grow with insertion order, so a reader tails it with {@link #since}. */
public final class Events {

    private static final String COLUMNS = "id, ts, pipeline_id, source_id, level, kind, message, details";
    private static final int MAX_MESSAGE = 4096;

    private final CatalogDb db;

    Events(CatalogDb db) {
        this.db = db;
    }

    /** Stores the event stamped now (the draft's id and ts are ignored); returns it with its id. */
    public Event append(Event draft) {
        Instant now = db.now();
        String message = draft.message().length() > MAX_MESSAGE
                ? draft.message().substring(0, MAX_MESSAGE - 1) + "…" : draft.message();
        long id = db.inTransaction(c -> CatalogDb.insert(c, "INSERT INTO event (ts, pipeline_id, source_id, level, kind, "
                        + "message, details) VALUES (?,?,?,?,?,?,?)", now, draft.pipelineId(), draft.sourceId(),
                draft.level().name(), draft.kind(), message, draft.details()));
        return new Event(id, now, draft.pipelineId(), draft.sourceId(), draft.level(), draft.kind(), message,
                draft.details());
    }

    /** The {@code n} newest events, oldest first. */
    public List<Event> recent(int n) {
        List<Event> newestFirst = db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM event ORDER BY id DESC "
                + "LIMIT ?", Events::map, n));
        List<Event> out = new ArrayList<>(newestFirst);
        Collections.reverse(out);
        return out;
    }

    /** The {@code n} newest events of one pipeline, oldest first. */
    public List<Event> recentForPipeline(long pipelineId, int n) {
        List<Event> newestFirst = db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM event WHERE pipeline_id = ? "
                + "ORDER BY id DESC LIMIT ?", Events::map, pipelineId, n));
        List<Event> out = new ArrayList<>(newestFirst);
        Collections.reverse(out);
        return out;
    }

    /** Up to {@code limit} events with an id above {@code afterId}, oldest first (tail the log). */
    public List<Event> since(long afterId, int limit) {
        return db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM event WHERE id > ? ORDER BY id LIMIT ?",
                Events::map, afterId, limit));
    }

    /** Events at or after {@code from}, oldest first, at most {@code limit}. */
    public List<Event> since(Instant from, int limit) {
        return db.read(c -> CatalogDb.list(c, "SELECT " + COLUMNS + " FROM event WHERE ts >= ? ORDER BY id LIMIT ?",
                Events::map, from, limit));
    }

    public long count() {
        return db.read(c -> CatalogDb.one(c, "SELECT COUNT(*) FROM event", rs -> rs.getLong(1)).orElse(0L));
    }

    /** Deletes events older than {@code cutoff}; returns how many. */
    public int pruneOlderThan(Instant cutoff) {
        return db.inTransaction(c -> CatalogDb.update(c, "DELETE FROM event WHERE ts < ?", cutoff));
    }

    private static Event map(ResultSet rs) throws SQLException {
        return new Event(rs.getLong("id"), CatalogDb.instant(rs, "ts"), CatalogDb.nullableLong(rs, "pipeline_id"),
                CatalogDb.nullableLong(rs, "source_id"), EventLevel.valueOf(rs.getString("level")), rs.getString("kind"),
                rs.getString("message"), rs.getString("details"));
    }
}
