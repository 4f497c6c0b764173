package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import io.etlstream.batch.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses table lists as a user types them: {@code schema.t1,"Mixed Case"."Tåble",t3} — PostgreSQL rules: unquoted
 * names fold to lower case, double quotes keep case and allow any character ({@code ""} is a quote), no schema means
 * {@code public}.
 */
public final class TableNames {
    private TableNames() {}

    public static List<TableId> parseList(String text) {
        List<TableId> out = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inQuotes = false;
        boolean partQuoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (inQuotes) {
                if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (ch == '"') {
                    inQuotes = false;
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"') {
                inQuotes = true;
                partQuoted = true;
            } else if (ch == '.' || ch == ',') {
                parts.add(part(cur, partQuoted, text));
                cur.setLength(0);
                partQuoted = false;
                if (ch == ',') {
                    out.add(toTable(parts, text));
                    parts.clear();
                }
            } else if (!Character.isWhitespace(ch)) {
                cur.append(ch); // unquoted identifiers cannot contain white space
            }
        }
        if (inQuotes) {
            throw new UserFacingException("unbalanced double quote in table list '" + text + "'");
        }
        parts.add(part(cur, partQuoted, text));
        out.add(toTable(parts, text));
        return out;
    }

    /** One table name, {@code schema.name} or {@code name}. */
    public static TableId parse(String text) {
        List<TableId> l = parseList(text);
        if (l.size() != 1) {
            throw new UserFacingException("expected one table name, got '" + text + "'");
        }
        return l.get(0);
    }

    /** The table as SQL: {@code "schema"."name"}. */
    public static String sql(TableId t) {
        return Sql.qualified(t.schema(), t.name());
    }

    private static String part(StringBuilder cur, boolean quoted, String text) {
        if (cur.length() == 0 && !quoted) {
            throw new UserFacingException("empty name in table list '" + text + "': use schema.table[,schema.table...]");
        }
        return quoted ? cur.toString() : cur.toString().toLowerCase(Locale.ROOT);
    }

    private static TableId toTable(List<String> names, String text) {
        if (names.size() == 1) {
            return new TableId("public", names.get(0));
        }
        if (names.size() == 2) {
            return new TableId(names.get(0), names.get(1));
        }
        throw new UserFacingException("'" + text + "' has a name with too many dots: use schema.table (quote names"
                + " that contain dots: \"my.schema\".\"t\")");
    }
}
