package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.SchemaChange;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.arrow.vector.FieldVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * REPLICA IDENTITY FULL on a real server: pgoutput flags every column as key, the source flags the table's primary
 * key instead, in the snapshot's schema and the stream's alike; a primary key change becomes D (whole old row) + U;
 * unchanged TOAST is filled from the old row; a switch DEFAULT -> FULL changes no key flag.
 */
@ExtendWith(PostgresExtension.class)
class PgSourceFullIdentityTest {

    /** Keeps what the source delivers, in memory: schemas (snapshot and stream) and rows as text. */
    static final class CollectingSink implements ChangeSink {
        final Map<TableId, TableSchema> snapshotSchemas = new ConcurrentHashMap<>();
        final List<SchemaChange> schemaChanges = new CopyOnWriteArrayList<>();
        final List<String> streamRows = new CopyOnWriteArrayList<>();
        final Map<TableId, Integer> snapshotRows = new ConcurrentHashMap<>();
        private Durability durability;

        @Override
        public void open(Durability d) {
            durability = d;
        }

        @Override
        public void snapshotStarting(TableSchema schema, long consistentPoint) {
            snapshotSchemas.put(schema.table(), schema);
        }

        @Override
        public void accept(ChangeEvent event) {
            if (event instanceof ChangeBatch b) {
                try (b) {
                    rows(b);
                }
            } else if (event instanceof SchemaChange sc) {
                schemaChanges.add(sc);
            } else if (event instanceof io.etlstream.batch.TransactionCommitted c) {
                durability.durable(c.endLsn());
            }
        }

        private void rows(ChangeBatch b) {
            if (b.schema().version() == 0) { // the snapshot's catalog schema; the stream's start at 1
                snapshotRows.merge(b.table(), b.rowCount(), Integer::sum);
                return;
            }
            for (int r = 0; r < b.rowCount(); r++) {
                StringBuilder sb = new StringBuilder(b.table().name()).append(' ')
                        .append(b.root().getVector(ChangeBatch.OP).getObject(r)).append(' ');
                for (int c = 0; c < b.schema().columnCount(); c++) {
                    FieldVector v = b.column(c);
                    Object value = v.getObject(r);
                    String name = b.schema().columns().get(c).name();
                    sb.append(c == 0 ? "" : ",");
                    if (b.isUnchangedToast(r, c)) {
                        sb.append("<unchanged>");
                    } else if (name.equals("big") && value != null) {
                        sb.append("big:").append(value.toString().length());
                    } else {
                        sb.append(value);
                    }
                }
                streamRows.add(sb.toString());
            }
        }

        @Override
        public void snapshotCompleted(TableId table) {
            durability.snapshotDurable(table);
        }

        @Override
        public void close() {
        }
    }

    static List<String> keys(TableSchema s) {
        return s.columns().stream().filter(RelationColumn::key).map(RelationColumn::name).toList();
    }

    @Test
    void aFullTableIsKeyedOnItsPrimaryKeyInTheSnapshotAndTheStream(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE fi (id int, k text, v text, big text, PRIMARY KEY (id, k))",
                "ALTER TABLE fi ALTER COLUMN big SET STORAGE EXTERNAL", // out of line: unchanged TOAST on update
                "ALTER TABLE fi REPLICA IDENTITY FULL",
                "CREATE TABLE fnk (id int, v text)", "ALTER TABLE fnk REPLICA IDENTITY FULL",
                "CREATE TABLE sw (id int PRIMARY KEY, v text)",
                "INSERT INTO fi VALUES (1, 'a', 'x', repeat('0123456789', 500)), (2, 'b', 'y', repeat('z', 6000))",
                "INSERT INTO fnk VALUES (1, 'x')", "INSERT INTO sw VALUES (1, 'x')");
        TableId fi = new TableId("public", "fi");
        TableId fnk = new TableId("public", "fnk");
        TableId sw = new TableId("public", "sw");
        CollectingSink sink = new CollectingSink();
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource source = SourceFixture.start(conn, "fullid", List.of(fi, fnk, sw), sink, ledger,
                    fastOptions())) {
                SourceFixture.await(() -> ledger.completed().size() == 3
                        && source.status().state() == SourceState.STREAMING, Duration.ofSeconds(60), source::toString);
                db.execute("UPDATE fi SET v = 'x2' WHERE id = 1", // a non-key value; big stays unchanged TOAST
                        "UPDATE fi SET k = 'c' WHERE id = 2", // the primary key
                        "DELETE FROM fi WHERE id = 1",
                        "UPDATE fnk SET v = 'y'",
                        "UPDATE sw SET v = 'x1'",
                        "ALTER TABLE sw REPLICA IDENTITY FULL",
                        "UPDATE sw SET v = 'y'");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
                // a primary key added later: PostgreSQL sends the Relation again, and the key is read again
                db.execute("ALTER TABLE fnk ADD PRIMARY KEY (id)", "UPDATE fnk SET v = 'z'");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
            } finally {
                PgSource.removePipeline(conn, "fullid");
            }
        }
        // the snapshot's schemas
        assertThat(sink.snapshotRows).containsEntry(fi, 2).containsEntry(fnk, 1).containsEntry(sw, 1);
        assertThat(sink.snapshotSchemas.get(fi).replicaIdentity()).isEqualTo('f');
        assertThat(keys(sink.snapshotSchemas.get(fi))).containsExactly("id", "k");
        assertThat(keys(sink.snapshotSchemas.get(fnk))).isEmpty();
        assertThat(keys(sink.snapshotSchemas.get(sw))).containsExactly("id");

        // the stream's schemas: the same key flags
        List<SchemaChange> fiChanges = sink.schemaChanges.stream().filter(c -> c.table().equals(fi)).toList();
        assertThat(fiChanges).hasSize(1);
        assertThat(fiChanges.get(0).after().replicaIdentity()).isEqualTo('f');
        assertThat(keys(fiChanges.get(0).after())).containsExactly("id", "k");
        assertThat(fiChanges.get(0).after().columns()).isEqualTo(sink.snapshotSchemas.get(fi).columns());
        List<SchemaChange> fnkChanges = sink.schemaChanges.stream().filter(c -> c.table().equals(fnk)).toList();
        assertThat(fnkChanges).extracting(c -> keys(c.after())).containsExactly(List.of(), List.of("id"));
        // DEFAULT -> FULL: the identity setting changed, the key and the columns did not
        List<SchemaChange> swChanges = sink.schemaChanges.stream().filter(c -> c.table().equals(sw)).toList();
        assertThat(swChanges).extracting(c -> c.after().replicaIdentity()).containsExactly('d', 'f');
        SchemaChange toFull = swChanges.get(1);
        assertThat(toFull.replicaIdentityChanged()).isTrue();
        assertThat(toFull.addedColumns()).isEmpty();
        assertThat(toFull.droppedColumns()).isEmpty();
        assertThat(toFull.retypedColumns()).isEmpty();
        assertThat(toFull.after().columns()).isEqualTo(toFull.before().columns());
        assertThat(keys(toFull.after())).containsExactly("id");

        List<String> rows = new ArrayList<>(sink.streamRows);
        assertThat(rows).containsExactly(
                "fi U 1,a,x2,big:5000", // unchanged TOAST filled from the old row
                "fi D 2,b,y,big:6000", // the primary key changed: the old row goes ...
                "fi U 2,c,y,big:6000", // ... and the new one comes, TOAST filled
                "fi D 1,a,x2,big:5000", // a delete carries the whole old row
                "fnk U 1,y",
                "sw U 1,x1",
                "sw U 1,y",
                "fnk U 1,z");
    }
}
