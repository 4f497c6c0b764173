package io.etlstream.sink.snowflake;

/**
 * One source column as it exists in the destination tables. {@code ordinal} (1-based) never changes once assigned:
 * columns are only appended, and a column dropped at the source stays (receiving nulls), so history rows written
 * earlier keep pointing at the right column from {@code _ETL_TOAST}. {@code addedAfterCopy}: the column came (or came
 * back) by a schema change after the table's copy, so rows copied or written before it hold NULL (or a stale value)
 * in it in Snowflake: PostgreSQL sends no change for a DEFAULT fill or a table rewrite. Known only while the engine
 * runs (DESCRIBE does not say it).
 */
public record DestColumn(int ordinal, String sourceName, SnowflakeName name, SnowflakeType type, boolean key,
        boolean droppedAtSource, boolean addedAfterCopy) {

    /** A column the destination held from the table's copy (or of unknown origin). */
    public DestColumn(int ordinal, String sourceName, SnowflakeName name, SnowflakeType type, boolean key,
            boolean droppedAtSource) {
        this(ordinal, sourceName, name, type, key, droppedAtSource, false);
    }

    public DestColumn withType(SnowflakeType t) {
        return new DestColumn(ordinal, sourceName, name, t, key, droppedAtSource, addedAfterCopy);
    }

    public DestColumn dropped() {
        return new DestColumn(ordinal, sourceName, name, type, key, true, addedAfterCopy);
    }
}
