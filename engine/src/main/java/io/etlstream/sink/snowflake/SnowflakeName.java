package io.etlstream.sink.snowflake;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Snowflake identifier derived from a PostgreSQL one. A PostgreSQL name that would have been written unquoted
 * (lower case letters, digits, _) becomes Snowflake's unquoted form, upper case ({@code orders} → {@code ORDERS}), so
 * users can query it without quotes. Any other name (mixed case, spaces, ...) keeps its exact case and is quoted.
 * {@link #resolved()} is the name as Snowflake stores it; {@link #sql()} is always a safe SQL spelling.
 */
public record SnowflakeName(String resolved, boolean needsQuotes) {

    private static final Pattern PG_UNQUOTED = Pattern.compile("[a-z_][a-z0-9_$]*");
    private static final Pattern SF_UNQUOTED = Pattern.compile("[A-Z_][A-Z0-9_$]*");
    /** Snowflake reserved words (ANSI + Snowflake's own); as unquoted identifiers they would not parse. */
    private static final Set<String> RESERVED = Set.of("ACCOUNT", "ALL", "ALTER", "AND", "ANY", "AS", "BETWEEN", "BY",
            "CASE", "CAST", "CHECK", "COLUMN", "CONNECT", "CONNECTION", "CONSTRAINT", "CREATE", "CROSS", "CURRENT",
            "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "DATABASE", "DELETE", "DISTINCT",
            "DROP", "ELSE", "EXISTS", "FALSE", "FOLLOWING", "FOR", "FROM", "FULL", "GRANT", "GROUP", "GSCLUSTER",
            "HAVING", "ILIKE", "IN", "INCREMENT", "INNER", "INSERT", "INTERSECT", "INTO", "IS", "ISSUE", "JOIN",
            "LATERAL", "LEFT", "LIKE", "LOCALTIME", "LOCALTIMESTAMP", "MINUS", "NATURAL", "NOT", "NULL", "OF", "ON",
            "OR", "ORDER", "ORGANIZATION", "QUALIFY", "REGEXP", "REVOKE", "RIGHT", "RLIKE", "ROW", "ROWS", "SAMPLE",
            "SCHEMA", "SELECT", "SET", "SOME", "START", "TABLE", "TABLESAMPLE", "THEN", "TO", "TRIGGER", "TRUE",
            "TRY_CAST", "UNION", "UNIQUE", "UPDATE", "USING", "VALUES", "VIEW", "WHEN", "WHENEVER", "WHERE", "WITH");

    /** The Snowflake name for a PostgreSQL identifier as PostgreSQL stores it (unquoted names are lower case). */
    public static SnowflakeName fromPostgres(String pgName) {
        if (PG_UNQUOTED.matcher(pgName).matches()) {
            return of(pgName.toUpperCase(Locale.ROOT));
        }
        return new SnowflakeName(pgName, true);
    }

    /**
     * A name a user typed (database, schema): Snowflake's own rule, so {@code analytics} and {@code ANALYTICS} are
     * the same object and {@code "MyDb"} (with the quotes) keeps its case.
     */
    public static SnowflakeName fromUser(String typed) {
        if (typed.length() >= 2 && typed.startsWith("\"") && typed.endsWith("\"")) {
            return of(typed.substring(1, typed.length() - 1).replace("\"\"", "\""));
        }
        if (!typed.matches("[A-Za-z_][A-Za-z0-9_$]*")) {
            throw new IllegalArgumentException("'" + typed + "' is not a Snowflake identifier; wrap it in double quotes"
                    + " to use it literally");
        }
        return of(typed.toUpperCase(Locale.ROOT));
    }

    /** A name as Snowflake stores it; quoted in SQL only when an unquoted spelling would not resolve to it. */
    public static SnowflakeName of(String resolved) {
        boolean plain = SF_UNQUOTED.matcher(resolved).matches() && !RESERVED.contains(resolved);
        return new SnowflakeName(resolved, !plain);
    }

    /** This name with a suffix, e.g. {@code ORDERS} → {@code ORDERS_HISTORY}, {@code "Order"} → {@code "Order_HISTORY"}. */
    public SnowflakeName withSuffix(String suffix) {
        return needsQuotes ? new SnowflakeName(resolved + suffix, true) : of(resolved + suffix);
    }

    /** The identifier in SQL text. */
    public String sql() {
        return needsQuotes ? '"' + resolved.replace("\"", "\"\"") + '"' : resolved;
    }

    /**
     * The key the SDK expects in a row map and in an open-channel request: the SDK upper-cases unquoted names and
     * takes quoted ones literally, so this is the same as {@link #sql()}.
     */
    public String sdk() {
        return sql();
    }

    @Override
    public String toString() {
        return sql();
    }
}
