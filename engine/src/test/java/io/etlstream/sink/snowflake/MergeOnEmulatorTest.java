package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.emulator.SqlResult;
import io.etlstream.sink.snowflake.SnowflakeSql.DeleteMode;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The generated DDL and MERGE, run by the emulator's SQL engine. */
class MergeOnEmulatorTest {

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.sqlOnly("S");

    static TableSchema schema(String table) {
        return new TableSchema(new TableId("public", table), 1, 'd', List.of(new RelationColumn(true, "id", 20, -1),
                new RelationColumn(false, "note", 25, -1), new RelationColumn(false, "big", 25, -1)), 1);
    }

    /** As the sink's SQL API requests do: with the destination's database and schema as session context. */
    static SqlResult sql(String statement) {
        return SF.sql(statement, "S");
    }

    static String hist(DestinationTables t, long id, String note, String big, String op, long lsn, int seq, String toast) {
        return "INSERT INTO " + t.qualifiedHistory() + " (ID, NOTE, BIG, _ETL_OP, _ETL_LSN, _ETL_SEQ, _ETL_TOAST) VALUES ("
                + id + ", " + lit(note) + ", " + lit(big) + ", '" + op + "', " + lsn + ", " + seq + ", " + lit(toast) + ")";
    }

    static String lit(String s) {
        return s == null ? "NULL" : "'" + s + "'";
    }

    static List<String> mirror(DestinationTables t, boolean withDeleted) {
        SqlResult r = sql("SELECT ID, NOTE, BIG, _ETL_DELETED FROM " + t.qualifiedMirror() + " ORDER BY ID");
        List<String> out = new ArrayList<>();
        for (List<String> row : r.rows()) {
            out.add(row.get(0) + ":" + row.get(1) + ":" + row.get(2) + (withDeleted ? ":" + row.get(3) : ""));
        }
        return out;
    }

    static DestinationTables setUp(String table) {
        DestinationTables t = DestinationTables.of(new TableId("public", table), "DB", "S");
        TableLayout l = TableLayout.initial(schema(table));
        sql(SnowflakeSql.createHistory(t, l));
        sql(SnowflakeSql.createMirror(t, l));
        return t;
    }

    @Test
    void latestChangePerKeyWinsDeletesApplyAndToastIsKept() {
        DestinationTables t = setUp("m1");
        TableLayout l = TableLayout.initial(schema("m1"));
        sql(hist(t, 1, "a", "BIGVALUE", "I", 100, 0, null));
        sql(hist(t, 2, "b", "X", "I", 100, 1, null));
        sql(hist(t, 3, "c", "Y", "I", 100, 2, null));
        sql(SnowflakeSql.merge(t, l, DeleteMode.HARD, null));
        assertThat(mirror(t, false)).containsExactly("1:a:BIGVALUE", "2:b:X", "3:c:Y");

        // update 1 with unchanged TOAST in BIG (ordinal 3), two updates of 2 (last wins), delete 3
        sql(hist(t, 1, "a2", null, "U", 200, 0, ",3,"));
        sql(hist(t, 2, "b2", "X2", "U", 200, 1, null));
        sql(hist(t, 2, "b3", "X3", "U", 300, 0, null));
        sql(hist(t, 3, null, null, "D", 300, 1, null));
        String merge = SnowflakeSql.merge(t, l, DeleteMode.HARD, null);
        sql(merge);
        assertThat(mirror(t, false)).containsExactly("1:a2:BIGVALUE", "2:b3:X3");
        // idempotent: running it again, or over the whole history, changes nothing
        sql(merge);
        sql(SnowflakeSql.merge(t, l, DeleteMode.HARD, 0L));
        assertThat(mirror(t, false)).containsExactly("1:a2:BIGVALUE", "2:b3:X3");
    }

