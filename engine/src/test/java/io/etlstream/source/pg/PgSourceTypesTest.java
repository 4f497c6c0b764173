package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Values of every mapped type arrive the same through the snapshot (COPY text) and the stream (pgoutput text): one
 * conversion path. Spot checks pin exact values that text handling could damage.
 */
class PgSourceTypesTest {

    @TempDir
    Path dir;

    static final String VALUES = "true, 32767, 2147483647, 9223372036854775807, 1.5::real, 3.141592653589793::float8,"
            + " 12345678901234567890.123456789, 'tab\there' || chr(10) || 'line \\ back', 'vc', 'bp', '\\x00ff10'::bytea,"
            + " '2024-02-29', '23:59:59.999999', '12:00:00+05:30', '2024-02-29 12:34:56.789012',"
            + " '2024-02-29 12:34:56.789012+02', '1 year 2 mons 3 days 04:05:06.7', '123e4567-e89b-12d3-a456-426614174000',"
            + " '{\"a\": [1, 2]}'::json, '{\"b\": {\"c\": null}}'::jsonb, '192.168.0.1/24'::inet, '10.0.0.0/8'::cidr,"
            + " ARRAY[1, NULL, 3], ARRAY['x', 'y,z'], 'infinity'::timestamp, NULL";

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void snapshotAndStreamDeliverTheSameExactValues(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE ty (id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 real, f8 float8,"
                        + " n numeric(38,9), t text, vc varchar(10), bp char(4), by bytea, d date, tm time, ttz timetz,"
                        + " ts timestamp, tstz timestamptz, iv interval, u uuid, j json, jb jsonb, ip inet, cd cidr,"
                        + " ai int[], at text[], tinf timestamp, nul text)",
                "INSERT INTO ty VALUES (1, " + VALUES + ")");
        List<RecordingSink.Row> rows = copyThenStream(db, "ty", "types", VALUES);
        assertThat(rows).hasSize(2);
        Map<String, String> snap = new LinkedHashMap<>(rows.get(0).values());
        Map<String, String> stream = new LinkedHashMap<>(rows.get(1).values());
        assertThat(snap.remove("id")).isEqualTo("1");
        assertThat(stream.remove("id")).isEqualTo("2");
        assertThat(stream).as("stream vs snapshot").isEqualTo(snap);
        assertThat(snap.get("n")).isEqualTo("12345678901234567890.123456789");
        assertThat(snap.get("t")).isEqualTo("tab\there\nline \\ back");
        assertThat(snap.get("i8")).isEqualTo("9223372036854775807");
        assertThat(snap.get("f8")).isEqualTo("3.141592653589793");
        assertThat(snap.get("by")).isEqualTo("\\x00ff10");
        assertThat(snap.get("u")).as("uuid as its 16 bytes").isEqualTo("\\x123e4567e89b12d3a456426614174000");
        assertThat(snap.get("bp")).isEqualTo("bp  ");
        assertThat(snap.get("nul")).isNull();
    }

    static final String USER_ARRAYS = "ARRAY['happy', NULL, 'a,b', 'say \"hi\"', '{braced}', 'back\\slash', 'NULL',"
            + " 'sp ace']::ut_mood[], ARRAY[1, NULL, 2147483647]::ut_posint[], ARRAY['x', NULL]::ut_word[],"
            + " ARRAY[ROW(1, 'p,q')::ut_pair, NULL], '{}'::ut_mood[], NULL::ut_mood[], 'a,b'::ut_mood";

    /**
     * Arrays of enums and of domains over built-in types arrive as lists with their exact elements (NULL elements,
     * quoting of commas, quotes, braces and backslashes), the same on both paths; an array of a composite type stays
     * the server's text.
     */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void arraysOfEnumsAndDomainsArriveAsLists(PgDatabase db) throws Exception {
        db.execute("CREATE TYPE ut_mood AS ENUM ('happy', 'a,b', 'say \"hi\"', '{braced}', 'back\\slash', 'NULL',"
                        + " 'sp ace')",
                "CREATE DOMAIN ut_posint AS int CHECK (VALUE > 0)",
                "CREATE DOMAIN ut_word AS text",
                "CREATE TYPE ut_pair AS (n int, s text)",
                "CREATE TABLE uta (id int PRIMARY KEY, moods ut_mood[], nums ut_posint[], words ut_word[],"
                        + " pairs ut_pair[], empty ut_mood[], nul ut_mood[], one ut_mood)",
                "INSERT INTO uta VALUES (1, " + USER_ARRAYS + ")");
        List<RecordingSink.Row> rows = copyThenStream(db, "uta", "uarrays", USER_ARRAYS);
        assertThat(rows).hasSize(2);
        Map<String, String> snap = new LinkedHashMap<>(rows.get(0).values());
        Map<String, String> stream = new LinkedHashMap<>(rows.get(1).values());
        assertThat(snap.remove("id")).isEqualTo("1");
        assertThat(stream.remove("id")).isEqualTo("2");
        assertThat(stream).as("stream vs snapshot").isEqualTo(snap);
        // An Arrow list renders as JSON; text would render as PostgreSQL's {...} literal.
        assertThat(snap.get("moods"))
                .isEqualTo("[\"happy\",null,\"a,b\",\"say \\\"hi\\\"\",\"{braced}\",\"back\\\\slash\",\"NULL\",\"sp ace\"]");
        assertThat(snap.get("nums")).isEqualTo("[1,null,2147483647]");
        assertThat(snap.get("words")).isEqualTo("[\"x\",null]");
        assertThat(snap.get("empty")).isEqualTo("[]");
        assertThat(snap.get("nul")).isNull();
        assertThat(snap.get("one")).isEqualTo("a,b");
        assertThat(snap.get("pairs")).as("composite elements stay text").isEqualTo("{\"(1,\\\"p,q\\\")\",NULL}");
    }

