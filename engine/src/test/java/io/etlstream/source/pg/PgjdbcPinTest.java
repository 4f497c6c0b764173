package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.util.DriverInfo;

/**
 * Guards the pgjdbc pin (REFERENCE.md): 42.7.11–42.7.13 release the COPY when a blocking
 * {@link PGReplicationStream#read()} wakes up on its socket timeout, so an idle stream dies at the first status
 * update with "Tried to write to an inactive copy operation" (pgjdbc #4328). The engine polls with
 * {@code readPending()}, which that bug does not reach, so this test drives the affected path directly: an upgrade
 * to a broken driver fails here rather than in someone's reader.
 */
@ExtendWith(PostgresExtension.class)
class PgjdbcPinTest {

    @Test
    void theDriverOnTheClasspathIsNotOneOfTheBrokenReleases() {
        assertThat(DriverInfo.DRIVER_VERSION).as("pgjdbc on the classpath")
                .isNotIn("42.7.11", "42.7.12", "42.7.13");
    }

    /**
     * The replication timeout sees keepalives only through a private field of pgjdbc's stream (a new object per
     * keepalive); without it the timeout is switched off with a warning, so another driver must keep it or the
     * engine must find another way.
     */
    @Test
    void theStreamCanSeeKeepalives() {
        assertThat(ReplicationStream.seesKeepalives()).as("V3PGReplicationStream.lastServerLSN reachable").isTrue();
    }

    @Test
    void aBlockingReadWithASocketTimeoutSurvivesAnIdleSlot(PgDatabase db) throws Exception {
        try (PgPassword pw = PgPassword.none()) {
            PgConnector connector = ReplicationStreamTest.connector(db, pw);
            SlotManager slots = new SlotManager(connector, ReplicationNames.forPipeline("pin_guard"));
            db.execute("CREATE TABLE pin_t (id int PRIMARY KEY)");
            slots.ensurePublication(List.of(new TableId("public", "pin_t")));
            slots.createSlotWithSnapshot().close();
            Properties p = new Properties();
            PGProperty.USER.set(p, "postgres");
            PGProperty.REPLICATION.set(p, "database");
            PGProperty.PREFER_QUERY_MODE.set(p, "simple");
            PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
            PGProperty.SOCKET_TIMEOUT.set(p, 30); // seconds; the driver shortens it to the status interval
            String url = "jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.name();
            try (Connection c = DriverManager.getConnection(url, p)) {
                PGReplicationStream stream = c.unwrap(PGConnection.class).getReplicationAPI().replicationStream()
                        .logical().withSlotName(slots.names().slot())
                        .withSlotOption("proto_version", "1")
                        .withSlotOption("publication_names", slots.names().publication())
                        .withStatusInterval(500, TimeUnit.MILLISECONDS).start();
                // Idle for 6 status intervals, blocked in read(); the insert comes afterwards.
                CompletableFuture<ByteBuffer> first = CompletableFuture.supplyAsync(() -> {
                    try {
                        return stream.read();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(Duration.ofSeconds(3).toMillis());
                assertThat(first).as("read() must still be waiting, not failed").isNotDone();
                db.execute("INSERT INTO pin_t VALUES (1)");
                ByteBuffer b = first.get(30, TimeUnit.SECONDS);
                assertThat((char) b.get(b.position())).isEqualTo('B');
                stream.close();
            } finally {
                slots.dropAll();
            }
        }
    }
}
