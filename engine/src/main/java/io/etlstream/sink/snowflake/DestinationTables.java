package io.etlstream.sink.snowflake;

import io.etlstream.UserFacingException;
import io.etlstream.batch.TableId;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The two Snowflake tables for one source table {@code schema.t}: the append-only history {@code T_HISTORY} that the
 * channel writes, and the mirror {@code T} that a periodic MERGE keeps equal to the source. Both live in the
 * destination's database and schema; the source schema is not part of the name.
 */
public record DestinationTables(TableId source, String database, String schema, SnowflakeName mirror,
        SnowflakeName history) {

    public static final String HISTORY_SUFFIX = "_HISTORY";

    public static DestinationTables of(TableId source, String database, String schema) {
        SnowflakeName mirror = SnowflakeName.fromPostgres(source.name());
        return new DestinationTables(source, database, schema, mirror, mirror.withSuffix(HISTORY_SUFFIX));
    }

    public String qualifiedMirror() {
        return qualify(mirror);
    }

    public String qualifiedHistory() {
        return qualify(history);
    }

    private String qualify(SnowflakeName t) {
        return SnowflakeName.fromUser(database).sql() + "." + SnowflakeName.fromUser(schema).sql() + "." + t.sql();
    }

    /**
     * Fails when two source tables would land in the same Snowflake table: {@code s1.t} and {@code s2.t} (the source
     * schema is not part of the name), or {@code t_history} whose mirror is {@code t}'s history.
     */
    public static void requireDistinct(Collection<DestinationTables> tables) {
        Map<String, TableId> seen = new HashMap<>();
        for (DestinationTables t : tables) {
            for (SnowflakeName n : new SnowflakeName[] {t.mirror(), t.history()}) {
                TableId other = seen.putIfAbsent(n.resolved(), t.source());
                if (other != null && !other.equals(t.source())) {
                    throw new UserFacingException("Source tables " + other + " and " + t.source()
                            + " would both be written to the Snowflake table " + n.sql() + " (a Snowflake table is"
                            + " named after the source table, without its schema). Select only one of them in this"
                            + " pipeline; replicate the other in a separate pipeline whose destination uses a"
                            + " different Snowflake schema (etl-stream destination add ... --schema OTHER).");
                }
            }
        }
    }

    /** {@link #requireDistinct(Collection)} for source tables (only their names decide). */
    public static void requireDistinctNames(Collection<TableId> sources) {
        requireDistinct(sources.stream().map(t -> of(t, "D", "S")).toList());
    }
}
