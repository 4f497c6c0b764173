package io.etlstream.sink.snowflake;

import static io.etlstream.testkit.snowflake.EmulatedSnowflake.MANUAL_MERGES;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.SOURCE_OPTIONS;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCaughtUp;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.awaitCopied;
import static io.etlstream.testkit.snowflake.EmulatedSnowflake.connector;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.sink.SinkEvents;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A primary key moved onto a column the mirror already holds, with a DELETE (REPLICA IDENTITY DEFAULT: its old tuple
 * carries the old key only) written before the move and not yet merged. Merging that DELETE on the new key would
 * match no mirror row and leave the deleted row in the mirror for good, so the table stops for a resync, once what
 * history holds up to the move is merged on the old key (the mirror equals the source just before the move). Real
 * PostgreSQL, PgSource, SnowflakeSink, the real SDK, the emulator.
 */
@ExtendWith(PostgresExtension.class)
class KeyMovedOntoHeldColumnTest {

    @RegisterExtension
    static final EmulatedSnowflake SF = EmulatedSnowflake.perClass();

    @Test
    void aDeleteBeforeTheKeyMovedIsNotLost(PgDatabase db) throws Exception {
        // one merge window: a delete on the old key, the key moved onto grp, more changes on the new key
        Outcome o = copyThenChange(db, "kmv", new String[] {"CREATE TABLE kmv (id int PRIMARY KEY, grp int NOT NULL, v text)",
                "INSERT INTO kmv SELECT g, g * 10, 'v' || g FROM generate_series(1, 4) g"},
                new String[] {"DELETE FROM kmv WHERE id = 2", "UPDATE kmv SET v = 'v3 before' WHERE id = 3"},
                "ALTER TABLE kmv DROP CONSTRAINT kmv_pkey", "ALTER TABLE kmv ADD PRIMARY KEY (id, grp)",
                "INSERT INTO kmv VALUES (1, 11, 'v1 in 11')",
                "UPDATE kmv SET v = 'v4 after' WHERE id = 4 AND grp = 40",
                "DELETE FROM kmv WHERE id = 3 AND grp = 30");
        assertThat(o.beforeChange()).containsExactly("1|10|v1", "3|30|v3 before", "4|40|v4");
        assertKeptOrStopped(db, "KMV", o.errors());
        assertThat(o.stopped()).containsExactly(new TableId("public", "kmv"));
        assertThat(mirror("KMV")).as("merged on id up to the move: the source just before it")
                .isEqualTo(o.beforeChange());
    }

    /** The other way round: a column leaves the key, with a DELETE on the wider key not merged yet. */
    @Test
    void aKeyNarrowedInOneWindowStopsTheTable(PgDatabase db) throws Exception {
        Outcome o = copyThenChange(db, "kmn", new String[] {
                "CREATE TABLE kmn (id int, grp int NOT NULL, v text, PRIMARY KEY (id, grp))",
                "INSERT INTO kmn VALUES (1, 10, 'a'), (1, 11, 'b'), (2, 20, 'c')"},
                new String[] {"DELETE FROM kmn WHERE id = 1 AND grp = 10"},
                "ALTER TABLE kmn DROP CONSTRAINT kmn_pkey", "ALTER TABLE kmn ADD PRIMARY KEY (id)",
                "UPDATE kmn SET v = 'b2' WHERE id = 1");
        // merged on id, the update would match (1, 10) too, still in the mirror: two rows (1, 11, b2)
        assertThat(o.errors()).singleElement().satisfies(m -> assertThat(m).contains("Stopped table public.kmn")
                .contains("the key no longer includes column grp")
                .contains("Every change written before the key changed was merged into")
                .contains("on the old key (id, grp): it holds the table as it was just before.")
                .contains("etl-stream pipeline resync"));
        assertThat(o.stopped()).containsExactly(new TableId("public", "kmn"));
        assertThat(o.beforeChange()).containsExactly("1|11|b", "2|20|c");
        assertThat(SF.joined("SELECT ID, GRP, V FROM KMN.KMN ORDER BY ID, GRP", "KMN"))
                .as("merged on (id, grp) up to the change, nothing on the narrower key").isEqualTo(o.beforeChange());
    }

    /**
     * The sink's ERROR events and the tables it stopped after {@link #copyThenChange}, and the source's rows (id|grp|v)
     * just before the key changed.
     */
    private record Outcome(List<String> errors, List<TableId> stopped, List<String> beforeChange) {}

    /**
     * Creates {@code table} (columns id, grp, v) with {@code create}, copies it into schema {@code TABLE} (the mirror
     * must equal the source), then runs {@code before}, reads the source, runs {@code changes} (the key change first)
     * and merges them all in one window.
     */
    private static Outcome copyThenChange(PgDatabase db, String table, String[] create, String[] before,
            String... changes) throws Exception {
        String schema = table.toUpperCase(java.util.Locale.ROOT);
        SF.createSchema(schema);
        db.execute(create);
        TableId id = new TableId("public", table);
        List<String> errors = new CopyOnWriteArrayList<>();
        SinkEvents events = (level, t, m) -> {
            if (level == SinkEvents.Level.ERROR) {
                errors.add(m);
            }
        };
        try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = SF.open(schema)) {
            PgConnector conn = connector(db, pw);
            SnowflakeSink sink = dest.openSink(table, MANUAL_MERGES, events);
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource source = new PgSource(conn, table, List.of(id), sink, ledger, SOURCE_OPTIONS)) {
                source.start();
                awaitCopied(source, ledger, 1, Duration.ofSeconds(90));
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                assertThat(SF.joined("SELECT ID, GRP, V FROM " + schema + "." + schema + " ORDER BY ID, GRP", schema))
                        .as("copied").isEqualTo(db.queryColumn("SELECT concat_ws('|', id, grp, v) FROM " + table
                                + " ORDER BY id, grp"));
                db.execute(before);
                List<String> beforeChange = db.queryColumn("SELECT concat_ws('|', id, grp, v) FROM " + table
                        + " ORDER BY id, grp");
                db.execute(changes);
                awaitCaughtUp(db, source);
                sink.mergeNow(true);
                return new Outcome(List.copyOf(errors), List.copyOf(sink.stoppedTables()), beforeChange);
            } finally {
                sink.close();
            }
        }
    }

    /**
     * The history before the move cannot be merged on the new key: it is merged on the old one, then the table stops
     * with the usual resync action rather than keep the deleted row for good.
     */
    private static void assertKeptOrStopped(PgDatabase db, String schema, List<String> errors) {
        assertThat(errors).singleElement().satisfies(m -> assertThat(m).contains("Stopped table public.kmv")
                .contains("the key now includes column grp, which was not part of it before")
                .contains("Every change written before the key changed was merged into")
                .contains("on the old key (id): it holds the table as it was just before.")
                .contains("etl-stream pipeline resync"));
        assertThat(mirror(schema)).as("nothing merged on the new key").doesNotContain("1|11|v1 in 11")
                .doesNotContain("2|20|v2");
        assertThat(db.queryColumn("SELECT concat_ws('|', id, grp, v) FROM kmv WHERE id = 2")).isEmpty();
    }

    private static List<String> mirror(String schema) {
        return SF.joined("SELECT ID, GRP, V FROM " + schema + ".KMV ORDER BY ID, GRP", schema);
    }
}
