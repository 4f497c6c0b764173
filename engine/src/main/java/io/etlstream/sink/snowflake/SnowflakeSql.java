package io.etlstream.sink.snowflake;

import java.util.List;
import java.util.StringJoiner;

/**
 * The SQL the sink sends through the SQL API: DDL for the history and mirror tables and the MERGE that folds history
 * into the mirror. Pure text generation; identifiers come from {@link SnowflakeName}, numbers are the only literals.
 *
 * <p>History rows carry {@code _ETL_OP} (I, U, D, or T for a TRUNCATE marker row), the source position
 * {@code _ETL_LSN}/{@code _ETL_SEQ}, {@code _ETL_COMMIT_TS}, {@code _ETL_SYNCED_AT} and {@code _ETL_TOAST}: the
 * ordinals of the columns whose value is unchanged TOAST (not sent by PostgreSQL), as text {@code ,3,7,}. The mirror
 * keeps the position of the change that produced each row, which makes the MERGE idempotent: it only applies a
 * history row newer than the mirror's, so running it twice over the same history changes nothing.
 */
public final class SnowflakeSql {

    public static final String OP = "_ETL_OP";
    public static final String LSN = "_ETL_LSN";
    public static final String SEQ = "_ETL_SEQ";
    public static final String COMMIT_TS = "_ETL_COMMIT_TS";
    public static final String SYNCED_AT = "_ETL_SYNCED_AT";
    public static final String TOAST = "_ETL_TOAST";
    public static final String DELETED = "_ETL_DELETED";
    /** A position (LSN, seq) as one number: LSN × 2^32 + seq; at most 30 digits, within NUMBER(38,0). */
    static final String POSITION_FACTOR = "4294967296";

    private SnowflakeSql() {}

    /** Delete semantics in the mirror. */
    public enum DeleteMode {
        /** A deleted source row is removed from the mirror. */
        HARD,
        /** A deleted source row stays in the mirror with {@code _ETL_DELETED = TRUE}. */
        SOFT
    }

    public static String createHistory(DestinationTables t, TableLayout layout) {
        StringJoiner cols = sourceColumns(layout);
        cols.add(OP + " VARCHAR(1) NOT NULL");
        cols.add(LSN + " NUMBER(20,0) NOT NULL");
        cols.add(SEQ + " NUMBER(10,0) NOT NULL");
        cols.add(COMMIT_TS + " TIMESTAMP_TZ(6)");
        cols.add(SYNCED_AT + " TIMESTAMP_TZ(6)");
        cols.add(TOAST + " VARCHAR");
        return "CREATE TABLE IF NOT EXISTS " + t.qualifiedHistory() + " (" + cols + ")";
    }

    public static String createMirror(DestinationTables t, TableLayout layout) {
        StringJoiner cols = sourceColumns(layout);
        cols.add(DELETED + " BOOLEAN");
        cols.add(LSN + " NUMBER(20,0)");
        cols.add(SEQ + " NUMBER(10,0)");
        cols.add(COMMIT_TS + " TIMESTAMP_TZ(6)");
        cols.add(SYNCED_AT + " TIMESTAMP_TZ(6)");
        return "CREATE TABLE IF NOT EXISTS " + t.qualifiedMirror() + " (" + cols + ")";
    }

    private static StringJoiner sourceColumns(TableLayout layout) {
        StringJoiner cols = new StringJoiner(", ");
        for (DestColumn c : layout.columns()) {
            cols.add(c.name().sql() + " " + c.type().ddl());
        }
        return cols;
    }

    /** Drops one table if it exists (a resync recreates it). */
    public static String dropTable(String qualifiedTable) {
        return "DROP TABLE IF EXISTS " + qualifiedTable;
    }

    /** Adds a column to one table (call for history and mirror). */
    public static String addColumn(String qualifiedTable, DestColumn c) {
        return "ALTER TABLE " + qualifiedTable + " ADD COLUMN " + c.name().sql() + " " + c.type().ddl();
    }

    /** Widens a column in place (NUMBER precision, VARCHAR length). */
    public static String widenColumn(String qualifiedTable, DestColumn c) {
        return "ALTER TABLE " + qualifiedTable + " ALTER COLUMN " + c.name().sql() + " SET DATA TYPE " + c.type().ddl();
    }

    private static String position(String alias) {
        return alias + "." + LSN + " * " + POSITION_FACTOR + " + " + alias + "." + SEQ;
    }

    /** The position of the newest TRUNCATE marker in history, or -1. */
    private static String lastTruncate(DestinationTables t) {
        return "(SELECT COALESCE(MAX(" + position("x") + "), -1) FROM " + t.qualifiedHistory() + " x WHERE x." + OP
                + " = 'T')";
    }

    /**
     * Removes (or soft-deletes) the mirror rows older than the newest TRUNCATE marker in history. Idempotent; run
     * before {@link #merge} whenever a TRUNCATE may have arrived since the last run.
     */
    public static String applyTruncate(DestinationTables t, DeleteMode mode) {
        String where = " WHERE COALESCE(" + position("m") + ", -1) < " + lastTruncate(t);
        if (mode == DeleteMode.HARD) {
            return "DELETE FROM " + t.qualifiedMirror() + " m" + where;
        }
        return "UPDATE " + t.qualifiedMirror() + " m SET " + DELETED + " = TRUE" + where + " AND COALESCE(m." + DELETED
                + ", FALSE) = FALSE";
    }

