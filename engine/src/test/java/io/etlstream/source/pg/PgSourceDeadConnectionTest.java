package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A replication connection that ends shows at once, not at the next status update: with a 10 s status interval the
 * source is RECONNECTING within 3 s of the cut, and within 3 s of a server's fast shutdown. An idle healthy stream is
 * not taken for a dead one.
 */
@ExtendWith(PostgresExtension.class)
class PgSourceDeadConnectionTest {

    private static final Duration STATUS = Duration.ofSeconds(10);

    private static PgSource.Options options() {
        return SourceFixture.fastOptions().withStatusInterval(STATUS)
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1));
    }

    @Test
    void aCutConnectionIsNoticedWithinThreeSecondsAndTheSourceStreamsAgain(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE dc (id int PRIMARY KEY)");
        TableId t = new TableId("public", "dc");
        try (PgPassword pw = PgPassword.none(); TcpProxy proxy = new TcpProxy(db.host(), db.port())) {
            PgConnector conn = SourceFixture.throughProxy(proxy, db, pw, 10);
            try (PgSource source = SourceFixture.start(conn, "deadconn", List.of(t), new NullSink(),
                    SnapshotLedger.inMemory(), options())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("INSERT INTO dc SELECT generate_series(1, 10)");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));
                // Just after a status update went out, so the next one (10 s on) cannot be what notices the cut.
                Thread.sleep(500);
                long cut = System.nanoTime();
                proxy.cutAll();
                SourceFixture.await(() -> source.status().reconnects() > 0, Duration.ofSeconds(9), source::toString);
                long noticedMs = (System.nanoTime() - cut) / 1_000_000;
                System.out.println("dead replication connection noticed after " + noticedMs + " ms");
                assertThat(noticedMs).as("time from the cut to RECONNECTING (status interval %s)", STATUS)
                        .isLessThan(4000);
                assertThat(source.status().lastError()).contains("closed the replication connection");
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("INSERT INTO dc SELECT generate_series(11, 20)");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));
            } finally {
                PgSource.removePipeline(SourceFixture.connector(db, pw), "deadconn");
            }
        }
    }

    @Test
    void aServerShuttingDownIsNoticedWithinThreeSecondsThoughItsLastWordIsLeftUnread(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE sd_dc (id int PRIMARY KEY)");
        TableId t = new TableId("public", "sd_dc");
        try (PgPassword pw = PgPassword.none()) {
            try (PgSource source = SourceFixture.start(SourceFixture.connector(db, pw), "shutdc", List.of(t),
                    new NullSink(), SnapshotLedger.inMemory(), options())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("INSERT INTO sd_dc SELECT generate_series(1, 10)");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));
                Thread.sleep(500);
                // A fast shutdown: the walsender's CommandComplete (which pgjdbc's non-blocking read leaves in its
                // buffer) and then the end of the connection.
                try {
                    // pg_ctl returns once the server is down; the time before that (the shutdown checkpoint of a
                    // cluster shared with every other test) is not the source's to notice anything in.
                    db.cluster().stop();
                    long down = System.nanoTime();
                    SourceFixture.await(() -> source.status().reconnects() > 0, Duration.ofSeconds(9),
                            () -> source.status().toString());
                    long noticedMs = (System.nanoTime() - down) / 1_000_000;
                    System.out.println("server shutdown noticed " + noticedMs + " ms after it was down");
                    assertThat(noticedMs).as("server down to RECONNECTING (status interval %s)", STATUS)
                            .isLessThan(5000);
                    assertThat(source.status().lastError()).contains("ended the replication stream");
                } finally {
                    db.cluster().startAgain();
                }
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("INSERT INTO sd_dc SELECT generate_series(11, 20)");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));
            } finally {
                PgSource.removePipeline(SourceFixture.connector(db, pw), "shutdc");
            }
        }
    }

    @Test
    void anIdleHealthyStreamIsNotTakenForDeadOver15s(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE idle_dc (id int PRIMARY KEY)");
        TableId t = new TableId("public", "idle_dc");
        try (PgPassword pw = PgPassword.none()) {
            try (PgSource source = SourceFixture.start(SourceFixture.connector(db, pw), "idledc", List.of(t),
                    new NullSink(), SnapshotLedger.inMemory(), options())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (System.nanoTime() < end) {
                    PgSource.Status s = source.status();
                    assertThat(s.state()).as(s.toString()).isEqualTo(SourceState.STREAMING);
                    assertThat(s.reconnects()).as(s.toString()).isZero();
                    Thread.sleep(100);
                }
                // still a working stream, not only a state that did not change
                db.execute("INSERT INTO idle_dc VALUES (1)");
                SourceFixture.awaitCaughtUp(db, source, Duration.ofSeconds(30));
                assertThat(source.status().reconnects()).isZero();
            } finally {
                PgSource.removePipeline(SourceFixture.connector(db, pw), "idledc");
            }
        }
    }
}
