package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

class SlotManagerTest {

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void createsIdempotentlyExportsASnapshotAndDropsBoth(PgDatabase db) throws Exception {
        db.execute("CREATE SCHEMA \"Sch€ma\"",
                "CREATE TABLE \"Sch€ma\".\"Ördérs\" (id int PRIMARY KEY, v text)",
                "CREATE TABLE public.items (id int PRIMARY KEY)",
                "CREATE TABLE public.measures (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                "CREATE TABLE public.measures_2024 PARTITION OF public.measures FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "INSERT INTO \"Sch€ma\".\"Ördérs\" VALUES (1, 'before')");
        TableId orders = new TableId("Sch€ma", "Ördérs");
        TableId items = new TableId("public", "items");
        TableId measures = new TableId("public", "measures");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector connector = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            SlotManager slots = new SlotManager(connector, ReplicationNames.forPipeline("Pipe " + db.major()));
            assertThat(slots.names().slot()).isEqualTo("etl_stream_pipe_" + db.major());

            assertThat(slots.ensurePublication(List.of(orders, measures))).containsExactly(orders, measures);
            assertThat(slots.ensurePublication(List.of(orders, measures))).isEmpty();
            assertThat(slots.ensurePublication(List.of(orders, items, measures))).containsExactly(items);
            assertThat(slots.publishedTables()).containsExactlyInAnyOrder(orders, items, measures);
            assertThat(db.queryOne("SELECT pubviaroot::text FROM pg_publication WHERE pubname = '" + slots.names().publication() + "'"))
                    .isEqualTo("true");
            assertThat(slots.slot()).isEmpty();

            try (ExportedSnapshot snap = slots.createSlotWithSnapshot()) {
                assertThat(snap.snapshotName()).isNotBlank();
                assertThat(snap.consistentPoint()).isPositive();
                db.execute("INSERT INTO \"Sch€ma\".\"Ördérs\" VALUES (2, 'after')");
                try (Connection c = connector.connect("test"); Statement st = c.createStatement()) {
                    c.setAutoCommit(false);
                    st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                    st.execute("SET TRANSACTION SNAPSHOT " + Sql.literal(snap.snapshotName()));
                    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM \"Sch€ma\".\"Ördérs\"")) {
                        rs.next();
                        assertThat(rs.getInt(1)).as("the row inserted after the slot is not in its snapshot").isEqualTo(1);
                    }
                    c.rollback();
                }
            }
            SlotInfo info = slots.slot().orElseThrow();
            assertThat(info.plugin()).isEqualTo("pgoutput");
            assertThat(info.invalidated()).isFalse();
            assertThatThrownBy(slots::createSlotWithSnapshot).isInstanceOf(UserFacingException.class)
                    .hasMessageContaining("already exists");

            try (ExportedSnapshot tmp = slots.createBackfillSnapshot()) {
                assertThat(slots.slot(tmp.slotName())).isPresent();
            }

            assertThat(slots.dropAll()).isEqualTo("dropped slot " + slots.names().slot() + " and publication "
                    + slots.names().publication());
            assertThat(slots.slot()).isEmpty();
            assertThat(slots.dropAll()).startsWith("nothing to drop");
            assertThat(db.queryOne("SELECT count(*) FROM pg_replication_slots")).isEqualTo("0");
        }
    }
}
