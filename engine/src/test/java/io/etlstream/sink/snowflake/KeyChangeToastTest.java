package io.etlstream.sink.snowflake;

import static io.etlstream.testkit.snowflake.EmulatedSnowflake.MANUAL_MERGES;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.SOURCE_OPTIONS;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCaughtUp;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCopied;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.connector;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.catalog.DeleteMode;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An UPDATE that changes the primary key of a row whose TOASTed columns it leaves alone: under REPLICA IDENTITY
 * DEFAULT pgoutput sends the old key only and marks those columns unchanged, yet the mirror must hold the source's
 * values. Real PostgreSQL, PgSource, SnowflakeSink, the real SDK, the emulator; values > 8 kB of random text, stored
 * out of line.
 */
@ExtendWith(PostgresExtension.class)
class KeyChangeToastTest {

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass();

    @Test
    void defaultIdentityHardDeletes(PgDatabase db) throws Exception {
        run(db, "kc_hard", DeleteMode.HARD, false);
    }

    @Test
    void defaultIdentitySoftDeletes(PgDatabase db) throws Exception {
        run(db, "kc_soft", DeleteMode.SOFT, false);
    }

    @Test
    void fullIdentity(PgDatabase db) throws Exception {
        run(db, "kc_full", DeleteMode.HARD, true);
    }

    private static int salt;

    /**
     * Random hex of 12.8 kB, different per row ({@code row}: an expression of the outer row) and per call; EXTERNAL
     * storage keeps it out of line and uncompressed.
     */
    private static String big(String row) {
        return "(SELECT string_agg(md5(random()::text || s || " + row + " || " + (++salt) + "), '')"
                + " FROM generate_series(1, 400) s)";
    }

    private static String big() {
        return big("0");
    }