    /**
     * Columns of scalar domains arrive as their base type, typed and with the domain's modifier (numeric(10,2) stays
     * exact), the same on both paths, also a domain over a domain; the doctor does not flag them as text.
     */
    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void scalarDomainsArriveAsTheirBaseType(PgDatabase db) throws Exception {
        db.execute("CREATE DOMAIN dm_money AS numeric(10,2)", "CREATE DOMAIN dm_flag AS bool",
                "CREATE DOMAIN dm_ts AS timestamp", "CREATE DOMAIN dm_id AS uuid",
                "CREATE DOMAIN dm_name AS varchar(20)", "CREATE DOMAIN dm_pos AS int CHECK (VALUE > 0)",
                "CREATE DOMAIN dm_deep AS dm_pos", "CREATE DOMAIN dm_text AS text",
                "CREATE TABLE udom (id int PRIMARY KEY, m dm_money, f dm_flag, ts dm_ts, u dm_id, nm dm_name,"
                        + " p dm_pos, dd dm_deep, tx dm_text)",
                "INSERT INTO udom VALUES (1, " + DOMAIN_VALUES + ")");
        List<RecordingSink.Row> rows = copyThenStream(db, "udom", "udomains", DOMAIN_VALUES);
        try (PgPassword pw = PgPassword.none()) {
            DoctorReport report = new Doctor(connector(db, pw)).run(TableNames.parseList("public.udom"));
            assertThat(report.find("table \"public\".\"udom\" types").status()).as(report.render())
                    .isEqualTo(DoctorCheck.Status.OK);
            assertThat(report.render()).doesNotContain("\"m\" dm_money").doesNotContain("\"p\" dm_pos");
        }
        assertThat(rows).hasSize(2);
        Map<String, String> snap = new LinkedHashMap<>(rows.get(0).values());
        Map<String, String> stream = new LinkedHashMap<>(rows.get(1).values());
        assertThat(snap.remove("id")).isEqualTo("1");
        assertThat(stream.remove("id")).isEqualTo("2");
        assertThat(stream).as("stream vs snapshot").isEqualTo(snap);
        // Typed values render as Java objects; text would be PostgreSQL's output ('t', a space before the time).
        assertThat(snap.get("m")).isEqualTo("12.50");
        assertThat(snap.get("f")).isEqualTo("true");
        assertThat(snap.get("ts")).isEqualTo("2024-02-29T12:34:56.789012");
        assertThat(snap.get("u")).isEqualTo("\\x123e4567e89b12d3a456426614174000");
        assertThat(snap.get("nm")).isEqualTo("abc");
        assertThat(snap.get("p")).isEqualTo("7");
        assertThat(snap.get("dd")).isEqualTo("8");
        assertThat(snap.get("tx")).isEqualTo("free text");
        try (PgPassword pw = PgPassword.none(); java.sql.Connection c = connector(db, pw).connect("test")) {
            UserArrayTypes types = new UserArrayTypes();
            int money = Integer.parseInt(db.queryOne("SELECT 'dm_money'::regtype::oid"));
            int deep = Integer.parseInt(db.queryOne("SELECT 'dm_deep'::regtype::oid"));
            assertThat(types.mapping(c, money)).isEqualTo(new UserArrayTypes.Mapping(io.etlstream.source.pg.types.PgType.NUMERIC,
                    Integer.parseInt(db.queryOne("SELECT typtypmod FROM pg_type WHERE typname = 'dm_money'"))));
            assertThat(types.mapping(c, deep).oid()).isEqualTo(io.etlstream.source.pg.types.PgType.INT4);
        }
    }

    static final String DOMAIN_VALUES = "12.5, true, '2024-02-29 12:34:56.789012', '123e4567-e89b-12d3-a456-426614174000',"
            + " 'abc', 7, 8, 'free text'";

    /**
     * Copies {@code public.TABLE} (its row 1) through a source on slot {@code slot}, then streams row 2
     * ({@code INSERT … VALUES (2, values)}); the rows the source handed over, copy first.
     */
    private List<RecordingSink.Row> copyThenStream(PgDatabase db, String table, String slot, String values)
            throws Exception {
        TableId t = new TableId("public", table);
        Path rec = dir.resolve(slot + ".rec");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, slot, List.of(t), sink, ledger, fastOptions())) {
                SourceFixture.await(() -> ledger.completed().contains(t), Duration.ofSeconds(60), source::toString);
                db.execute("INSERT INTO " + table + " VALUES (2, " + values + ")");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
            } finally {
                PgSource.removePipeline(conn, slot);
            }
        }
        return RecordingSink.read(rec);
    }
}
