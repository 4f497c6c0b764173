package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader is killed at 10 random points while a writer changes rows; afterwards the changes the sink recorded
 * durably, deduplicated by (commit LSN, seq), are exactly the source's.
 */
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class PgSourceCrashTest {

    @TempDir
    Path dir;

    @Test
    void killedAtTenRandomPointsDeliversExactlyTheSourceChanges(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE crash_t (id int PRIMARY KEY, v int, note text)");
        TableId t = new TableId("public", "crash_t");
        Path rec = dir.resolve("crash.rec");
        long seed = System.nanoTime();
        Random random = new Random(seed);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong changes = new AtomicLong();
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            SnapshotLedger ledger = SnapshotLedger.inFile(dir.resolve("ledger"));
            RecordingSink sink = new RecordingSink(rec);
            PgSource source = SourceFixture.start(conn, "crash", List.of(t), sink, ledger, fastOptions());
            Thread writer = new Thread(() -> write(db, writing, changes, new Random(seed + 1)), "writer");
            try {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                writer.start();
                PgSource current = source;
                int reconnects = 0;
                for (int i = 0; i < 10; i++) {
                    PgSource live = current;
                    // Each kill hits a running stream, at a random moment of the writer's work.
                    SourceFixture.await(() -> live.status().state() == SourceState.STREAMING, Duration.ofSeconds(60),
                            live::toString);
                    Thread.sleep(200 + random.nextInt(600));
                    switch (i % 3) {
                        case 0 -> current.abortStreamConnection(); // the client's socket dies
                        case 1 -> db.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                                + " WHERE slot_name = 'etl_stream_crash' AND active_pid IS NOT NULL"); // the server cuts it
                        default -> { // the whole reader goes away and a new one starts from the sink's position
                            current.close();
                            reconnects += current.status().reconnects();
                            sink.close();
                            sink = new RecordingSink(rec);
                            current = SourceFixture.start(conn, "crash", List.of(t), sink, ledger, fastOptions());
                        }
                    }
                }
                writing.set(false);
                writer.join();
                awaitCaughtUp(db, current, Duration.ofSeconds(120));
                current.close();
                sink.close();
                reconnects += current.status().reconnects();
                assertThat(reconnects).as("dropped connections were reconnected").isPositive();
            } finally {
                writing.set(false);
                writer.join();
                PgSource.removePipeline(conn, "crash");
            }
        }
        Map<String, RecordingSink.Row> unique = new LinkedHashMap<>();
        for (RecordingSink.Row r : RecordingSink.read(rec)) {
            unique.putIfAbsent(r.lsn() + "/" + r.seq(), r);
        }
        assertThat(unique).as("seed " + seed).hasSize((int) changes.get());
        Map<String, String> applied = new HashMap<>();
        for (RecordingSink.Row r : unique.values()) {
            String id = r.values().get("id");
            if (r.op().equals("D")) {
                applied.remove(id);
            } else {
                applied.put(id, r.values().get("v") + "|" + r.values().get("note"));
            }
        }
        Map<String, String> actual = new HashMap<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id, v, note FROM crash_t")) {
            while (rs.next()) {
                actual.put(rs.getString(1), rs.getString(2) + "|" + rs.getString(3));
            }
        }
        assertThat(applied).as("seed " + seed).isEqualTo(actual);
    }

    private static void write(PgDatabase db, AtomicBoolean writing, AtomicLong changes, Random r) {
        int nextId = 1;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            while (writing.get()) {
                int ops = 1 + r.nextInt(5);
                long n = 0;
                for (int k = 0; k < ops; k++) {
                    int kind = nextId < 20 ? 0 : r.nextInt(3);
                    if (kind == 0) {
                        n += st.executeUpdate("INSERT INTO crash_t VALUES (" + nextId++ + ", " + r.nextInt(1000)
                                + ", 'n" + r.nextInt() + "')");
                    } else if (kind == 1) {
                        n += st.executeUpdate("UPDATE crash_t SET v = v + 1, note = 'u" + r.nextInt() + "' WHERE id = "
                                + (1 + r.nextInt(nextId - 1)));
                    } else {
                        n += st.executeUpdate("DELETE FROM crash_t WHERE id = " + (1 + r.nextInt(nextId - 1)));
                    }
                }
                c.commit();
                changes.addAndGet(n);
                Thread.sleep(2);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
