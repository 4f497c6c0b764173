package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.TableId;
import io.etlstream.source.pg.types.TypeRoundTripTest;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * The snapshot's binary COPY and its text COPY give the same Arrow batches, value by value, for every mapped type
 * (the {@link TypeRoundTripTest} table) and for the columns read as output-function text (enum, inet, "char",
 * domains, arrays, money, composite, mixed-case names), on the same exported snapshot.
 */
@ExtendWith(PostgresExtension.class)
class SnapshotBinaryTextTest {

    static final String EXTRA = "CREATE TABLE \"Extra Types\" (id int PRIMARY KEY, ch \"char\", dom snap_posint,"
            + " domarr snap_tags, m money, \"MiXed Col\" varchar(10), vca varchar[], nm name, comp snap_pair,"
            + " n38 numeric(38,10), n20 numeric(20,2), n18 numeric(18,18), n5 numeric(10,5), ts timestamp(3),"
            + " tstz timestamptz, d date, bits varbit, tsv tsvector, iv interval)";

    static final List<String> EXTRA_ROWS = List.of(
            "(1, 'a', 7, '{x,\"y z\"}', 12.34, 'Upper', '{a,NULL,\"b,c\"}', 'pg_class', '(1,\"two\")',"
                    + " 1234567890123456789012345678.0123456789, 123456789012345678.90, 0.123456789012345678,"
                    + " -12345.12345, '2024-01-02 03:04:05.678', '294246-12-31 23:59:59.999999+00', '5874897-12-31',"
                    + " B'10110', 'a fat cat', '-178000000 years')",
            "(2, '\\377', 1, '{}', -0.01, '', '{}', '', '(,)', -0.0000000001, -0.01, -0.000000000000000001,"
                    + " 0.00001, '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '4713-01-01 BC', B'',"
                    + " '', '1 day -00:00:00.000001')",
            "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL)");

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void binaryAndTextCopiesGiveTheSameArrowValues(PgDatabase db) throws Exception {
        db.execute("CREATE TYPE rt_mood AS ENUM ('sad', 'happy', 'ünï')", TypeRoundTripTest.TABLE,
                "CREATE DOMAIN snap_posint AS int CHECK (VALUE > 0)", "CREATE DOMAIN snap_tags AS text[]",
                "CREATE TYPE snap_pair AS (a int, b text)", EXTRA);
        for (String row : TypeRoundTripTest.ROWS) {
            db.execute("INSERT INTO rt VALUES " + row);
        }
        if (db.major() >= 17) {
            db.execute("INSERT INTO rt (id, iv, iva) VALUES (6, 'infinity', '{-infinity,\"1 day\"}'), (7, '-infinity', NULL)");
        }
        for (String row : EXTRA_ROWS) {
            db.execute("INSERT INTO \"Extra Types\" VALUES " + row);
        }
        TableId rt = new TableId("public", "rt");
        TableId extra = new TableId("public", "Extra Types");
        try (PgPassword pw = PgPassword.none(); RootAllocator alloc = new RootAllocator()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("binary_text_" + db.name()));
            try (ExportedSnapshot snap = slots.createBackfillSnapshot()) {
                Map<String, String> text = copy(conn, alloc, snap, List.of(rt, extra), SnapshotCopier.Format.TEXT);
                Map<String, String> binary = copy(conn, alloc, snap, List.of(rt, extra), SnapshotCopier.Format.BINARY);
                assertThat(binary.keySet()).hasSize(TypeRoundTripTest.ROWS.size() + (db.major() >= 17 ? 2 : 0)
                        + EXTRA_ROWS.size() + 2); // + one schema entry per table
                assertThat(binary).containsExactlyInAnyOrderEntriesOf(text);
                // Spelled-out values, so that two equally wrong sides cannot pass.
                long tstz = java.time.Instant.parse("2024-02-29T11:14:15.500Z").toEpochMilli() * 1000;
                assertThat(binary.get("rt#1")).contains("tstz=" + tstz + ",", "n=12345.678,", "ip=192.168.0.1/24,",
                        "c=ab   ,", "mood=ünï,", "by=[0, -1, 16],");
                assertThat(binary.get("rt#3")).contains("n=null", "n__special=3", "d__special=1", "tstz__special=2");
                assertThat(binary.get("Extra Types#1")).contains("ch=a", "dom=7", "domarr=[\"x\",\"y z\"]",
                        "MiXed Col=Upper", "comp=(1,two)", "n38=1234567890123456789012345678.0123456789",
                        "n20=123456789012345678.90", "n18=0.123456789012345678", "n5=-12345.12345",
                        "d=" + java.time.LocalDate.of(5874897, 12, 31).toEpochDay() + ",", "bits=10110,");
                assertThat(binary.get("Extra Types#2")).contains("n38=-1E-10,", "n5=0.00001,");
            }
        }
    }

    /** Copies the tables on {@code snap} in one format; returns "table#id" → "column=value, ..." per row. */
    private static Map<String, String> copy(PgConnector conn, RootAllocator alloc, ExportedSnapshot snap,
            List<TableId> tables, SnapshotCopier.Format format) throws Exception {
        DeliveryQueue queue = new DeliveryQueue(1000);
        new SnapshotCopier(conn, alloc, BatchLimits.DEFAULT, 2, p -> { }, format).copy(tables, snap, queue);
        Map<String, String> rows = new TreeMap<>();
        Object item;
        while ((item = queue.poll(0)) != null) {
            if (!(item instanceof ChangeBatch b)) {
                continue;
            }
            try (b) {
                VectorSchemaRoot root = b.root();
                String table = b.schema().table().name();
                rows.put(table + "#schema", root.getSchema().toString());
                IntVector ids = (IntVector) root.getVector("id");
                for (int r = 0; r < root.getRowCount(); r++) {
                    List<String> values = new ArrayList<>();
                    for (FieldVector v : root.getFieldVectors()) {
                        String name = v.getName();
                        if (name.equals(ChangeBatch.COMMIT_TS) || name.equals(ChangeBatch.SEQ)) {
                            continue; // the copy's wall-clock time and the row's place in its batch
                        }
                        Object o = v.getObject(r);
                        values.add(name + "=" + (o instanceof byte[] bytes ? java.util.Arrays.toString(bytes) : o));
                    }
                    rows.put(table + "#" + ids.get(r), String.join(", ", values));
                }
            }
        }
        return rows;
    }
}
