package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.PgCluster;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The raw stream against real PostgreSQL: pgjdbc 42.7.10 polling, idle survival and feedback without reading. */
@ExtendWith(PostgresExtension.class)
class ReplicationStreamTest {

    @Test
    void theSilenceLimitStaysAboveHalfTheServersWalSenderTimeout() {
        Duration s60 = Duration.ofSeconds(60);
        assertThat(ReplicationStream.effectiveSilenceLimit(s60, s60)).as("defaults: unchanged").isEqualTo(s60);
        assertThat(ReplicationStream.effectiveSilenceLimit(Duration.ofSeconds(15), s60))
                .isEqualTo(Duration.ofMillis(37_500));
        assertThat(ReplicationStream.effectiveSilenceLimit(s60, Duration.ofMinutes(20)))
                .isEqualTo(Duration.ofSeconds(630));
        assertThat(ReplicationStream.effectiveSilenceLimit(Duration.ofSeconds(1), Duration.ofSeconds(4)))
                .isEqualTo(Duration.ofSeconds(4));
        assertThat(ReplicationStream.effectiveSilenceLimit(Duration.ofSeconds(3), Duration.ZERO)).as("server's off")
                .isEqualTo(Duration.ofSeconds(3));
        assertThat(ReplicationStream.effectiveSilenceLimit(Duration.ofSeconds(3), null)).as("unknown")
                .isEqualTo(Duration.ofSeconds(3));
        assertThat(ReplicationStream.effectiveSilenceLimit(Duration.ZERO, s60)).as("ours off").isZero();
    }

    @Test
    void showPrintsTimeSettingsInTheseUnits() {
        assertThat(ReplicationStream.parsePgDuration("1min")).isEqualTo(Duration.ofMinutes(1));
        assertThat(ReplicationStream.parsePgDuration("4s")).isEqualTo(Duration.ofSeconds(4));
        assertThat(ReplicationStream.parsePgDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ReplicationStream.parsePgDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(ReplicationStream.parsePgDuration("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(ReplicationStream.parsePgDuration("0")).isZero();
        assertThat(ReplicationStream.parsePgDuration("soon")).isNull();
    }

    @Test
    void theTimeoutDoublesOnlyForAConnectionSilentFromItsStart() {
        long s = TimeUnit.SECONDS.toNanos(1);
        assertThat(PgSource.silentFromTheStart(0, 3 * s, s)).as("nothing received, silent at once").isTrue();
        assertThat(PgSource.silentFromTheStart(0, 60 * s, s)).as("idle and answering for a minute").isFalse();
        assertThat(PgSource.silentFromTheStart(5, 3 * s, s)).as("it received changes").isFalse();
        assertThat(PgSource.nextSilenceFactor(1, true)).isEqualTo(2);
        assertThat(PgSource.nextSilenceFactor(8, true)).as("capped").isEqualTo(PgSource.MAX_SILENCE_FACTOR);
        assertThat(PgSource.nextSilenceFactor(4, false)).isEqualTo(1);
    }

    @Test
    void anIdleStreamSurvivesSeveralStatusIntervals(PgDatabase db) throws Exception {
        PgCluster cluster = db.cluster();
        cluster.setConfig("wal_sender_timeout", "3s");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector connector = connector(db, pw);
            SlotManager slots = new SlotManager(connector, ReplicationNames.forPipeline("idle"));
            db.execute("CREATE TABLE idle_t (id int PRIMARY KEY)");
            slots.ensurePublication(List.of(new TableId("public", "idle_t")));
            slots.createSlotWithSnapshot().close();
            try (ReplicationStream s = ReplicationStream.open(connector, slots.names().slot(), slots.names().publication(),
                    0, ReplicationStream.Options.forServer(slots.serverVersion(), Duration.ofSeconds(1)))) {
                int pid = Integer.parseInt(db.queryOne("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '"
                        + slots.names().slot() + "'"));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (System.nanoTime() < until) {
                    assertThat(s.next(TimeUnit.MILLISECONDS.toNanos(200))).isNull();
                }
                assertThat(db.queryOne("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '"
                        + slots.names().slot() + "'")).isEqualTo(String.valueOf(pid));
                db.execute("INSERT INTO idle_t VALUES (1)");
                assertThat(readTypes(s, 4, Duration.ofSeconds(10))).startsWith("BRIC");
            } finally {
                slots.dropAll();
            }
        } finally {
            cluster.setConfig("wal_sender_timeout", "60s");
        }
    }

    @Test
    void keepAliveWithoutReadingKeepsTheWalsenderAlive(PgDatabase db) throws Exception {
        PgCluster cluster = db.cluster();
        cluster.setConfig("wal_sender_timeout", "2s");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector connector = connector(db, pw);
            SlotManager slots = new SlotManager(connector, ReplicationNames.forPipeline("keepalive"));
            db.execute("CREATE TABLE ka_t (id int PRIMARY KEY, pad text)");
            slots.ensurePublication(List.of(new TableId("public", "ka_t")));
            slots.createSlotWithSnapshot().close();
            try (ReplicationStream s = ReplicationStream.open(connector, slots.names().slot(), slots.names().publication(),
                    0, ReplicationStream.Options.forServer(slots.serverVersion(), Duration.ofSeconds(1)))) {
                // Enough data to fill the socket buffers: the walsender blocks on send while we do not read.
                db.execute("INSERT INTO ka_t SELECT g, repeat('x', 200) FROM generate_series(1, 50000) g");
                assertThat(s.next(TimeUnit.SECONDS.toNanos(10))).isNotNull();
                int pid = Integer.parseInt(db.queryOne("SELECT active_pid FROM pg_replication_slots WHERE slot_name = '"
                        + slots.names().slot() + "'"));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6); // 3x wal_sender_timeout
                while (System.nanoTime() < until) {
                    s.keepAlive();
                    Thread.sleep(100);
                }
                assertThat(db.queryOne("SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = '"
                        + slots.names().slot() + "'")).isEqualTo(String.valueOf(pid));
                int inserts = 0;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (inserts < 50000 && System.nanoTime() < end) {
                    ByteBuffer b = s.next(TimeUnit.MILLISECONDS.toNanos(200));
                    if (b != null && b.get(0) == 'I') {
                        inserts++;
                    }
                }
                assertThat(inserts).isEqualTo(50000);
            } finally {
                slots.dropAll();
            }
        } finally {
            cluster.setConfig("wal_sender_timeout", "60s");
        }
    }

    static PgConnector connector(PgDatabase db, PgPassword pw) {
        return new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres", SslMode.DISABLE, null), pw);
    }

    private static String readTypes(ReplicationStream s, int count, Duration timeout) throws Exception {
        StringBuilder sb = new StringBuilder();
        long end = System.nanoTime() + timeout.toNanos();
        while (sb.length() < count && System.nanoTime() < end) {
            ByteBuffer b = s.next(TimeUnit.MILLISECONDS.toNanos(100));
            if (b != null) {
                sb.append((char) b.get(0));
            }
        }
        return sb.toString();
    }
}