    @Test
    void unchangedToastTakesTheNewestCarriedValueInTheWindowAndRealNullsStay() {
        DestinationTables t = setUp("m4");
        TableLayout l = TableLayout.initial(schema("m4"));
        // insert and two updates in one window: BIG unchanged in the last one -> value of the first update
        sql(hist(t, 1, "a", "V1", "I", 100, 0, null));
        sql(hist(t, 1, "b", "V2", "U", 200, 0, null));
        sql(hist(t, 1, "c", null, "U", 300, 0, ",3,"));
        // a real NULL later followed by an unchanged-TOAST update: stays NULL
        sql(hist(t, 2, "a", "W1", "I", 100, 1, null));
        sql(hist(t, 2, "b", null, "U", 200, 1, null));
        sql(hist(t, 2, "c", null, "U", 300, 1, ",3,"));
        sql(SnowflakeSql.merge(t, l, DeleteMode.HARD, null));
        assertThat(mirror(t, false)).containsExactly("1:c:V2", "2:c:null");
        // next window: only unchanged-TOAST updates -> the mirror's value is kept
        sql(hist(t, 1, "d", null, "U", 400, 0, ",3,"));
        sql(SnowflakeSql.merge(t, l, DeleteMode.HARD, 400L));
        assertThat(mirror(t, false)).containsExactly("1:d:V2", "2:c:null");
    }

    @Test
    void keyChangesKeepTheOldKeysUnchangedToastHard() {
        keyChangesKeepTheOldKeysUnchangedToast("m5", DeleteMode.HARD);
    }

    @Test
    void keyChangesKeepTheOldKeysUnchangedToastSoft() {
        keyChangesKeepTheOldKeysUnchangedToast("m6", DeleteMode.SOFT);
    }

    /**
     * An UPDATE that changes the key arrives as D(old key) then U(new key) flagged ,K, with the unchanged columns
     * marked: their values are the old key's as of just before the change, from the window or the mirror.
     */
    private void keyChangesKeepTheOldKeysUnchangedToast(String table, DeleteMode mode) {
        DestinationTables t = setUp(table);
        TableLayout l = TableLayout.initial(schema(table));
        sql(hist(t, 1, "a", "B1", "I", 100, 0, null));
        sql(hist(t, 7, "p", "P7", "I", 100, 1, null));
        sql(hist(t, 8, "r", "R8", "I", 100, 2, null));
        sql(SnowflakeSql.merge(t, l, mode, null));
        // across windows: the old key's value is only in the mirror; the old key is inserted again right after
        sql(hist(t, 1, null, null, "D", 200, 0, ",K,"));
        sql(hist(t, 2, "a", null, "U", 200, 1, ",K,3,"));
        sql(hist(t, 1, "z", "Z1", "I", 200, 2, null));
        sql(SnowflakeSql.merge(t, l, mode, 100L));
        assertThat(live(t, mode)).containsExactly("1:z:Z1", "2:a:B1", "7:p:P7", "8:r:R8");
        // one window: a chain 2 -> 3 -> 4 in one transaction, an update of 4, then 4 -> 5 with both columns unchanged
        sql(hist(t, 2, null, null, "D", 300, 0, ",K,"));
        sql(hist(t, 3, "n3", null, "U", 300, 1, ",K,3,"));
        sql(hist(t, 3, null, null, "D", 300, 2, ",K,"));
        sql(hist(t, 4, "n4", null, "U", 300, 3, ",K,3,"));
        sql(hist(t, 4, "n5", null, "U", 400, 0, ",3,"));
        sql(hist(t, 4, null, null, "D", 400, 1, ",K,"));
        sql(hist(t, 5, null, null, "U", 400, 2, ",K,2,3,"));
        // a key that lived and was deleted earlier in the window receives 5: none of its old values come back
        sql(hist(t, 6, "s", "S6", "I", 500, 0, null));
        sql(hist(t, 6, null, null, "D", 500, 1, null));
        sql(hist(t, 5, null, null, "D", 600, 0, ",K,"));
        sql(hist(t, 6, "q", null, "U", 600, 1, ",K,3,"));
        // a delete right before an update of another key (no key change) is not its old row
        sql(hist(t, 7, null, null, "D", 700, 0, null));
        sql(hist(t, 8, "r2", null, "U", 700, 1, ",3,"));
        String merge = SnowflakeSql.merge(t, l, mode, 200L);
        sql(merge);
        List<String> expected = List.of("1:z:Z1", "6:q:B1", "8:r2:R8");
        assertThat(live(t, mode)).containsExactlyElementsOf(expected);
        // re-runs (a crash before the watermark was saved), also over the whole history, change nothing
        sql(merge);
        sql(SnowflakeSql.merge(t, l, mode, 0L));
        assertThat(live(t, mode)).containsExactlyElementsOf(expected);
        // a later window with an unchanged-TOAST update of the moved row keeps its value (the mirror's)
        sql(hist(t, 6, "q2", null, "U", 800, 0, ",3,"));
        sql(SnowflakeSql.merge(t, l, mode, 0L));
        assertThat(live(t, mode)).containsExactly("1:z:Z1", "6:q2:B1", "8:r2:R8");
        // a transaction committed in parts: a move's delete waits until its update is visible
        sql(hist(t, 8, null, null, "D", 900, 0, ",K,"));
        sql(SnowflakeSql.merge(t, l, mode, 800L));
        assertThat(live(t, mode)).containsExactly("1:z:Z1", "6:q2:B1", "8:r2:R8");
        sql(hist(t, 18, "r3", null, "U", 900, 1, ",K,3,"));
        sql(SnowflakeSql.merge(t, l, mode, 800L));
        assertThat(live(t, mode)).containsExactly("1:z:Z1", "6:q2:B1", "18:r3:R8");
    }

