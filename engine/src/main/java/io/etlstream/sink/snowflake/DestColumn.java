package io.etlstream.sink.snowflake;

/**
 * One source column as it exists in the destination tables. {@code ordinal} (1-based) never changes once assigned:
 * columns are only appended, and a column dropped at the source stays (receiving nulls), so history rows written
 * earlier keep pointing at the right column from {@code _ETL_TOAST}.
 */
public record DestColumn(int ordinal, String sourceName, SnowflakeName name, SnowflakeType type, boolean key,
        boolean droppedAtSource) {

    public DestColumn withType(SnowflakeType t) {
        return new DestColumn(ordinal, sourceName, name, t, key, droppedAtSource);
    }

    public DestColumn dropped() {
        return new DestColumn(ordinal, sourceName, name, type, key, true);
    }
}
