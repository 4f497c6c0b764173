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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Snapshot, then inserts/updates/deletes/truncates of three tables and a partitioned one in commit order, on
 * PostgreSQL 14 and 17. A TRUNCATE is a row with op T in each truncated table's batch.
 */
class PgSourceStreamTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void snapshotThenChangesOfThreeTablesInCommitOrder(PgDatabase db) throws Exception {
        db.execute("CREATE SCHEMA \"Ünïcode Schema\"",
                "CREATE TABLE a (id int PRIMARY KEY, v text)",
                "CREATE TABLE \"Ünïcode Schema\".\"MixedCase\" (id bigint PRIMARY KEY, amount numeric(12,2))",
                "CREATE TABLE c (k text PRIMARY KEY, n int)",
                "CREATE TABLE p (id int, part int, PRIMARY KEY (id, part)) PARTITION BY LIST (part)",
                "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)", "CREATE TABLE p2 PARTITION OF p FOR VALUES IN (2)",
                "INSERT INTO p VALUES (1, 1), (2, 2)",
                "INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 2500) g",
                "INSERT INTO \"Ünïcode Schema\".\"MixedCase\" VALUES (1, 10.50), (2, 20.25)", "ANALYZE a");
        TableId a = new TableId("public", "a");
        TableId m = new TableId("Ünïcode Schema", "MixedCase");
        TableId c = new TableId("public", "c");
        TableId pt = new TableId("public", "p");
        Path rec = dir.resolve("rec.txt");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            List<SnapshotProgress> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "order_" + db.major(), List.of(a, m, c, pt), sink, ledger,
                            fastOptions().withSnapshotConnections(3).withProgress(progress::add))) {
                SourceFixture.await(() -> ledger.completed().size() == 4, Duration.ofSeconds(60), source::toString);
                SnapshotProgress doneA = progress.stream().filter(p -> p.table().equals(a) && p.done()).findFirst()
                        .orElseThrow();
                assertThat(doneA.rows()).isEqualTo(2500);
                assertThat(doneA.bytes()).isPositive();
                assertThat(doneA.estimatedBytes()).isPositive();
                assertThat(doneA.estimatedRows()).isEqualTo(2500);
                assertThat(doneA.eta()).isEqualTo(Duration.ZERO);
                SnapshotProgress startA = progress.stream().filter(p -> p.table().equals(a)).findFirst().orElseThrow();
                assertThat(startA.rows()).as("a table's first report is its start").isZero();
                assertThat(startA.done()).isFalse();
                assertThat(startA.estimatedRows()).as("the planner's count after ANALYZE").isEqualTo(2500);
                assertThat(progress.stream().filter(p -> p.done()).map(SnapshotProgress::table))
                        .containsExactlyInAnyOrder(a, m, c, pt);
                db.execute("BEGIN; INSERT INTO a VALUES (3001, 'x'); UPDATE \"Ünïcode Schema\".\"MixedCase\" SET amount = 99.99"
                                + " WHERE id = 1; INSERT INTO c VALUES ('k1', 1); COMMIT",
                        "DELETE FROM a WHERE id <= 2",
                        "BEGIN; INSERT INTO c VALUES ('k2', 2); TRUNCATE a; INSERT INTO a VALUES (1, 'again'); COMMIT",
                        "UPDATE c SET n = n + 10",
                        // one statement over two tables: a T row in each table's batch
                        "BEGIN; TRUNCATE c, a RESTART IDENTITY; INSERT INTO c VALUES ('k3', 3); COMMIT",
                        // published via its root: the root's T row; a partition truncated directly is not sent
                        "BEGIN; INSERT INTO p VALUES (3, 1); TRUNCATE p; INSERT INTO p VALUES (4, 2); COMMIT",
                        "INSERT INTO p VALUES (5, 1)", "TRUNCATE p1", "INSERT INTO p VALUES (6, 2)");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
                long durable = source.status().durableLsn();
                // What the sink made durable is what PostgreSQL hears as flushed (the status update is asynchronous).
                SourceFixture.await(() -> Lsn.parse(db.queryOne("SELECT confirmed_flush_lsn FROM pg_replication_slots"
                        + " WHERE slot_name = '" + source.names().slot() + "'")) >= durable, Duration.ofSeconds(10),
                        () -> "slot confirmed_flush_lsn did not reach " + Lsn.format(durable));
            }
            assertThat(PgSource.removePipeline(conn, "order_" + db.major())).startsWith("dropped slot etl_stream_order_");
        }
        List<RecordingSink.Row> rows = RecordingSink.read(rec);
        long snapshotA = rows.stream().filter(r -> r.table().equals(a) && r.lsn() == rows.get(0).lsn()).count();
        assertThat(snapshotA).isEqualTo(2500);
        assertThat(rows.stream().filter(r -> r.table().equals(m)).limit(2).map(r -> r.values().get("amount")))
                .containsExactlyInAnyOrder("10.50", "20.25");
        // Transactions in commit order; inside one, events in their _seq order (tables are batched separately).
        List<String> stream = new ArrayList<>();
        java.util.TreeMap<Integer, String> txn = new java.util.TreeMap<>();
        int tablesCopied = 0;
        for (String line : RecordingSink.lines(rec)) {
            if (line.startsWith("P\t")) {
                tablesCopied++;
                continue;
            }
            boolean afterSnapshot = tablesCopied == 4; // copies of the three tables interleave until then
            String[] f = line.split("\t");
            if (!afterSnapshot) {
                continue;
            }
            switch (f[0]) {
                case "R" -> txn.put(Integer.parseInt(f[2]), f[3] + " " + f[5] + " " + String.join(",", List.of(f).subList(6, f.length)));
                case "C" -> {
                    if (!txn.isEmpty()) {
                        stream.addAll(txn.values());
                        stream.add("COMMIT");
                    }
                    txn.clear();
                }
                default -> { }
            }
        }
        assertThat(stream).containsExactly(
                "I a id=3001,v=x", "U MixedCase id=1,amount=99.99", "I c k=k1,n=1", "COMMIT",
                "D a id=1,v=\\N", "D a id=2,v=\\N", "COMMIT",
                "I c k=k2,n=2", "T a id=\\N,v=\\N", "I a id=1,v=again", "COMMIT",
                "U c k=k1,n=11", "U c k=k2,n=12", "COMMIT",
                "T c k=\\N,n=\\N", "T a id=\\N,v=\\N", "I c k=k3,n=3", "COMMIT",
                "I p id=3,part=1", "T p id=\\N,part=\\N", "I p id=4,part=2", "COMMIT",
                // TRUNCATE p1 sent nothing: publish_via_partition_root drops a partition's own TRUNCATE (documented
                // in CREATE PUBLICATION), so the destination still holds row 5
                "I p id=5,part=1", "COMMIT",
                "I p id=6,part=2", "COMMIT");
        assertThat(stream.stream().filter(s -> !s.equals("COMMIT")).collect(Collectors.toList())).hasSize(18);
    }
}
