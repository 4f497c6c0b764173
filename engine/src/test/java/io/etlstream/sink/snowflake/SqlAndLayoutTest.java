package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.sink.snowflake.SnowflakeSql.DeleteMode;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlAndLayoutTest {

    static final TableId ID = new TableId("public", "orders");
    static final DestinationTables T = DestinationTables.of(ID, "DB", "S");

    static TableSchema schema(int version, RelationColumn... cols) {
        return new TableSchema(ID, 42, 'd', List.of(cols), version);
    }

    static RelationColumn col(boolean key, String name, int oid, int typmod) {
        return new RelationColumn(key, name, oid, typmod);
    }

    static final TableSchema V1 = schema(1, col(true, "id", 20, -1), col(false, "note", 25, -1),
            col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1));

    @Test
    void historyAndMirrorDdl() {
        TableLayout l = TableLayout.initial(V1);
        assertThat(SnowflakeSql.createHistory(T, l)).isEqualTo("CREATE TABLE IF NOT EXISTS DB.S.ORDERS_HISTORY (ID NUMBER(19,0),"
                + " NOTE VARCHAR, AMOUNT NUMBER(10,2), DOC VARIANT, _ETL_OP VARCHAR(1) NOT NULL, _ETL_LSN NUMBER(20,0) NOT NULL,"
                + " _ETL_SEQ NUMBER(10,0) NOT NULL, _ETL_COMMIT_TS TIMESTAMP_TZ(6), _ETL_SYNCED_AT TIMESTAMP_TZ(6),"
                + " _ETL_TOAST VARCHAR)");
        assertThat(SnowflakeSql.createMirror(T, l)).isEqualTo("CREATE TABLE IF NOT EXISTS DB.S.ORDERS (ID NUMBER(19,0),"
                + " NOTE VARCHAR, AMOUNT NUMBER(10,2), DOC VARIANT, _ETL_DELETED BOOLEAN, _ETL_LSN NUMBER(20,0),"
                + " _ETL_SEQ NUMBER(10,0), _ETL_COMMIT_TS TIMESTAMP_TZ(6), _ETL_SYNCED_AT TIMESTAMP_TZ(6))");
    }

    @Test
    void mergeTakesTheLatestChangePerKeyAndKeepsUnchangedToast() {
        String sql = SnowflakeSql.merge(T, TableLayout.initial(V1), DeleteMode.HARD, 0x100L);
        assertThat(sql).startsWith("MERGE INTO DB.S.ORDERS m USING (")
                .contains("ROW_NUMBER() OVER (PARTITION BY h.ID ORDER BY h._ETL_LSN DESC, h._ETL_SEQ DESC)")
                // the walk over earlier changes of the key: a stop per carried value, and moves from another key
                .contains("SUM(_ETL_S2) OVER (PARTITION BY ID ORDER BY _ETL_LSN, _ETL_SEQ ROWS BETWEEN UNBOUNDED"
                        + " PRECEDING AND CURRENT ROW) AS _ETL_G2")
                .contains("CONTAINS(COALESCE(h._ETL_TOAST, ''), ',K,')")
                .contains("WITH RECURSIVE")
                .contains("h._ETL_LSN >= 256")
                .contains("LEAD(h._ETL_LSN * 4294967296 + h._ETL_SEQ) OVER (PARTITION BY h._ETL_LSN ORDER BY"
                        + " h._ETL_SEQ)")
                .doesNotContain("_ETL_MP")
                .doesNotContain("h._ETL_LSN <=")
                .contains("ON m.ID = s.ID")
                .contains("NOTE = CASE WHEN s._ETL_U2 = 1 THEN m.NOTE ELSE s.NOTE END")
                .contains("WHEN MATCHED AND s._ETL_OP = 'D' AND (m._ETL_LSN IS NULL OR s._ETL_LSN > m._ETL_LSN OR"
                        + " (s._ETL_LSN = m._ETL_LSN AND s._ETL_SEQ > m._ETL_SEQ)) THEN DELETE")
                .contains("WHEN NOT MATCHED AND s._ETL_OP <> 'D' THEN INSERT (ID, NOTE, AMOUNT, DOC, _ETL_LSN, _ETL_SEQ,"
                        + " _ETL_COMMIT_TS, _ETL_SYNCED_AT, _ETL_DELETED)");
        String soft = SnowflakeSql.merge(T, TableLayout.initial(V1), DeleteMode.SOFT, null);
        assertThat(soft).contains("THEN UPDATE SET _ETL_DELETED = TRUE").doesNotContain("THEN DELETE")
                .contains("h._ETL_LSN >= (SELECT COALESCE(MAX(_ETL_LSN), 0) FROM DB.S.ORDERS)");
        assertThat(SnowflakeSql.applyTruncate(T, DeleteMode.HARD)).startsWith("DELETE FROM DB.S.ORDERS m WHERE")
                .contains("x._ETL_OP = 'T'");
    }

    @Test
    void withoutKeyChangesTheMergeDoesNotWalk() {
        String sql = SnowflakeSql.mergeWithoutKeyChanges(T, TableLayout.initial(V1), DeleteMode.HARD, 0x100L);
        assertThat(sql).startsWith("MERGE INTO DB.S.ORDERS m USING (")
                .doesNotContain("WITH RECURSIVE").doesNotContain("LEAD(").doesNotContain(",K,")
                .contains("ROW_NUMBER() OVER (PARTITION BY h.ID ORDER BY h._ETL_LSN DESC, h._ETL_SEQ DESC)")
                .contains("FIRST_VALUE(h.NOTE) OVER (PARTITION BY h.ID ORDER BY CASE WHEN"
                        + " CONTAINS(COALESCE(h._ETL_TOAST, ''), ',2,') THEN 1 ELSE 0 END, h._ETL_LSN DESC,"
                        + " h._ETL_SEQ DESC) AS NOTE")
                .contains("h._ETL_LSN >= 256")
                .contains("NOTE = CASE WHEN s._ETL_U2 = 1 THEN m.NOTE ELSE s.NOTE END")
                .contains("WHEN NOT MATCHED AND s._ETL_OP <> 'D' THEN INSERT (ID, NOTE, AMOUNT, DOC, _ETL_LSN, _ETL_SEQ,"
                        + " _ETL_COMMIT_TS, _ETL_SYNCED_AT, _ETL_DELETED)");
        assertThat(SnowflakeSql.mergeWithoutKeyChanges(T, TableLayout.initial(V1), DeleteMode.SOFT, null))
                .contains("THEN UPDATE SET _ETL_DELETED = TRUE").doesNotContain("THEN DELETE");
    }

    @Test
    void aWindowWithManyMovesIsSplitIntoWholeTransactions() {
        assertThat(SnowflakeSql.merge(T, TableLayout.initial(V1), DeleteMode.HARD, 0x100L, 0x300L))
                .contains("h._ETL_LSN >= 256 AND h._ETL_LSN <= 768");
        assertThat(SnowflakeSql.keyChangesPerLsn(T, 0x100L)).isEqualTo("SELECT _ETL_LSN, COUNT(*) FROM"
                + " DB.S.ORDERS_HISTORY WHERE _ETL_LSN >= 256 AND _ETL_OP = 'U' AND CONTAINS(COALESCE(_ETL_TOAST, ''),"
                + " ',K,') GROUP BY _ETL_LSN ORDER BY _ETL_LSN");
        assertThat(SnowflakeSql.subWindowEnds(List.of(), 90)).isEmpty();
        assertThat(SnowflakeSql.subWindowEnds(List.of(new long[] {10, 90}), 90)).isEmpty();
        assertThat(SnowflakeSql.subWindowEnds(List.of(new long[] {10, 50}, new long[] {20, 40},
                new long[] {30, 1}, new long[] {40, 89}, new long[] {50, 2}), 90)).containsExactly(20L, 40L);
        // a transaction above the bound runs alone
        assertThat(SnowflakeSql.subWindowEnds(List.of(new long[] {10, 5}, new long[] {20, 200},
                new long[] {30, 1}), 90)).containsExactly(10L, 20L);
    }

    @Test
    void mergeNeedsAKey() {
        TableSchema noKey = schema(1, col(false, "a", 23, -1));
        assertThatThrownBy(() -> SnowflakeSql.merge(T, TableLayout.initial(noKey), DeleteMode.HARD, null))
                .hasMessageContaining("no key columns");
    }

    @Test
    void evolutionAddsDropsWidensAndRefuses() {
        TableLayout l1 = TableLayout.initial(V1);
        TableSchema v2 = schema(2, col(true, "id", 20, -1), col(false, "amount", 1700, ((14 << 16) | 2) + 4),
                col(false, "doc", 3802, -1), col(false, "added", 1184, -1));
        TableLayout.Evolution e = l1.evolve(v2);
        assertThat(e.added()).extracting(DestColumn::sourceName).containsExactly("added");
        assertThat(e.added().get(0).ordinal()).isEqualTo(5);
        assertThat(e.dropped()).extracting(DestColumn::sourceName).containsExactly("note");
        assertThat(e.widened()).extracting(c -> c.type().ddl()).containsExactly("NUMBER(14,2)");
        assertThat(e.incompatible()).isEmpty();
        assertThat(e.next().columns()).extracting(DestColumn::ordinal).containsExactly(1, 2, 3, 4, 5);
        assertThat(e.next().column("note").orElseThrow().droppedAtSource()).isTrue();
        assertThat(SnowflakeSql.addColumn(T.qualifiedHistory(), e.added().get(0)))
                .isEqualTo("ALTER TABLE DB.S.ORDERS_HISTORY ADD COLUMN ADDED TIMESTAMP_TZ(6)");
        assertThat(SnowflakeSql.widenColumn(T.qualifiedMirror(), e.widened().get(0)))
                .isEqualTo("ALTER TABLE DB.S.ORDERS ALTER COLUMN AMOUNT SET DATA TYPE NUMBER(14,2)");

        TableSchema v3 = schema(3, col(true, "id", 20, -1), col(false, "amount", 25, -1), col(false, "doc", 3802, -1),
                col(false, "added", 1184, -1));
        TableLayout.Evolution bad = e.next().evolve(v3);
        assertThat(bad.incompatible()).singleElement().satisfies(i -> assertThat(i.message())
                .contains("amount").contains("NUMBER(14,2)").contains("VARCHAR"));
    }

    @Test
    void aDroppedRenamedOrNewKeyColumnIsIncompatible() {
        TableLayout l1 = TableLayout.initial(V1);
        TableSchema renamed = schema(2, col(true, "order_id", 20, -1), col(false, "note", 25, -1),
                col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1));
        assertThat(l1.evolve(renamed).incompatible()).extracting(TableLayout.Incompatible::column)
                .containsExactlyInAnyOrder("id", "order_id");
        // a key moved onto a column the mirror holds: the unmerged history carries the old key only (a DELETE has
        // no value in note), so it could not be merged on the new one
        TableSchema wider = schema(2, col(true, "id", 20, -1), col(true, "note", 25, -1),
                col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1));
        assertThat(l1.evolve(wider).incompatible()).singleElement().satisfies(i -> {
            assertThat(i.column()).isEqualTo("note");
            assertThat(i.message()).contains("the key now includes column note, which was not part of it before");
        });
        TableSchema onNote = schema(2, col(false, "id", 20, -1), col(true, "note", 25, -1),
                col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1));
        assertThat(l1.evolve(onNote).incompatible()).extracting(TableLayout.Incompatible::column)
                .containsExactlyInAnyOrder("note", "id");
        // a column leaving the key: rows that differed only in it would all be matched by one change
        TableSchema twoKeys = schema(1, col(true, "id", 20, -1), col(true, "note", 25, -1),
                col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1));
        assertThat(TableLayout.initial(twoKeys).evolve(V1).incompatible()).singleElement().satisfies(i -> {
            assertThat(i.column()).isEqualTo("note");
            assertThat(i.message()).contains("the key no longer includes column note");
        });
        // history up to the change was written under (id, note): it is still merged on that key before the stop
        assertThat(TableLayout.initial(twoKeys).evolve(V1).keyChanged()).isTrue();
        assertThat(l1.evolve(onNote).keyChanged()).isTrue();
        // a key appearing on a table that had none: its history was never merged and may hold rows that shared
        // the new key then, so the mirror cannot be built from it (KeyDroppedTest shows a row lost that way)
        TableLayout noKey = TableLayout.initial(schema(1, col(false, "a", 23, -1)));
        assertThat(noKey.evolve(schema(2, col(false, "a", 23, -1), col(true, "b", 23, -1))).incompatible())
                .extracting(TableLayout.Incompatible::column).containsExactly("b");
        TableLayout noKeyAb = TableLayout.initial(schema(1, col(false, "a", 23, -1), col(false, "b", 23, -1)));
        TableLayout.Evolution gained = noKeyAb.evolve(schema(2, col(false, "a", 23, -1), col(true, "b", 23, -1)));
        assertThat(gained.incompatible()).singleElement().satisfies(i -> assertThat(i.message())
                .contains("the table had no key and now has one (b)"));
        assertThat(gained.keyChanged()).isFalse();
        // a keyless table that stays keyless changes nothing
        assertThat(noKeyAb.evolve(schema(2, col(false, "a", 23, -1), col(false, "b", 23, -1))).incompatible())
                .isEmpty();
    }

    @Test
    void aKeyMovedOntoAColumnAddedAfterTheCopyIsIncompatible() {
        TableLayout l1 = TableLayout.initial(V1);
        TableSchema added = schema(2, col(true, "id", 20, -1), col(false, "note", 25, -1),
                col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1),
                col(false, "code", 23, -1));
        TableLayout l2 = l1.evolve(added).next();
        assertThat(l2.column("code").orElseThrow().addedAfterCopy()).isTrue();
        assertThat(l2.column("note").orElseThrow().addedAfterCopy()).isFalse();
        // rows copied before code came hold NULL in it in the mirror: a MERGE on (id, code) cannot match them
        TableSchema onCode = schema(3, col(true, "id", 20, -1), col(false, "note", 25, -1),
                col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1),
                col(true, "code", 23, -1));
        assertThat(l2.evolve(onCode).incompatible()).singleElement().satisfies(i -> {
            assertThat(i.column()).isEqualTo("code");
            assertThat(i.message()).contains("added after the table was copied");
        });
        // a column held since the copy stops the table too, with the message for a key moved onto a held column
        TableSchema onNote = schema(3, col(true, "id", 20, -1), col(true, "note", 25, -1),
                col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1),
                col(false, "code", 23, -1));
        assertThat(l2.evolve(onNote).incompatible()).singleElement().satisfies(i -> assertThat(i.message())
                .contains("note, which was not part of it before"));
        assertThat(l2.evolve(onNote).keyChanged()).isTrue();
        assertThat(l2.evolve(onCode).keyChanged()).isTrue();
        assertThat(l2.evolve(added).keyChanged()).as("same key").isFalse();
        // dropped and added again: old mirror rows keep the dropped column's values, so it counts as new
        TableSchema noNote = schema(2, col(true, "id", 20, -1), col(false, "amount", 1700, ((10 << 16) | 2) + 4),
                col(false, "doc", 3802, -1));
        TableSchema noteBackAsKey = schema(3, col(true, "id", 20, -1), col(false, "amount", 1700, ((10 << 16) | 2) + 4),
                col(false, "doc", 3802, -1), col(true, "note", 25, -1));
        assertThat(l1.evolve(noNote).next().evolve(noteBackAsKey).incompatible())
                .extracting(TableLayout.Incompatible::column).containsExactly("note");
        // a table that had no key taking one on such a column stops as any key appearing does (one reason only)
        TableLayout noKey = TableLayout.initial(schema(1, col(false, "a", 23, -1)));
        TableLayout noKey2 = noKey.evolve(schema(2, col(false, "a", 23, -1), col(false, "b", 23, -1))).next();
        assertThat(noKey2.evolve(schema(3, col(false, "a", 23, -1), col(true, "b", 23, -1))).incompatible())
                .singleElement().satisfies(i -> assertThat(i.message()).contains("had no key and now has one (b)"));
    }

    @Test
    void aFullIdentityTableSeenWithoutItsKeyIsIncompatibleNotKeyless() {
        TableLayout l1 = TableLayout.initial(new TableSchema(ID, 42, 'f', V1.columns(), 1));
        // the source could not match the catalog's primary key to this message's columns (renamed further on)
        TableSchema unknownKey = new TableSchema(ID, 42, 'f', List.of(col(false, "id", 20, -1),
                col(false, "note", 25, -1), col(false, "amount", 1700, ((10 << 16) | 2) + 4),
                col(false, "doc", 3802, -1)), 2);
        assertThat(l1.evolve(unknownKey).incompatible()).singleElement().satisfies(i -> {
            assertThat(i.column()).isEqualTo("id");
            assertThat(i.message()).contains("REPLICA IDENTITY FULL").contains("no longer shows its key id");
        });
        assertThat(l1.evolve(unknownKey).keyChanged()).isTrue();
        // under DEFAULT identity pgoutput's flags are the identity itself: a table without one turned keyless,
        // which stops it too (history up to here can still be merged on the old key: keyChanged)
        TableSchema keyless = new TableSchema(ID, 42, 'd', unknownKey.columns(), 2);
        TableLayout.Evolution dropped = l1.evolve(keyless);
        assertThat(dropped.incompatible()).singleElement().satisfies(i -> {
            assertThat(i.column()).isEqualTo("id");
            assertThat(i.message()).contains("the table no longer has a key")
                    .contains("ALTER TABLE \"public\".\"orders\" ADD PRIMARY KEY (\"id\");")
                    .contains("REPLICA IDENTITY USING INDEX");
        });
        assertThat(dropped.keyChanged()).isTrue();
        assertThat(dropped.next().keys()).isEmpty();
        // the key column itself dropped: its own message only, and history is still merged on it first
        TableSchema noId = new TableSchema(ID, 42, 'd', unknownKey.columns().subList(1, 4), 2);
        assertThat(l1.evolve(noId).incompatible()).singleElement().satisfies(i -> assertThat(i.message())
                .contains("key column id was dropped or renamed"));
        assertThat(l1.evolve(noId).keyChanged()).isTrue();
        // a FULL table that never had a key stays keyless without complaint
        TableLayout none = TableLayout.initial(unknownKey);
        assertThat(none.evolve(unknownKey).incompatible()).isEmpty();
    }

    @Test
    void sourceColumnsThatWouldTakeAnEtlNameAreRefusedWithTheRename() {
        TableSchema s = schema(1, col(true, "id", 20, -1), col(false, "_etl_op", 25, -1), col(false, "_Etl_mixed", 25, -1),
                col(false, "_ETL_X", 25, -1));
        assertThat(TableLayout.reservedNames(s)).extracting(TableLayout.Incompatible::column)
                .containsExactly("_etl_op", "_ETL_X");
        assertThat(TableLayout.reservedNames(s).get(0).message()).contains("_ETL_OP")
                .contains("ALTER TABLE \"public\".\"orders\" RENAME COLUMN \"_etl_op\" TO \"etl_op\"");
        // the plain name is taken (in PostgreSQL, or in Snowflake's upper case): a suffix until it is free
        TableSchema taken = schema(1, col(true, "id", 20, -1), col(false, "_etl_x", 25, -1), col(false, "etl_x", 25, -1),
                col(false, "ETL_X_2", 25, -1));
        assertThat(TableLayout.reservedNames(taken)).singleElement().extracting(TableLayout.Incompatible::message)
                .asString().contains("RENAME COLUMN \"_etl_x\" TO \"etl_x_3\"");
        assertThat(TableLayout.initial(V1).evolve(schema(2, col(true, "id", 20, -1), col(false, "note", 25, -1),
                col(false, "amount", 1700, ((10 << 16) | 2) + 4), col(false, "doc", 3802, -1),
                col(false, "_etl_rn", 23, -1))).incompatible()).extracting(TableLayout.Incompatible::column)
                .containsExactly("_etl_rn");
    }
}