    @Test
    void withoutKeyChangesThePlainMergeKeepsUnchangedToast() {
        DestinationTables t = setUp("m7");
        TableLayout l = TableLayout.initial(schema("m7"));
        sql(hist(t, 1, "a", "V1", "I", 100, 0, null));
        sql(hist(t, 1, "b", "V2", "U", 200, 0, null));
        sql(hist(t, 1, "c", null, "U", 300, 0, ",3,"));
        sql(hist(t, 2, "a", "W1", "I", 100, 1, null));
        sql(hist(t, 2, "b", null, "U", 200, 1, null));
        sql(hist(t, 2, "c", null, "U", 300, 1, ",3,"));
        sql(hist(t, 3, "x", "X", "I", 100, 2, null));
        sql(hist(t, 3, null, null, "D", 300, 2, null));
        sql(SnowflakeSql.mergeWithoutKeyChanges(t, l, DeleteMode.HARD, null));
        assertThat(mirror(t, false)).containsExactly("1:c:V2", "2:c:null");
        // the next window only has an unchanged-TOAST update: the mirror's value; a re-run over everything is exact
        sql(hist(t, 1, "d", null, "U", 400, 0, ",3,"));
        sql(SnowflakeSql.mergeWithoutKeyChanges(t, l, DeleteMode.HARD, 400L));
        sql(SnowflakeSql.mergeWithoutKeyChanges(t, l, DeleteMode.HARD, 0L));
        assertThat(mirror(t, false)).containsExactly("1:d:V2", "2:c:null");
    }

    @Test
    void subWindowsOfWholeTransactionsHard() {
        subWindowsOfWholeTransactions("m8", DeleteMode.HARD);
    }

    @Test
    void subWindowsOfWholeTransactionsSoft() {
        subWindowsOfWholeTransactions("m9", DeleteMode.SOFT);
    }

