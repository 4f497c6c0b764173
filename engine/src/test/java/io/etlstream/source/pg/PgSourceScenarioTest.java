package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/** Streamed transactions with savepoints and aborts, schema changes, snapshot resume, adding a table. */
class PgSourceScenarioTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void streamedTransactionWithRolledBackSavepointThenAnAbortedOne(PgDatabase db) throws Exception {
        // A tiny decoding memory makes the server stream these transactions while they are in progress.
        db.execute("ALTER DATABASE " + db.name() + " SET logical_decoding_work_mem = '64kB'",
                "CREATE TABLE st (id int PRIMARY KEY, pad text)");
        TableId t = new TableId("public", "st");
        Path rec = dir.resolve("stream.rec");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "savepoint", List.of(t), sink, SnapshotLedger.inMemory(),
                            fastOptions())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("BEGIN; INSERT INTO st SELECT g, repeat('a', 50) FROM generate_series(1, 5000) g;"
                        + " SAVEPOINT s1; INSERT INTO st SELECT g, repeat('b', 50) FROM generate_series(5001, 10000) g;"
                        + " ROLLBACK TO SAVEPOINT s1; INSERT INTO st SELECT g, 'c' FROM generate_series(20001, 21000) g;"
                        + " COMMIT");
                db.execute("BEGIN; INSERT INTO st SELECT g, repeat('d', 50) FROM generate_series(30001, 35000) g; ROLLBACK");
                db.execute("INSERT INTO st VALUES (40000, 'after')");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
                if (db.major() >= 14) { // before 14 the server spills instead (no streaming, no slot statistics)
                    assertThat(Long.parseLong(db.queryOne("SELECT coalesce(sum(stream_txns), 0) FROM"
                            + " pg_stat_replication_slots WHERE slot_name = 'etl_stream_savepoint'")))
                            .as("the server streamed").isPositive();
                }
            } finally {
                PgSource.removePipeline(conn, "savepoint");
            }
        }
        Set<Integer> ids = RecordingSink.read(rec).stream().map(r -> Integer.parseInt(r.values().get("id")))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<Integer> expected = new TreeSet<>();
        for (int i = 1; i <= 5000; i++) {
            expected.add(i);
        }
        for (int i = 20001; i <= 21000; i++) {
            expected.add(i);
        }
        expected.add(40000);
        assertThat(ids).isEqualTo(expected);
        assertThat(RecordingSink.read(rec)).hasSize(expected.size());
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void aSchemaChangeMidStreamArrivesBeforeTheNextRow(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE sc (id int PRIMARY KEY, a text)");
        TableId t = new TableId("public", "sc");
        Path rec = dir.resolve("schema.rec");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "schema", List.of(t), sink, SnapshotLedger.inMemory(),
                            fastOptions())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("INSERT INTO sc VALUES (1, 'x')", "ALTER TABLE sc ADD COLUMN \"Näme\" varchar(20)",
                        "INSERT INTO sc VALUES (2, 'y', 'z')", "ALTER TABLE sc DROP COLUMN a",
                        "UPDATE sc SET \"Näme\" = 'w' WHERE id = 1");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
            } finally {
                PgSource.removePipeline(conn, "schema");
            }
        }
        List<String> lines = RecordingSink.lines(rec).stream().filter(l -> l.startsWith("S\t") || l.startsWith("R\t"))
                .map(l -> l.startsWith("S\t") ? "S " + String.join(",", List.of(l.split("\t")).subList(3, l.split("\t").length))
                        : "R " + String.join(",", List.of(l.split("\t")).subList(6, l.split("\t").length)))
                .collect(Collectors.toList());
        assertThat(lines).containsExactly("S id,a", "R id=1,a=x", "S id,a,Näme", "R id=2,a=y,Näme=z", "S id,Näme",
                "R id=1,Näme=w");
    }

    /** Confirms snapshots of the tables it is told to, and drops everything else. */
    static final class PartialSink implements ChangeSink {
        final Set<TableId> confirm;
        Durability durability;

        PartialSink(Set<TableId> confirm) {
            this.confirm = confirm;
        }

        @Override
        public void open(Durability d) {
            durability = d;
        }

        @Override
        public void accept(ChangeEvent e) {
            if (e instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing a batch does not fail
                }
            }
        }

        @Override
        public void snapshotCompleted(TableId t) {
            if (confirm.contains(t)) {
                durability.snapshotDurable(t);
            }
        }

        @Override
        public void close() {
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void aRestartCopiesOnlyUnconfirmedTablesAndAnAddedTableIsBackfilledAlone(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE ra (id int PRIMARY KEY)", "CREATE TABLE rb (id int PRIMARY KEY)",
                "CREATE TABLE \"Rc Parts\" (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                "CREATE TABLE rc_2023 PARTITION OF \"Rc Parts\" FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')",
                "CREATE TABLE rc_2024 PARTITION OF \"Rc Parts\" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "INSERT INTO ra SELECT generate_series(1, 1000)", "INSERT INTO rb SELECT generate_series(1, 1500)",
                "INSERT INTO \"Rc Parts\" SELECT g, date '2023-06-01' + (g % 400) FROM generate_series(1, 700) g");
        TableId a = new TableId("public", "ra");
        TableId b = new TableId("public", "rb");
        TableId c = new TableId("public", "Rc Parts");
        SnapshotLedger ledger = SnapshotLedger.inFile(dir.resolve("ledger"));
        Path rec = dir.resolve("resume.rec");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            // First run: the sink confirms only ra's snapshot, then the process "crashes".
            PartialSink partial = new PartialSink(Set.of(a));
            try (PgSource first = SourceFixture.start(conn, "resume", List.of(a, b), partial, ledger, fastOptions())) {
                SourceFixture.await(() -> ledger.completed().contains(a), Duration.ofSeconds(60), first::toString);
            }
            assertThat(ledger.completed()).containsExactly(a);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource second = SourceFixture.start(conn, "resume", List.of(a, b), sink, ledger, fastOptions())) {
                SourceFixture.await(() -> ledger.completed().contains(b), Duration.ofSeconds(60), second::toString);
                assertThat(count(rec, a)).isZero();
                assertThat(count(rec, b)).isEqualTo(1500);

                second.addTable(c);
                SourceFixture.await(() -> ledger.completed().contains(c), Duration.ofSeconds(60), second::toString);
                db.execute("INSERT INTO \"Rc Parts\" VALUES (5000, '2024-03-01')", "INSERT INTO rb VALUES (5000)");
                awaitCaughtUp(db, second, Duration.ofSeconds(60));
            } finally {
                assertThat(PgSource.removePipeline(conn, "resume")).contains("slot etl_stream_resume")
                        .contains("publication etl_stream_resume");
            }
        }
        assertThat(count(rec, a)).isZero();
        assertThat(count(rec, b)).isEqualTo(1501);
        assertThat(count(rec, c)).as("partitions arrive under their root").isEqualTo(701);
        assertThat(db.queryOne("SELECT count(*) FROM pg_replication_slots")).isEqualTo("0");
    }

    private static long count(Path rec, TableId t) {
        return RecordingSink.read(rec).stream().filter(r -> r.table().equals(t)).count();
    }
}
