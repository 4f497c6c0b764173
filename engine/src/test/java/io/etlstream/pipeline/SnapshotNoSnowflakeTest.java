package io.etlstream.pipeline;

import static io.etlstream.testkit.snowflake.EmulatedSnowflake.connector;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code pipeline create --snapshot no} into the real Snowflake sink on the emulator: the Snowflake tables exist
 * before any change arrives, no existing row is copied, and changes after the slot's creation land.
 */
@ExtendWith(PostgresExtension.class)
class SnapshotNoSnowflakeTest {

    @Test
    void theTablesAreCreatedEmptyAndOnlyLaterChangesArrive(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE sn_sf (id int PRIMARY KEY, note text)",
                "INSERT INTO sn_sf SELECT g, 'old' FROM generate_series(1, 50) g");
        ReplicationNames names = new ReplicationNames("etl_stream_t2_snsf", "etl_stream_t2_snsf");
        try (EmulatedSnowflake sf = EmulatedSnowflake.start("SN")) {
            try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = sf.open("SN")) {
                PgConnector conn = connector(db, pw);
                SnapshotLedger ledger = SnapshotLedger.inMemory();
                PgSourceRuntime pg = new PgSourceRuntime(new EmulatorSinkParts(conn, dest, ledger, (l, t, m) -> { })
                        .names(names), PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1))
                        .withHeartbeatInterval(Duration.ZERO), Duration.ofMillis(100));
                try (PipelineManager manager = PipelineManager.builder(pg).stopTimeout(Duration.ofSeconds(60))
                        .build()) {
                    manager.create(new PipelineDefinition("snsf", "src", "emu", List.of(TableRef.parse(
                            "public.sn_sf")), new PipelineSettings(PipelineSettings.Mode.MIRROR,
                            Duration.ofSeconds(60), PipelineSettings.Deletes.HARD, false, 4, 0), false));
                    manager.send("snsf", new PipelineCommand.Start()).get(90, TimeUnit.SECONDS);
                    PipelineWiringTest.await(() -> ledger.completed().size() == 1
                            && manager.status("snsf").orElseThrow().state() == PipelineState.STREAMING,
                            "the table announced");
                    // Created before any change, and empty: the 50 existing rows are not copied.
                    assertThat(sf.sql("SELECT COUNT(*) FROM SN_SF_HISTORY", "SN").rows())
                            .containsExactly(List.of("0"));
                    assertThat(sf.sql("SELECT COUNT(*) FROM SN_SF", "SN").rows())
                            .containsExactly(List.of("0"));
                    db.execute("INSERT INTO sn_sf VALUES (100, 'new')", "UPDATE sn_sf SET note = 'changed' WHERE id = 7");
                    PipelineWiringTest.await(() -> sf.sql("SELECT COUNT(*) FROM SN_SF_HISTORY", "SN").rows()
                            .equals(List.of(List.of("2"))), "the two later changes in history");
                    assertThat(sf.sql("SELECT ID, _ETL_OP FROM SN_SF_HISTORY ORDER BY _ETL_LSN", "SN").rows())
                            .containsExactly(List.of("100", "I"), List.of("7", "U"));
                    manager.send("snsf", new PipelineCommand.Stop()).get(90, TimeUnit.SECONDS);
                }
                new SlotManager(conn, names).dropAll();
            }
        }
    }
}