    /**
     * A window split as the sink splits one with many moves: each sub-window ends with a whole transaction and the
     * next starts above it; the mirror ends as one merge over the window would leave it, and a move's delete whose
     * update is not yet visible still waits in the last, unbounded, sub-window.
     */
    private void subWindowsOfWholeTransactions(String table, DeleteMode mode) {
        DestinationTables t = setUp(table);
        TableLayout l = TableLayout.initial(schema(table));
        sql(hist(t, 1, "a", "B1", "I", 100, 0, null));
        sql(hist(t, 9, "k", "K9", "I", 100, 1, null));
        for (int i = 1; i <= 3; i++) { // 1 -> 2 -> 3 -> 4, one move per transaction
            long lsn = 100 + 100L * i;
            sql(hist(t, i, null, null, "D", lsn, 0, ",K,"));
            sql(hist(t, i + 1, "n" + (i + 1), null, "U", lsn, 1, ",K,3,"));
        }
        sql(hist(t, 4, null, null, "D", 500, 0, ",K,")); // 4 -> 5 committed in parts: its update not yet visible
        sql(SnowflakeSql.merge(t, l, mode, 100L, 200L));
        assertThat(live(t, mode)).containsExactly("2:n2:B1", "9:k:K9");
        sql(SnowflakeSql.merge(t, l, mode, 201L, 300L));
        sql(SnowflakeSql.merge(t, l, mode, 301L, null));
        assertThat(live(t, mode)).containsExactly("4:n4:B1", "9:k:K9");
        sql(hist(t, 5, "n5", null, "U", 500, 1, ",K,3,"));
        sql(hist(t, 9, null, null, "D", 500, 2, null));
        sql(SnowflakeSql.merge(t, l, mode, 400L, null));
        assertThat(live(t, mode)).containsExactly("5:n5:B1");
        sql(SnowflakeSql.merge(t, l, mode, 0L, null)); // a re-run over the whole history changes nothing
        assertThat(live(t, mode)).containsExactly("5:n5:B1");
    }

    /** The mirror's rows that are not soft-deleted. */
    static List<String> live(DestinationTables t, DeleteMode mode) {
        List<String> out = new ArrayList<>();
        for (String r : mirror(t, true)) {
            if (r.endsWith(":true")) {
                assertThat(mode).as("deleted row %s", r).isEqualTo(DeleteMode.SOFT);
            } else {
                out.add(r.substring(0, r.lastIndexOf(':')));
            }
        }
        return out;
    }

    @Test
    void softDeletesKeepTheRowFlagged() {
        DestinationTables t = setUp("m2");
        TableLayout l = TableLayout.initial(schema("m2"));
        sql(hist(t, 1, "a", "A", "I", 100, 0, null));
        sql(hist(t, 2, "b", "B", "I", 100, 1, null));
        sql(SnowflakeSql.merge(t, l, DeleteMode.SOFT, null));
        sql(hist(t, 2, null, null, "D", 200, 0, null));
        sql(SnowflakeSql.merge(t, l, DeleteMode.SOFT, null));
        assertThat(mirror(t, true)).containsExactly("1:a:A:false", "2:b:B:true");
        // re-inserted after the delete
        sql(hist(t, 2, "b2", "B2", "I", 300, 0, null));
        sql(SnowflakeSql.merge(t, l, DeleteMode.SOFT, 0L));
        assertThat(mirror(t, true)).containsExactly("1:a:A:false", "2:b2:B2:false");
    }

    @Test
    void truncateEmptiesTheMirrorAndOlderHistoryNeverComesBack() {
        DestinationTables t = setUp("m3");
        TableLayout l = TableLayout.initial(schema("m3"));
        sql(hist(t, 1, "a", "A", "I", 100, 0, null));
        sql(hist(t, 2, "b", "B", "I", 100, 1, null));
        sql(SnowflakeSql.merge(t, l, DeleteMode.HARD, null));
        sql(hist(t, 3, "c", "C", "I", 200, 0, null)); // never merged before the truncate
        sql(hist(t, 0, null, null, "T", 200, 1, null).replace("VALUES (0,", "VALUES (NULL,"));
        sql(hist(t, 4, "d", "D", "I", 200, 2, null)); // same transaction, after the TRUNCATE
        sql(SnowflakeSql.applyTruncate(t, DeleteMode.HARD));
        sql(SnowflakeSql.merge(t, l, DeleteMode.HARD, 0L));
        assertThat(mirror(t, false)).containsExactly("4:d:D");
        sql(SnowflakeSql.applyTruncate(t, DeleteMode.HARD));
        sql(SnowflakeSql.merge(t, l, DeleteMode.HARD, 0L));
        assertThat(mirror(t, false)).containsExactly("4:d:D");
    }
}
