package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A slot whose WAL was removed (wal_status lost) is its own error, with the fix, in the source and the doctor. */
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class PgSourceInvalidatedSlotTest {

    @Test
    void anInvalidatedSlotIsReportedWithItsFix(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE inv_t (id int PRIMARY KEY)", "CREATE TABLE inv_noise (pad text)");
        TableId t = new TableId("public", "inv_t");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (PgSource first = SourceFixture.start(conn, "invalid", List.of(t), new NullSink(), ledger, fastOptions())) {
                SourceFixture.await(() -> first.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        first::toString);
            }
            db.cluster().setConfig("max_slot_wal_keep_size", "1MB");
            try {
                for (int i = 0; i < 8 && !"lost".equals(walStatus(db)); i++) {
                    db.execute("INSERT INTO inv_noise SELECT repeat('n', 1000) FROM generate_series(1, 20000)",
                            "SELECT pg_switch_wal()", "CHECKPOINT");
                }
                assertThat(walStatus(db)).isEqualTo("lost");
                try (PgSource second = SourceFixture.start(conn, "invalid", List.of(t), new NullSink(), ledger,
                        fastOptions())) {
                    SourceFixture.await(() -> second.failure().isPresent(), Duration.ofSeconds(30), second::toString);
                    assertThat(second.failure().get()).isInstanceOf(ReplicationStream.SlotInvalidatedException.class)
                            .hasMessageContaining("wal_status = lost").hasMessageContaining("resync");
                    assertThat(second.status().state()).isEqualTo(SourceState.FAILED);
                }
                DoctorReport report = new Doctor(conn).run(List.of(t));
                DoctorCheck slot = report.find("slot etl_stream_invalid");
                assertThat(slot.status()).isEqualTo(DoctorCheck.Status.ERROR);
                assertThat(slot.fix()).contains("resync");
            } finally {
                db.cluster().setConfig("max_slot_wal_keep_size", "-1");
                PgSource.removePipeline(conn, "invalid");
            }
        }
    }

    private static String walStatus(PgDatabase db) {
        return db.queryOne("SELECT coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = 'etl_stream_invalid'");
    }
}
