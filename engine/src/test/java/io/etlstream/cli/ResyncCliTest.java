package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.Engine;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStore;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableStatus;
import io.etlstream.pipeline.replay.ReplaySource;
import io.etlstream.source.pg.ExportedSnapshot;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.source.pg.pgoutput.PgOutputFixtures;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code etl-stream pipeline resync NAME [--table schema.t]} with and without a running engine. */
@ExtendWith(PostgresExtension.class)
class ResyncCliTest {

    @TempDir
    Path dir;

    StringWriter out;
    StringWriter err;

    int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return CliRunner.run(dir, out, err, args);
    }

    private Map<String, TablePhase> phases(String pipeline) {
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            return new CatalogPipelineStore(c).load(pipeline).orElseThrow().tables().stream()
                    .collect(Collectors.toMap(t -> t.table().toString(), TableStatus::phase));
        }
    }

    @Test
    void withoutAnEngineATableResyncIsRecordedAndAWholeResyncDropsTheSlot(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE rs_a (id int PRIMARY KEY)", "CREATE TABLE rs_b (id int PRIMARY KEY)");
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            c.sources().add(Source.draft("real", db.host(), db.port(), db.name(), "postgres")
                    .withSsl(io.etlstream.catalog.SslMode.DISABLE, null));
            c.sources().add(Source.draft("down", "127.0.0.1", 1, "shop", "etl")
                    .withSsl(io.etlstream.catalog.SslMode.DISABLE, null));
            c.destinations().add(Destination.draft("sf1", "acct", "http://127.0.0.1:1", "u", "r", "DB", "SC", "key"));
        }
        assertThat(run("pipeline", "create", "cli_rs", "--source", "real", "--destination", "sf1", "--tables",
                "public.rs_a,public.rs_b")).isEqualTo(0);
        assertThat(run("pipeline", "create", "cli_rs_down", "--source", "down", "--destination", "sf1", "--tables",
                "public.rs_a")).isEqualTo(0);
        // As after a run: both tables copied, the slot in place.
        TableId a = new TableId("public", "rs_a");
        TableId b = new TableId("public", "rs_b");
        SnapshotLedger ledger = SnapshotLedger.inFile(SnapshotLedger.fileFor(dir, "cli_rs"));
        ledger.markCompleted(a);
        ledger.markCompleted(b);
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            CatalogPipelineStore store = new CatalogPipelineStore(c);
            PipelineStore.PipelineRecord r = store.load("cli_rs").orElseThrow();
            store.save(new PipelineStore.PipelineRecord(r.definition(), r.tables().stream()
                    .map(t -> t.withPhase(TablePhase.STREAMING)).toList(), 0x1000, false));
        }
        // The names 'pipeline create' stored: they carry the home's id (etl_stream_<home id>_cli_rs).
        ReplicationNames names;
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            io.etlstream.catalog.Pipeline p = c.pipelines().require("cli_rs");
            names = new ReplicationNames(p.slotName(), p.publicationName());
        }
        assertThat(names.slot()).isNotEqualTo(ReplicationNames.forPipeline("cli_rs").slot());
        try (PgPassword pw = PgPassword.none()) {
            SlotManager slots = new SlotManager(new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(),
                    "postgres", SslMode.DISABLE, null), pw), names);
            slots.ensurePublication(List.of(a, b));
            try (ExportedSnapshot snap = slots.createSlotWithSnapshot()) {
                assertThat(snap.consistentPoint()).isPositive();
            }
        }

        assertThat(run("pipeline", "resync", "cli_rs", "--table", "public.rs_b")).as(err.toString()).isEqualTo(0);
        assertThat(out.toString()).contains("resync of public.rs_b recorded").contains("next runs");
        assertThat(ledger.completed()).containsExactly(a);
        assertThat(phases("cli_rs")).containsEntry("public.rs_a", TablePhase.STREAMING)
                .containsEntry("public.rs_b", TablePhase.PENDING_SNAPSHOT);
        assertThat(slotCount(db, names)).isEqualTo("1");

        assertThat(run("pipeline", "resync", "cli_rs", "--table", "public.nope")).isEqualTo(1);
        assertThat(err.toString()).contains("has no table public.nope");

        assertThat(run("pipeline", "resync", "cli_rs_down", "--no-password")).isEqualTo(1);
        assertThat(err.toString()).contains("cannot reach source down").contains("Nothing was changed");

        assertThat(run("pipeline", "resync", "cli_rs", "--no-password")).as(err.toString()).isEqualTo(0);
        assertThat(out.toString()).contains("dropped slot " + names.slot()).contains("copied again on a new slot");
        assertThat(slotCount(db, names)).isEqualTo("0");
        assertThat(db.queryOne("SELECT count(*) FROM pg_publication WHERE pubname = '" + names.publication() + "'"))
                .isEqualTo("0");
        assertThat(ledger.completed()).isEmpty();
        assertThat(phases("cli_rs").values()).containsOnly(TablePhase.PENDING_SNAPSHOT);
    }

    @Test
    void withAnEngineRunningTheResyncGoesThroughTheControlChannel() throws Exception {
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            c.sources().add(Source.draft("pg1", "127.0.0.1", 5432, "shop", "etl"));
            c.destinations().add(Destination.draft("sf1", "acct", "http://127.0.0.1:1", "u", "r", "DB", "SC", "key"));
        }
        assertThat(run("pipeline", "create", "orders", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.orders")).isEqualTo(0);
        assertThat(run("pipeline", "start", "orders")).isEqualTo(0);
        ScheduledExecutorService replay = Executors.newScheduledThreadPool(1);
        var recording = io.etlstream.pipeline.replay.ReplayRecording.of(PgOutputFixtures.read(17, "basic"));
        try (Engine engine = Engine.start(new EtlHome(dir),
                Engine.Options.of(HomeLock.CONSOLE, new ReplaySource(recording, replay, 5, 20)))) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (engine.manager().status("orders").orElseThrow().state() != PipelineState.STREAMING) {
                assertThat(System.nanoTime()).as("orders streams").isLessThan(deadline);
                Thread.sleep(5);
            }
            assertThat(run("pipeline", "resync", "orders", "--table", "public.orders")).as(err.toString())
                    .isEqualTo(0);
            assertThat(out.toString()).contains("pipeline orders: copying public.orders again");
            assertThat(run("pipeline", "resync", "orders", "--table", "public.nope")).isEqualTo(1);
            assertThat(err.toString()).contains("has no table public.nope");
            assertThat(run("pipeline", "resync", "orders")).as(err.toString()).isEqualTo(0);
            assertThat(out.toString()).contains("resync of every table on a new slot");
            assertThat(engine.events().recent(50)).anyMatch(e -> e.message().contains("resync of public.orders"))
                    .anyMatch(e -> e.message().contains("resync of the whole pipeline requested"));
        } finally {
            replay.shutdownNow();
        }
    }

    static String slotCount(PgDatabase db, ReplicationNames n) {
        return db.queryOne("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + n.slot() + "'");
    }
}