    private void run(PgDatabase db, String table, DeleteMode mode, boolean full) throws Exception {
        String schema = table.toUpperCase();
        SF.createSchema(schema);
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, note text, big text, big2 text)",
                "ALTER TABLE " + table + " ALTER COLUMN big SET STORAGE EXTERNAL",
                "ALTER TABLE " + table + " ALTER COLUMN big2 SET STORAGE EXTERNAL",
                "ALTER TABLE " + table + " REPLICA IDENTITY " + (full ? "FULL" : "DEFAULT"),
                "INSERT INTO " + table + " SELECT g, 'n' || g, " + big("g") + ", " + big("g") + " FROM generate_series(1, 8) g");
        assertThat(db.queryOne("SELECT (xpath('/row/c/text()', query_to_xml(format('SELECT count(DISTINCT chunk_id)"
                + " AS c FROM %s', reltoastrelid::regclass), false, true, '')))[1]::text FROM pg_class WHERE relname = '"
                + table + "'")).as("values stored out of line in the TOAST table").isEqualTo("16");
        TableId id = new TableId("public", table);
        String u = "UPDATE " + table + " SET ";
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open(schema)) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink(table, MANUAL_MERGES
                    .withDeleteMode(mode), (l, t, m) -> { });
            try (PgSource source = copied(db, conn, table, id, sink, schema, mode)) {

                // one merge window
                db.execute(u + "id = 101 WHERE id = 1", // alone; the old value only in the mirror
                        "BEGIN; " + u + "id = 102 WHERE id = 2; " + u + "id = 103 WHERE id = 102; COMMIT", // chain, 1 txn
                        u + "id = 104 WHERE id = 3", u + "note = 'x' WHERE id = 104", // chain over transactions
                        u + "id = 105 WHERE id = 104",
                        "DELETE FROM " + table + " WHERE id = 5", u + "id = 5 WHERE id = 4", // onto a deleted key
                        "INSERT INTO " + table + " VALUES (9, 'new', " + big() + ", " + big() + ")",
                        u + "id = 109 WHERE id = 9", // the old value from the window's insert
                        u + "id = 106, big2 = " + big() + " WHERE id = 6", // one TOAST column changes with the key
                        "BEGIN; DELETE FROM " + table + " WHERE id = 7; " + u + "note = 'y' WHERE id = 8; COMMIT");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertMirrorEqualsSource(db, table, schema, mode);

                // the next window: moves of rows the last window moved, one onto a key deleted in this window
                db.execute(u + "id = 201 WHERE id = 101",
                        "DELETE FROM " + table + " WHERE id = 103", u + "id = 103, note = 'z' WHERE id = 105",
                        "BEGIN; " + u + "id = 110 WHERE id = 109; " + u + "id = 109 WHERE id = 110; COMMIT");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertMirrorEqualsSource(db, table, schema, mode);
                // a merge that runs again over the same history (a crash before its watermark was saved)
                SF.sql(SnowflakeSql.merge(DestinationTables.of(id, "DB", schema),
                        TableLayout.initial(new TableSchema(id, 1, full ? 'f' : 'd', List.of(
                                new RelationColumn(true, "id", 23, -1), new RelationColumn(false, "note", 25, -1),
                                new RelationColumn(false, "big", 25, -1), new RelationColumn(false, "big2", 25, -1)),
                                1)),
                        mode == DeleteMode.SOFT ? SnowflakeSql.DeleteMode.SOFT : SnowflakeSql.DeleteMode.HARD, 0L),
                        schema);
                assertMirrorEqualsSource(db, table, schema, mode);
            }
            sink.close();
        }
    }

    /**
     * The usual window holds no key change and takes the plain MERGE (no recursive walk, no extra query); a window
     * with 150 moves of one row, one per transaction, is merged in sub-windows, so that no MERGE recurses more than
     * Snowflake's MAX_RECURSIONS (100).
     */
    @Test
    void manyMovesOfOneRowInOneWindowAreMergedInSubWindows(PgDatabase db) throws Exception {
        String table = "kc_chain";
        String schema = table.toUpperCase();
        SF.createSchema(schema);
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, note text, big text, big2 text)",
                "ALTER TABLE " + table + " ALTER COLUMN big SET STORAGE EXTERNAL",
                "ALTER TABLE " + table + " ALTER COLUMN big2 SET STORAGE EXTERNAL",
                "INSERT INTO " + table + " SELECT g, 'n' || g, " + big("g") + ", " + big("g") + " FROM generate_series(1, 3) g");
        TableId id = new TableId("public", table);
        String u = "UPDATE " + table + " SET ";
        List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open(schema)) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink(table, MANUAL_MERGES,
                    (l, t, m) -> { });
            sink.statementObserver = sent::add;
            try (PgSource source = copied(db, conn, table, id, sink, schema, DeleteMode.HARD)) {

                sent.clear();
                db.execute(u + "note = 'x' WHERE id = 2", "DELETE FROM " + table + " WHERE id = 3");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertMirrorEqualsSource(db, table, schema, DeleteMode.HARD);
                assertThat(merges(sent)).hasSize(1).allSatisfy(m -> assertThat(m).doesNotContain("WITH RECURSIVE"));
                assertThat(sent).noneMatch(s -> s.contains("COUNT(*)"));

                sent.clear();
                String[] moves = new String[150];
                for (int i = 0; i < moves.length; i++) {
                    moves[i] = u + "id = " + (1001 + i) + " WHERE id = " + (i == 0 ? 1 : 1000 + i);
                }
                db.execute(moves);
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertMirrorEqualsSource(db, table, schema, DeleteMode.HARD);
                assertThat(sent).filteredOn(s -> s.contains("COUNT(*)")).hasSize(1);
                List<String> split = merges(sent);
                assertThat(split).as("150 moves, at most %d per MERGE", SnowflakeSink.MAX_MOVES_PER_MERGE).hasSize(2)
                        .allSatisfy(m -> assertThat(m).contains("WITH RECURSIVE"));
                assertThat(split.get(0)).contains("h._ETL_LSN <= ");
                assertThat(split.get(1)).doesNotContain("h._ETL_LSN <= ");

                // the window right after still starts at the last move's transaction; the one after that is plain
                db.execute(u + "note = 'y' WHERE id = 1150");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                sent.clear();
                db.execute(u + "note = 'z' WHERE id = 1150");
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertMirrorEqualsSource(db, table, schema, DeleteMode.HARD);
                assertThat(merges(sent)).hasSize(1).allSatisfy(m -> assertThat(m).doesNotContain("WITH RECURSIVE"));
            }
            sink.close();
        }
    }

    private static List<String> merges(List<String> statements) {
        return statements.stream().filter(s -> s.startsWith("MERGE INTO")).toList();
    }

    private static void assertMirrorEqualsSource(PgDatabase db, String table, String schema, DeleteMode mode) {
        String live = mode == DeleteMode.SOFT ? " WHERE NOT COALESCE(_ETL_DELETED, FALSE)" : "";
        List<String> sf = SF.joined("SELECT ID, NOTE, BIG, BIG2 FROM " + schema.toUpperCase() + "."
                + table.toUpperCase() + live + " ORDER BY ID", schema);
        List<String> pg = db.queryColumn("SELECT concat_ws('|', id, coalesce(note, 'null'), coalesce(big, 'null'),"
                + " coalesce(big2, 'null')) FROM " + table + " ORDER BY id");
        assertThat(sf).hasSameSizeAs(pg);
        for (int i = 0; i < pg.size(); i++) {
            String p = pg.get(i);
            assertThat(sf.get(i)).as("mirror row %d (id %s)", i, p.substring(0, p.indexOf('|'))).isEqualTo(p);
        }
    }

    /** A started source whose copy of {@code table} is merged into the mirror, checked equal to the source. */
    private PgSource copied(PgDatabase db, PgConnector conn, String table, TableId id, SnowflakeSink sink,
            String schema, DeleteMode mode) throws Exception {
        SnapshotLedger ledger = SnapshotLedger.inMemory();
        PgSource source = new PgSource(conn, table, List.of(id), sink, ledger, SOURCE_OPTIONS);
        try {
            source.start();
            awaitCopied(source, ledger, 1, Duration.ofSeconds(90));
            awaitCaughtUp(db, source);
            sink.mergeNow(true);
            assertMirrorEqualsSource(db, table, schema, mode);
            return source;
        } catch (Throwable e) {
            source.close();
            throw e;
        }
    }
}
