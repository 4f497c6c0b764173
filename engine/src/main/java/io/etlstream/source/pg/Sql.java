package io.etlstream.source.pg;

/** SQL text helpers: quoting identifiers and literals the way PostgreSQL reads them. */
public final class Sql {
    private Sql() {}

    /** A double-quoted identifier; safe for mixed case, spaces, quotes and non-ASCII names. */
    public static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** {@code "schema"."name"}. */
    public static String qualified(String schema, String name) {
        return ident(schema) + "." + ident(name);
    }

    /** A single-quoted string literal (standard_conforming_strings on, the default since 9.1). */
    public static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
