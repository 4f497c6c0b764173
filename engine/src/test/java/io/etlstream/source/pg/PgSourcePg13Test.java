package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.source.pg.DoctorCheck.Status;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL 13: protocol 1 without streaming. A large transaction with a rolled-back savepoint is decoded at commit
 * (spilled to disk on the server under a tiny logical_decoding_work_mem) and arrives exactly; an aborted one not at
 * all. The doctor lists 13's limits.
 */
@ExtendWith(PostgresExtension.class)
@Pg(version = 13)
class PgSourcePg13Test {

    @TempDir
    Path dir;

    @Test
    void proto1RoundTripWithASpilledTransaction(PgDatabase db) throws Exception {
        assertThat(db.queryOne("SHOW server_version_num")).startsWith("13");
        db.execute("ALTER DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE p13 (id int PRIMARY KEY, v text, n numeric(10,2), ts timestamptz)",
                "INSERT INTO p13 SELECT g, 'snap', g / 4.0, '2024-01-01 00:00:00+00' FROM generate_series(1, 100) g");
        TableId t = new TableId("public", "p13");
        assertThat(ReplicationStream.Options.forServer(130022, Duration.ofSeconds(1)).protoVersion()).isEqualTo(1);
        Path rec = dir.resolve("p13.rec");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            DoctorCheck version = new Doctor(conn).run(List.of(t)).find("server version");
            assertThat(version.status()).isEqualTo(Status.WARNING);
            assertThat(version.detail()).contains("works with limits").contains("streaming needs 14")
                    .contains("Tid Range Scan needs 14");
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "pg13_" + db.name(), List.of(t), sink,
                            SnapshotLedger.inMemory(), fastOptions())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(60),
                        source::toString);
                db.execute("BEGIN; INSERT INTO p13 SELECT g, repeat('a', 60), g / 4.0, '2024-06-01 12:00:00+02'"
                        + " FROM generate_series(101, 20000) g; SAVEPOINT s1;"
                        + " INSERT INTO p13 SELECT g, 'rolled back', 0, now() FROM generate_series(20001, 25000) g;"
                        + " ROLLBACK TO SAVEPOINT s1; UPDATE p13 SET v = 'updated' WHERE id <= 10;"
                        + " DELETE FROM p13 WHERE id BETWEEN 11 AND 20; COMMIT");
                db.execute("BEGIN; INSERT INTO p13 SELECT g, 'aborted', 0, now() FROM generate_series(30001, 35000) g;"
                        + " ROLLBACK");
                db.execute("INSERT INTO p13 VALUES (99999, 'last', 1.25, '2024-01-01 00:00:00+00')");
                SourceFixture.await(() -> RecordingSink.lines(rec).stream().anyMatch(l -> l.contains("99999"))
                        || source.failure().isPresent(), Duration.ofSeconds(120), source::toString);
                assertThat(source.failure()).isEmpty();
            } finally {
                PgSource.removePipeline(conn, "pg13_" + db.name());
            }
        }
        // Apply the recorded changes in order: the result must be the table.
        Map<Integer, String> applied = new TreeMap<>();
        for (RecordingSink.Row r : RecordingSink.read(rec)) {
            int id = Integer.parseInt(r.values().get("id"));
            switch (r.op()) {
                case "I", "U" -> applied.put(id, r.values().get("v") + "|" + r.values().get("n"));
                case "D" -> applied.remove(id);
                default -> throw new AssertionError("unexpected op " + r.op());
            }
        }
        Map<Integer, String> expected = new TreeMap<>();
        try (var c = db.connect(); var st = c.createStatement();
                var rs = st.executeQuery("SELECT id, v, n FROM p13 ORDER BY id")) {
            while (rs.next()) {
                expected.put(rs.getInt(1), rs.getString(2) + "|" + rs.getBigDecimal(3).toPlainString());
            }
        }
        assertThat(expected).hasSize(100 - 10 + 19_900 + 1);
        assertThat(applied).isEqualTo(expected);
        assertThat(applied.get(1)).isEqualTo("updated|0.25");
    }
}