    /** True for column types PostgreSQL may store out of line (TOAST), i.e. that may arrive as "unchanged". */
    static boolean toastable(SnowflakeType t) {
        return switch (t.kind()) {
            case VARCHAR, BINARY, VARIANT, ARRAY, NUMBER -> true;
            default -> false;
        };
    }

    /**
     * Folds history into the mirror: per key the newest change (by LSN, then seq) at or after {@code fromLsn}
     * (null: from the mirror's newest position) and after the newest TRUNCATE marker, applied only if it is newer than
     * the mirror's row. A column left unchanged (TOAST) by the newest change takes its value from the newest change in
     * the window that did carry it, and when no change in the window carried it, keeps the mirror's value: it is
     * never overwritten by null. (FIRST_VALUE over rows ordered "carried first, newest first" picks that value while
     * keeping real NULLs, which IGNORE NULLS would skip.)
     */
    public static String merge(DestinationTables t, TableLayout layout, DeleteMode mode, Long fromLsn) {
        List<DestColumn> keys = layout.keys();
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(t.source() + " has no key columns: the mirror cannot be merged");
        }
        StringJoiner partition = new StringJoiner(", ");
        StringJoiner on = new StringJoiner(" AND ");
        for (DestColumn k : keys) {
            partition.add("h." + k.name().sql());
            on.add("m." + k.name().sql() + " = s." + k.name().sql());
        }
        String from = fromLsn == null
                ? "(SELECT COALESCE(MAX(" + LSN + "), 0) FROM " + t.qualifiedMirror() + ")"
                : Long.toUnsignedString(fromLsn);
        String newer = "(m." + LSN + " IS NULL OR s." + LSN + " > m." + LSN + " OR (s." + LSN + " = m." + LSN
                + " AND s." + SEQ + " > m." + SEQ + "))";
        String newestFirst = "h." + LSN + " DESC, h." + SEQ + " DESC";

        StringJoiner select = new StringJoiner(", ");
        StringJoiner set = new StringJoiner(", ");
        StringJoiner insertCols = new StringJoiner(", ");
        StringJoiner insertVals = new StringJoiner(", ");
        for (DestColumn c : layout.columns()) {
            String n = c.name().sql();
            if (c.key() || !toastable(c.type())) {
                select.add("h." + n);
                set.add(n + " = s." + n);
            } else {
                String unchanged = "CASE WHEN CONTAINS(COALESCE(h." + TOAST + ", ''), '," + c.ordinal()
                        + ",') THEN 1 ELSE 0 END";
                select.add("FIRST_VALUE(h." + n + ") OVER (PARTITION BY " + partition + " ORDER BY " + unchanged + ", "
                        + newestFirst + ") AS " + n);
                select.add("MIN(" + unchanged + ") OVER (PARTITION BY " + partition + ") AS _ETL_U" + c.ordinal());
                set.add(n + " = CASE WHEN s._ETL_U" + c.ordinal() + " = 1 THEN m." + n + " ELSE s." + n + " END");
            }
            insertCols.add(n);
            insertVals.add("s." + n);
        }
        for (String meta : List.of(OP, LSN, SEQ, COMMIT_TS, SYNCED_AT)) {
            select.add("h." + meta);
        }
        for (String meta : List.of(LSN, SEQ, COMMIT_TS, SYNCED_AT)) {
            set.add(meta + " = s." + meta);
            insertCols.add(meta);
            insertVals.add("s." + meta);
        }
        set.add(DELETED + " = FALSE");
        insertCols.add(DELETED);
        insertVals.add("FALSE");

        String source = "SELECT * FROM (SELECT " + select + ", ROW_NUMBER() OVER (PARTITION BY " + partition
                + " ORDER BY " + newestFirst + ") AS _ETL_RN FROM " + t.qualifiedHistory() + " h WHERE h." + LSN
                + " >= " + from + " AND h." + OP + " <> 'T' AND " + position("h") + " > " + lastTruncate(t)
                + ") r WHERE r._ETL_RN = 1";

        StringBuilder sql = new StringBuilder();
        sql.append("MERGE INTO ").append(t.qualifiedMirror()).append(" m USING (").append(source).append(") s ON ")
                .append(on);
        if (mode == DeleteMode.HARD) {
            sql.append(" WHEN MATCHED AND s.").append(OP).append(" = 'D' AND ").append(newer).append(" THEN DELETE");
        } else {
            sql.append(" WHEN MATCHED AND s.").append(OP).append(" = 'D' AND ").append(newer).append(" THEN UPDATE SET ")
                    .append(DELETED).append(" = TRUE, ").append(LSN).append(" = s.").append(LSN).append(", ")
                    .append(SEQ).append(" = s.").append(SEQ).append(", ").append(COMMIT_TS).append(" = s.")
                    .append(COMMIT_TS).append(", ").append(SYNCED_AT).append(" = s.").append(SYNCED_AT);
        }
        sql.append(" WHEN MATCHED AND s.").append(OP).append(" <> 'D' AND ").append(newer).append(" THEN UPDATE SET ")
                .append(set);
        sql.append(" WHEN NOT MATCHED AND s.").append(OP).append(" <> 'D' THEN INSERT (").append(insertCols)
                .append(") VALUES (").append(insertVals).append(")");
        return sql.toString();
    }
}
