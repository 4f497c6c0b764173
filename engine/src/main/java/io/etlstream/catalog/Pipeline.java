package io.etlstream.catalog;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One replication pipeline: a source, a destination and how changes land there. {@code settingsVersion}
 * counts updates, so an engine can tell that the settings it runs with are stale and an update based on
 * an old read is refused. A draft has {@code id == 0}.
 */
public record Pipeline(
        long id,
        String name,
        long sourceId,
        long destinationId,
        PipelineMode mode,
        int mergeIntervalSeconds,
        DeleteMode deletes,
        boolean snapshot,
        int parallelism,
        boolean enabled,
        int priority,
        String slotName,
        String publicationName,
        OversizePolicy oversizePolicy,
        int settingsVersion,
        Instant createdAt,
        Instant updatedAt) {

    /** PostgreSQL identifiers (slot and publication names) are at most 63 bytes. */
    public static final int MAX_PG_NAME = 63;

    public Pipeline {
        Names.requireName(name, "pipeline");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(deletes, "deletes");
        Objects.requireNonNull(oversizePolicy, "oversizePolicy");
        if (mergeIntervalSeconds < 1) {
            throw new IllegalArgumentException("merge interval must be at least 1 second, was " + mergeIntervalSeconds);
        }
        if (parallelism < 1 || parallelism > 64) {
            throw new IllegalArgumentException("parallelism must be 1..64, was " + parallelism);
        }
        requirePgName(slotName, "slot name");
        requirePgName(publicationName, "publication name");
    }

    /**
     * A pipeline to add with defaults: mirror mode, merge every 60 s, hard deletes, initial snapshot,
     * 4 copy workers, enabled, priority 0, oversize values stop the pipeline, and slot/publication names
     * derived from the pipeline name; {@link Pipelines#add} puts the home's id into those default names
     * ({@link #pgNameFor(String, String)}).
     */
    public static Pipeline draft(String name, long sourceId, long destinationId) {
        String pgName = pgNameFor(name);
        return new Pipeline(0, name, sourceId, destinationId, PipelineMode.MIRROR, 60, DeleteMode.HARD, true, 4,
                true, 0, pgName, pgName, OversizePolicy.STOP, 0, null, null);
    }

    /** {@code etl_stream_} plus the name folded to what a replication slot accepts ([a-z0-9_], 63 max). */
    public static String pgNameFor(String pipelineName) {
        String folded = pipelineName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String n = "etl_stream_" + folded;
        return n.length() > MAX_PG_NAME ? n.substring(0, MAX_PG_NAME) : n;
    }

    /**
     * {@code etl_stream_<home id>_<folded name>}: the home id keeps two homes' pipelines of the same name apart on
     * one PostgreSQL server (slot names are cluster-wide). Longer than 63 bytes: the name is cut and a hash of the
     * whole name keeps it unique.
     */
    public static String pgNameFor(String pipelineName, String homeId) {
        String folded = pipelineName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String n = "etl_stream_" + homeId + "_" + folded;
        if (n.length() > MAX_PG_NAME) {
            String hash = String.format(Locale.ROOT, "%08x", pipelineName.hashCode());
            n = n.substring(0, MAX_PG_NAME - hash.length() - 1) + "_" + hash;
        }
        return n;
    }

    private static void requirePgName(String value, String what) {
        if (value == null || !value.matches("[a-z0-9_]{1," + MAX_PG_NAME + "}")) {
            throw new IllegalArgumentException(what + " must be 1.." + MAX_PG_NAME
                    + " characters of a-z, 0-9 and _, was '" + value + "'");
        }
    }

    public Pipeline withMode(PipelineMode v) {
        return new Pipeline(id, name, sourceId, destinationId, v, mergeIntervalSeconds, deletes, snapshot, parallelism,
                enabled, priority, slotName, publicationName, oversizePolicy, settingsVersion, createdAt, updatedAt);
    }

    public Pipeline withMergeIntervalSeconds(int v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, v, deletes, snapshot, parallelism,
                enabled, priority, slotName, publicationName, oversizePolicy, settingsVersion, createdAt, updatedAt);
    }

    public Pipeline withDeletes(DeleteMode v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, mergeIntervalSeconds, v, snapshot, parallelism,
                enabled, priority, slotName, publicationName, oversizePolicy, settingsVersion, createdAt, updatedAt);
    }

    public Pipeline withSnapshot(boolean v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, mergeIntervalSeconds, deletes, v, parallelism,
                enabled, priority, slotName, publicationName, oversizePolicy, settingsVersion, createdAt, updatedAt);
    }

    public Pipeline withParallelism(int v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, mergeIntervalSeconds, deletes, snapshot, v,
                enabled, priority, slotName, publicationName, oversizePolicy, settingsVersion, createdAt, updatedAt);
    }

    public Pipeline withEnabled(boolean v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, mergeIntervalSeconds, deletes, snapshot,
                parallelism, v, priority, slotName, publicationName, oversizePolicy, settingsVersion, createdAt,
                updatedAt);
    }

    public Pipeline withPriority(int v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, mergeIntervalSeconds, deletes, snapshot,
                parallelism, enabled, v, slotName, publicationName, oversizePolicy, settingsVersion, createdAt,
                updatedAt);
    }

    public Pipeline withSlotName(String v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, mergeIntervalSeconds, deletes, snapshot,
                parallelism, enabled, priority, v, publicationName, oversizePolicy, settingsVersion, createdAt,
                updatedAt);
    }

    public Pipeline withPublicationName(String v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, mergeIntervalSeconds, deletes, snapshot,
                parallelism, enabled, priority, slotName, v, oversizePolicy, settingsVersion, createdAt, updatedAt);
    }

    public Pipeline withOversizePolicy(OversizePolicy v) {
        return new Pipeline(id, name, sourceId, destinationId, mode, mergeIntervalSeconds, deletes, snapshot,
                parallelism, enabled, priority, slotName, publicationName, v, settingsVersion, createdAt, updatedAt);
    }
}
