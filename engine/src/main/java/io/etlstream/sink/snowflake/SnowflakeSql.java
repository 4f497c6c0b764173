package io.etlstream.sink.snowflake;

import java.util.List;
import java.util.StringJoiner;

/**
 * The SQL the sink sends through the SQL API: DDL for the history and mirror tables and the MERGE that folds history
 * into the mirror. Pure text generation; identifiers come from {@link SnowflakeName}, numbers are the only literals.
 *
 * <p>History rows carry {@code _ETL_OP} (I, U, D, or T for a TRUNCATE marker row), the source position
 * {@code _ETL_LSN}/{@code _ETL_SEQ}, {@code _ETL_COMMIT_TS}, {@code _ETL_SYNCED_AT} and {@code _ETL_TOAST}: the
 * ordinals of the columns whose value is unchanged TOAST (not sent by PostgreSQL), as text {@code ,3,7,} ({@code ,K,3,7,}
 * when the update also changed the row's key, see {@link #TOAST_KEY_CHANGED}). The mirror
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
    /**
     * In {@code _ETL_TOAST} before the ordinals ({@code ,K,3,}): the row is half of an update that changed the key:
     * on the delete of the old key always, and on the update (the next row) when it has unchanged columns, which keep
     * the old key's values.
     */
    public static final String TOAST_KEY_CHANGED = "K";
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
     * the mirror's row. A column the newest change left unchanged (TOAST) takes the value the row had just before that
     * change, never null or a placeholder: walking back over the key's earlier changes in the window to the newest one
     * that carried the column; past an update that moved the row from another key ({@link #TOAST_KEY_CHANGED}) on to
     * that key's changes before the move (its delete is the history row just before the update); and, where the window
     * holds nothing older, to the mirror's row of that key.
     *
     * <p>Why this is exact: each walk step goes to the row's state just before the step's change, so it never crosses
     * an insert or a move into a previous life of a key (an insert carries every column; a move jumps to the old key).
     * A row the mirror holds at exactly a change's position is the state after that change, so the walk stops there;
     * this keeps a re-run exact after the mirror moved past the window's start (a crash before the watermark was
     * saved). A move's delete waits while its update is not yet visible (a transaction committed in parts), so the old
     * key's row is never gone from the mirror before the new key took its values. Steps within one key are window
     * functions; only moves recurse, so the recursion depth is the number of moves of one chain within one window.
     * Snowflake stops a recursive CTE at MAX_RECURSIONS (100 unless Support changes it): the sink splits a window with
     * more moves into sub-windows ({@link #keyChangesPerLsn}, {@link #subWindowEnds}), and uses
     * {@link #mergeWithoutKeyChanges} for the usual window that holds no key change at all.
     */
    public static String merge(DestinationTables t, TableLayout layout, DeleteMode mode, Long fromLsn) {
        return merge(t, layout, mode, fromLsn, null);
    }

    /**
     * {@link #merge(DestinationTables, TableLayout, DeleteMode, Long)} over the history rows at or below
     * {@code toLsn} only (null: no bound): a sub-window of whole transactions (all rows of one share its commit LSN),
     * so a move's delete and its update are always in the same one. Merging the sub-windows of a window in order
     * gives the same mirror as merging the window at once, with fewer moves per statement (see
     * {@link #keyChangesPerLsn}).
     */
    public static String merge(DestinationTables t, TableLayout layout, DeleteMode mode, Long fromLsn, Long toLsn) {
        List<DestColumn> keys = layout.keys();
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(t.source() + " has no key columns: the mirror cannot be merged");
        }
        StringJoiner hKeys = new StringJoiner(", ");
        StringJoiner keyNames = new StringJoiner(", ");
        StringJoiner mirrorOn = new StringJoiner(" AND ");
        StringJoiner on = new StringJoiner(" AND ");
        for (DestColumn k : keys) {
            String n = k.name().sql();
            hKeys.add("h." + n);
            keyNames.add(n);
            mirrorOn.add("x." + n + " = h." + n);
            on.add("m." + n + " = s." + n);
        }
        String from = fromPosition(t, fromLsn);
        String byPosition = " ORDER BY " + LSN + ", " + SEQ;
        String marks = "COALESCE(h." + TOAST + ", '')";

        // w1: the window's rows, whether it moved from another key (_ETL_F), and per unchanged-able column: the value the row stands for when a walk stops at it
        // (_ETL_V), whether a walk stops at it (_ETL_S: carries the value, held by the mirror, or moved), whether it
        // stops by moving on to the old key (_ETL_J), and the mirror's value (_ETL_M) for walks that run out of rows.
        StringJoiner w1 = new StringJoiner(", ");
        StringJoiner w2 = new StringJoiner(", ");
        StringJoiner w3 = new StringJoiner(", ");
        StringJoiner rCols = new StringJoiner(", ");
        StringJoiner anchor = new StringJoiner(", ");
        StringJoiner step = new StringJoiner(", ");
        StringJoiner pending = new StringJoiner(" OR ");
        StringJoiner done = new StringJoiner(" AND ");
        StringJoiner select = new StringJoiner(", ");
        StringJoiner set = new StringJoiner(", ");
        StringJoiner insertCols = new StringJoiner(", ");
        StringJoiner insertVals = new StringJoiner(", ");
        w1.add(position("h") + " AS _ETL_P");
        w1.add("CASE WHEN h." + OP + " = 'U' AND CONTAINS(" + marks + ", '," + TOAST_KEY_CHANGED
                + ",') THEN 1 ELSE 0 END AS _ETL_F");
        w1.add("ROW_NUMBER() OVER (PARTITION BY " + hKeys + " ORDER BY h." + LSN + " DESC, h." + SEQ
                + " DESC) AS _ETL_RN");
        String part = " OVER (PARTITION BY " + keyNames;
        w2.add("SUM(_ETL_F)" + part + byPosition + " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS _ETL_GF");
        w3.add("CASE WHEN _ETL_GF = 0 THEN NULL ELSE FIRST_VALUE(_ETL_P)" + part + ", _ETL_GF" + byPosition
                + ") - 1 END AS _ETL_JP");
        rCols.add("_ETL_TP").add("_ETL_JP");
        anchor.add("_ETL_P").add("_ETL_JP");
        step.add("r._ETL_TP").add("x._ETL_JP");
        for (DestColumn c : layout.columns()) {
            String n = c.name().sql();
            w1.add("h." + n);
            insertCols.add(n);
            insertVals.add("s." + n);
            if (c.key() || !toastable(c.type())) {
                select.add("w." + n);
                set.add(n + " = s." + n);
                continue;
            }
            int o = c.ordinal();
            String carried = "NOT CONTAINS(" + marks + ", '," + o + ",')";
            w1.add("x." + n + " AS _ETL_M" + o);
            w1.add("CASE WHEN " + position("x") + " = " + position("h") + " AND h." + OP + " <> 'D' THEN x." + n
                    + " ELSE h." + n + " END AS _ETL_V" + o);
            w1.add("CASE WHEN h." + OP + " <> 'D' AND (" + carried + " OR " + position("x") + " = " + position("h")
                    + " OR (h." + OP + " = 'U' AND CONTAINS(" + marks + ", '," + TOAST_KEY_CHANGED
                    + ",'))) THEN 1 ELSE 0 END AS _ETL_S" + o);
            w1.add("CASE WHEN " + carried + " OR " + position("x") + " = " + position("h")
                    + " THEN 0 ELSE 1 END AS _ETL_J" + o);
            w2.add("SUM(_ETL_S" + o + ")" + part + byPosition
                    + " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS _ETL_G" + o);
            String group = part + ", _ETL_G" + o + byPosition + ")";
            w3.add("CASE WHEN _ETL_G" + o + " = 0 THEN _ETL_M" + o + " ELSE FIRST_VALUE(_ETL_V" + o + ")" + group
                    + " END AS _ETL_L" + o);
            w3.add("CASE WHEN _ETL_G" + o + " = 0 THEN 0 ELSE FIRST_VALUE(_ETL_J" + o + ")" + group
                    + " END AS _ETL_LJ" + o);
            rCols.add("_ETL_D" + o).add("_ETL_R" + o);
            anchor.add("1 - _ETL_LJ" + o).add("_ETL_L" + o);
            step.add("CASE WHEN r._ETL_D" + o + " = 1 THEN 1 ELSE 1 - x._ETL_LJ" + o + " END");
            step.add("CASE WHEN r._ETL_D" + o + " = 1 THEN r._ETL_R" + o + " ELSE x._ETL_L" + o + " END");
            pending.add("r._ETL_D" + o + " = 0");
            done.add("_ETL_D" + o + " = 1");
            select.add("CASE WHEN f._ETL_TP IS NULL THEN w." + n + " ELSE f._ETL_R" + o + " END AS " + n);
            select.add("CASE WHEN f._ETL_TP IS NULL AND CONTAINS(COALESCE(w." + TOAST + ", ''), '," + o
                    + ",') THEN 1 ELSE 0 END AS _ETL_U" + o);
            set.add(n + " = CASE WHEN s._ETL_U" + o + " = 1 THEN m." + n + " ELSE s." + n + " END");
        }
        for (String meta : List.of(OP, LSN, SEQ, COMMIT_TS, SYNCED_AT, TOAST)) {
            w1.add("h." + meta);
        }
        for (String meta : List.of(OP, LSN, SEQ, COMMIT_TS, SYNCED_AT)) {
            select.add("w." + meta);
        }

        // _ETL_W0: the window, each row with the position of the next one of its transaction (a move's delete waits
        // for its update, which always follows it at seq + 1 with the same commit LSN): partitioned by LSN, so no
        // serial sort of the whole window.
        String w0 = "SELECT h.*, LEAD(" + position("h") + ") OVER (PARTITION BY h." + LSN + " ORDER BY h." + SEQ
                + ") AS _ETL_NP FROM " + t.qualifiedHistory() + " h WHERE " + window(t, from, toLsn);
        String waiting = "h." + OP + " = 'D' AND CONTAINS(" + marks + ", '," + TOAST_KEY_CHANGED
                + ",') AND COALESCE(h._ETL_NP, -1) <> " + position("h") + " + 1";
        StringBuilder source = new StringBuilder("WITH RECURSIVE _ETL_W0 AS (").append(w0).append("), _ETL_W1 AS (SELECT ")
                .append(w1).append(" FROM _ETL_W0 h LEFT JOIN ").append(t.qualifiedMirror()).append(" x ON ")
                .append(mirrorOn).append(" WHERE NOT (").append(waiting).append(")), _ETL_W2 AS (SELECT _ETL_W1.*, ")
                .append(w2)
                .append(" FROM _ETL_W1), _ETL_W3 AS (SELECT _ETL_W2.*, ").append(w3).append(" FROM _ETL_W2), _ETL_R (")
                .append(rCols).append(") AS (SELECT ").append(anchor).append(" FROM _ETL_W3 WHERE _ETL_RN = 1 AND ")
                .append(OP).append(" <> 'D' AND ").append(TOAST).append(" IS NOT NULL UNION ALL SELECT ").append(step)
                .append(" FROM _ETL_R r JOIN _ETL_W3 x ON x._ETL_P = r._ETL_JP AND x.").append(OP)
                .append(" = 'D' WHERE ").append(pending.length() == 0 ? "1 = 0" : pending.toString())
                .append(") SELECT ").append(select).append(" FROM _ETL_W3 w LEFT JOIN (SELECT * FROM _ETL_R")
                .append(done.length() == 0 ? "" : " WHERE " + done).append(") f ON f._ETL_TP = w._ETL_P AND w.")
                .append(TOAST).append(" IS NOT NULL WHERE w._ETL_RN = 1");

        return mergeInto(t, mode, source.toString(), on, set, insertCols, insertVals);
    }

    private static String fromPosition(DestinationTables t, Long fromLsn) {
        return fromLsn == null
                ? "(SELECT COALESCE(MAX(" + LSN + "), 0) FROM " + t.qualifiedMirror() + ")"
                : Long.toUnsignedString(fromLsn);
    }

    /** The history rows a merge folds in: from {@code from}, up to {@code toLsn} (null: all), after the truncate. */
    private static String window(DestinationTables t, String from, Long toLsn) {
        return "h." + LSN + " >= " + from + (toLsn == null ? "" : " AND h." + LSN + " <= " + Long.toUnsignedString(toLsn))
                + " AND h." + OP + " <> 'T' AND " + position("h") + " > " + lastTruncate(t);
    }

    /**
     * The merge for a window that holds no half of a key change (no {@link #TOAST_KEY_CHANGED} row), which is nearly
     * always: per key the newest change, and a column it left unchanged (TOAST) from the key's newest change in the
     * window that carried it, else the mirror's. One pass of window functions partitioned by key, no recursion. Exact
     * only without key changes: the row's earlier values then all lie in its own key's changes and mirror row (an
     * insert carries every column, so the newest carrying change is never from an earlier life of the key).
     */
    public static String mergeWithoutKeyChanges(DestinationTables t, TableLayout layout, DeleteMode mode,
            Long fromLsn) {
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
        String source = "SELECT * FROM (SELECT " + select + ", ROW_NUMBER() OVER (PARTITION BY " + partition
                + " ORDER BY " + newestFirst + ") AS _ETL_RN FROM " + t.qualifiedHistory() + " h WHERE "
                + window(t, fromPosition(t, fromLsn), null) + ") r WHERE r._ETL_RN = 1";
        return mergeInto(t, mode, source, on, set, insertCols, insertVals);
    }

    /**
     * Per commit LSN of the window from {@code fromLsn} (null: the mirror's newest position, as in {@link #merge}),
     * the number of updates that moved a row from another key with unchanged columns: rows {@code (lsn, count)},
     * ascending. Their sum bounds the recursion depth of a {@link #merge} over the window (a walk recurses once per
     * such update it passes).
     */
    public static String keyChangesPerLsn(DestinationTables t, Long fromLsn) {
        return "SELECT " + LSN + ", COUNT(*) FROM " + t.qualifiedHistory() + " WHERE " + LSN + " >= "
                + fromPosition(t, fromLsn) + " AND " + OP + " = 'U' AND CONTAINS(COALESCE(" + TOAST + ", ''), ',"
                + TOAST_KEY_CHANGED + ",') GROUP BY " + LSN + " ORDER BY " + LSN;
    }

    /**
     * The upper bounds (commit LSNs) of the sub-windows that split a window so that each holds at most {@code max}
     * counted updates; the window's last sub-window is unbounded and not listed. {@code perLsn}: {@code {lsn, count}}
     * ascending by LSN, from {@link #keyChangesPerLsn}. A single transaction holding more than {@code max} gets a
     * sub-window of its own and can still exceed it: a transaction is never split.
     */
    static List<Long> subWindowEnds(List<long[]> perLsn, int max) {
        List<Long> ends = new java.util.ArrayList<>();
        long inWindow = 0;
        long previous = 0;
        boolean any = false;
        for (long[] lc : perLsn) {
            if (any && inWindow + lc[1] > max) {
                ends.add(previous);
                inWindow = 0;
            }
            inWindow += lc[1];
            previous = lc[0];
            any = true;
        }
        return ends;
    }

    private static String mergeInto(DestinationTables t, DeleteMode mode, String source, StringJoiner on,
            StringJoiner set, StringJoiner insertCols, StringJoiner insertVals) {
        // The mirror's own columns, after the source columns: the applied change's position and times, not deleted.
        for (String meta : List.of(LSN, SEQ, COMMIT_TS, SYNCED_AT)) {
            set.add(meta + " = s." + meta);
            insertCols.add(meta);
            insertVals.add("s." + meta);
        }
        set.add(DELETED + " = FALSE");
        insertCols.add(DELETED);
        insertVals.add("FALSE");
        String newer = "(m." + LSN + " IS NULL OR s." + LSN + " > m." + LSN + " OR (s." + LSN + " = m." + LSN
                + " AND s." + SEQ + " > m." + SEQ + "))";
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
