package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import io.etlstream.pipeline.Engine;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.control.ControlEndpoint;
import io.etlstream.pipeline.replay.ReplaySource;
import io.etlstream.batch.TableId;
import io.etlstream.source.pg.ExportedSnapshot;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.SslMode;
import io.etlstream.source.pg.pgoutput.PgOutputFixtures;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class PipelineCliTest {

    @TempDir
    Path dir;

    StringWriter out;
    StringWriter err;

    int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return CliRunner.run(dir, out, err, args);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }

    static Map<String, Object> map(String json) throws Exception {
        return new ObjectMapper().readValue(json, new com.fasterxml.jackson.core.type.TypeReference<>() {});
    }

    static List<Map<String, Object>> list(String json) throws Exception {
        return new ObjectMapper().readValue(json, new com.fasterxml.jackson.core.type.TypeReference<>() {});
    }

    @BeforeEach
    void sourceAndDestination() {
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            c.sources().add(Source.draft("pg1", "127.0.0.1", 5432, "shop", "etl"));
            // No 'destination add' command exists yet: the test stores the row through the catalog API.
            c.destinations().add(Destination.draft("sf1", "acct", "http://127.0.0.1:1", "u", "r", "DB", "SC", "key"));
        }
    }

    @Test
    void createValidatesWithTheEngineRulesAndCommandsActOnTheCatalogWithoutAnEngine() throws Exception {
        assertThat(run("pipeline", "create", "orders", "--source", "pg1", "--destination", "nowhere", "--tables",
                "public.orders")).isEqualTo(1);
        assertThat(err.toString()).contains("no destination named nowhere").contains("destination add");
        assertThat(run("pipeline", "create", "orders", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.orders", "--merge-interval", "0s")).isEqualTo(1);
        assertThat(err.toString()).contains("merge interval must be at least 1s");
        assertThat(run("pipeline", "create", "orders", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.orders,public.orders")).isEqualTo(1);
        assertThat(err.toString()).contains("lists a table twice");

        assertThat(run("pipeline", "create", "orders", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.orders,sales.items", "--mode", "history", "--merge-interval", "5m", "--deletes", "soft",
                "--snapshot", "no", "--parallelism", "2")).isEqualTo(0);
        assertThat(out.toString()).contains("created pipeline orders with 2 table(s)");

        assertThat(run("pipeline", "show", "orders", "--json")).isEqualTo(0);
        Map<String, Object> shown = map(out.toString());
        assertThat(shown.get("state")).isEqualTo("stopped");
        assertThat(shown.get("enabled")).isEqualTo(false);
        assertThat(asMap(shown.get("settings"))).containsEntry("mode", "history")
                .containsEntry("merge_interval_seconds", 300).containsEntry("deletes", "soft")
                .containsEntry("snapshot", false).containsEntry("parallelism", 2);

        assertThat(run("pipeline", "start", "orders")).isEqualTo(0);
        assertThat(out.toString()).contains("recorded in the catalog").contains("it starts with the next engine");
        assertThat(run("pipeline", "resume", "orders")).isEqualTo(1);
        assertThat(err.toString()).contains("is not paused").contains("pipeline start orders");
        assertThat(run("pipeline", "resync", "orders", "--table", "public.nope")).isEqualTo(1);
        assertThat(err.toString()).contains("has no table public.nope");

        assertThat(run("status")).isEqualTo(0);
        assertThat(out.toString()).contains("engine: offline").contains("orders").contains("stopped");
    }

    @Test
    void withAnEngineRunningTheCliTalksToItAndPrometheusServesItsMetrics() throws Exception {
        assertThat(run("pipeline", "create", "orders", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.orders")).isEqualTo(0);
        assertThat(run("pipeline", "start", "orders")).isEqualTo(0);
        assertThat(run("pipeline", "create", "idle", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.idle")).isEqualTo(0);

        ScheduledExecutorService replay = Executors.newScheduledThreadPool(1);
        var recording = io.etlstream.pipeline.replay.ReplayRecording.of(PgOutputFixtures.read(17, "basic"));
        try (Engine engine = Engine.start(new EtlHome(dir),
                Engine.Options.of(HomeLock.CONSOLE, new ReplaySource(recording, replay, 5, 20)).withMetricsPort(0))) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(ControlEndpoint.folder(new EtlHome(dir)));
            assertThat(perms).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (engine.manager().status("orders").orElseThrow().rowsTotal() == 0) {
                assertThat(System.nanoTime()).as("orders streams").isLessThan(deadline);
                Thread.sleep(5);
            }
            assertThat(run("status", "--json")).isEqualTo(0);
            List<Map<String, Object>> all = list(out.toString());
            assertThat(all).hasSize(2);
            assertThat(run("status")).isEqualTo(0);
            assertThat(out.toString()).contains("engine: running");
            assertThat(engine.manager().status("orders").orElseThrow().state()).isEqualTo(PipelineState.STREAMING);
            assertThat(engine.manager().status("idle").orElseThrow().state()).isEqualTo(PipelineState.CREATED);

            assertThat(run("pipeline", "pause", "orders")).isEqualTo(0);
            assertThat(out.toString()).contains("pipeline orders is paused");
            assertThat(run("pipeline", "resume", "orders")).isEqualTo(0);
            assertThat(out.toString()).contains("pipeline orders is streaming");
            assertThat(run("pipeline", "resume", "idle")).isEqualTo(1);
            assertThat(err.toString()).contains("is created, not paused");
            assertThat(run("pipeline", "start", "idle")).isEqualTo(0);
            assertThat(out.toString()).contains("pipeline idle is snapshotting");
            assertThat(run("pipeline", "create", "more", "--source", "pg1", "--destination", "sf1", "--tables",
                    "public.more")).isEqualTo(0);
            assertThat(engine.manager().status("more")).isPresent();

            HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + engine.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("etl_stream_pipeline_state{pipeline=\"orders\",state=\"streaming\"} 1")
                    .contains("# TYPE etl_stream_pipeline_rows_total counter")
                    .containsPattern("etl_stream_pipeline_rows_total\\{pipeline=\"orders\"\\} [1-9]");

            assertThat(run("pipeline", "delete", "more", "--keep-slot")).isEqualTo(0);
            assertThat(out.toString()).containsPattern("kept slot etl_stream_[a-z0-9]{8}_more ");
            assertThat(engine.manager().status("more")).isEmpty();
        } finally {
            replay.shutdownNow();
        }
        // The engine stopped cleanly: the socket is gone and the pipelines stay enabled for the next start.
        assertThat(ControlEndpoint.socket(new EtlHome(dir))).doesNotExist();
        assertThat(run("status", "--json")).isEqualTo(0);
        List<Map<String, Object>> after = list(out.toString());
        assertThat(after).extracting(m -> m.get("name")).containsExactly("idle", "orders");
        assertThat(after).extracting(m -> m.get("enabled")).containsExactly(true, true);
        assertThat(after.get(1).get("last_committed_lsn")).isNotEqualTo("0/0");
    }

    @Test
    void aPausedPipelineStaysPausedAcrossEngineRestartsAndPauseResumeWorkWithAndWithoutAnEngine() throws Exception {
        assertThat(run("pipeline", "create", "orders", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.orders", "--snapshot", "no")).isEqualTo(0);
        assertThat(run("pipeline", "pause", "orders")).isEqualTo(1);
        assertThat(err.toString()).contains("is stopped, so there is nothing to pause").contains("pipeline start");
        assertThat(run("pipeline", "start", "orders")).isEqualTo(0);

        var recording = io.etlstream.pipeline.replay.ReplayRecording.of(PgOutputFixtures.read(17, "basic"));
        ScheduledExecutorService replay = Executors.newScheduledThreadPool(1);
        try {
            // Paused through the running engine, then the engine stops and starts again: still paused.
            try (Engine engine = startEngine(recording, replay)) {
                awaitState(engine, PipelineState.STREAMING);
                assertThat(run("pipeline", "pause", "orders")).isEqualTo(0);
                assertThat(out.toString()).contains("pipeline orders is paused");
            }
            assertThat(stateOffline()).isEqualTo("paused");
            try (Engine engine = startEngine(recording, replay)) {
                assertThat(engine.manager().status("orders").orElseThrow().state()).isEqualTo(PipelineState.PAUSED);
                Thread.sleep(300); // the engine does not start it behind our back
                assertThat(engine.manager().status("orders").orElseThrow().state()).isEqualTo(PipelineState.PAUSED);
                assertThat(run("pipeline", "resume", "orders")).isEqualTo(0);
                assertThat(out.toString()).contains("pipeline orders is streaming");
            }
            // A clean engine stop is not a pause: it runs again with the next engine.
            assertThat(stateOffline()).isEqualTo("stopped");

            // Paused with no engine running: the next engine loads it paused; resumed offline: it streams again.
            assertThat(run("pipeline", "pause", "orders")).isEqualTo(0);
            assertThat(out.toString()).contains("stays paused with the next engine");
            assertThat(stateOffline()).isEqualTo("paused");
            try (Engine engine = startEngine(recording, replay)) {
                assertThat(engine.manager().status("orders").orElseThrow().state()).isEqualTo(PipelineState.PAUSED);
            }
            assertThat(run("pipeline", "resume", "orders")).isEqualTo(0);
            assertThat(out.toString()).contains("it starts with the next engine");
            assertThat(run("pipeline", "resume", "orders")).isEqualTo(1);
            assertThat(err.toString()).contains("is not paused");
            try (Engine engine = startEngine(recording, replay)) {
                awaitState(engine, PipelineState.STREAMING);
            }
            // Stopping a paused pipeline leaves the paused state too.
            assertThat(run("pipeline", "pause", "orders")).isEqualTo(0);
            assertThat(run("pipeline", "stop", "orders")).isEqualTo(0);
            assertThat(stateOffline()).isEqualTo("stopped");
            assertThat(run("pipeline", "show", "orders", "--json")).isEqualTo(0);
            assertThat(map(out.toString()).get("enabled")).isEqualTo(false);
        } finally {
            replay.shutdownNow();
        }
    }

    private Engine startEngine(io.etlstream.pipeline.replay.ReplayRecording recording,
            ScheduledExecutorService replay) {
        return Engine.start(new EtlHome(dir), Engine.Options.of(HomeLock.CONSOLE,
                new ReplaySource(recording, replay, 5, 20)));
    }

    private static void awaitState(Engine engine, PipelineState wanted) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (engine.manager().status("orders").orElseThrow().state() != wanted) {
            assertThat(System.nanoTime()).as("orders becomes " + wanted).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private String stateOffline() throws Exception {
        assertThat(run("pipeline", "show", "orders", "--json")).isEqualTo(0);
        return String.valueOf(map(out.toString()).get("state"));
    }

    @Test
    void deleteDropsTheSlotAndPublicationKeepSlotKeepsThemAndAnUnreachableSourceRefuses(PgDatabase db)
            throws Exception {
        db.execute("CREATE TABLE public.cli_orders (id int PRIMARY KEY)");
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            c.sources().add(Source.draft("real", db.host(), db.port(), db.name(), "postgres")
                    .withSsl(io.etlstream.catalog.SslMode.DISABLE, null));
            c.sources().add(Source.draft("down", "127.0.0.1", 1, "shop", "etl")
                    .withSsl(io.etlstream.catalog.SslMode.DISABLE, null));
        }
        try (PgPassword pw = PgPassword.none()) {
            PgConnector connector = new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                    SslMode.DISABLE, null), pw);
            for (String p : List.of("cli_gone", "cli_kept")) {
                assertThat(run("pipeline", "create", p, "--source", "real", "--destination", "sf1", "--tables",
                        "public.cli_orders")).isEqualTo(0);
            }
            ReplicationNames gone;
            ReplicationNames kept;
            try (Catalog c = Catalog.open(new EtlHome(dir))) {
                // The catalog's names, with this home's id: the ones the engine would create.
                var g = c.pipelines().require("cli_gone");
                var k = c.pipelines().require("cli_kept");
                gone = new ReplicationNames(g.slotName(), g.publicationName());
                kept = new ReplicationNames(k.slotName(), k.publicationName());
                assertThat(gone.slot()).isEqualTo("etl_stream_" + c.pipelines().homeId() + "_cli_gone");
            }
            for (ReplicationNames n : List.of(gone, kept)) {
                SlotManager slots = new SlotManager(connector, n);
                slots.ensurePublication(List.of(new TableId("public", "cli_orders")));
                try (ExportedSnapshot snap = slots.createSlotWithSnapshot()) {
                    assertThat(snap.consistentPoint()).isPositive();
                }
            }
            assertThat(run("pipeline", "create", "cli_stuck", "--source", "down", "--destination", "sf1", "--tables",
                    "public.cli_orders")).isEqualTo(0);

            assertThat(run("pipeline", "delete", "cli_gone", "--no-password")).as(err.toString()).isEqualTo(0);
            assertThat(out.toString()).contains("deleted pipeline cli_gone; dropped slot " + gone.slot()
                    + " and publication " + gone.publication()).contains("bytes of WAL");
            assertThat(slotCount(db, gone)).isEqualTo("0");
            assertThat(db.queryOne("SELECT count(*) FROM pg_publication WHERE pubname = '" + gone.publication() + "'"))
                    .isEqualTo("0");
            assertThat(run("pipeline", "show", "cli_gone")).isEqualTo(1);

            assertThat(run("pipeline", "delete", "cli_kept", "--keep-slot")).isEqualTo(0);
            assertThat(out.toString()).contains("kept slot " + kept.slot())
                    .contains("pg_drop_replication_slot('" + kept.slot() + "')")
                    .contains("DROP PUBLICATION IF EXISTS");
            assertThat(slotCount(db, kept)).isEqualTo("1");
            assertThat(db.queryOne("SELECT count(*) FROM pg_publication WHERE pubname = '" + kept.publication() + "'"))
                    .isEqualTo("1");
            assertThat(run("pipeline", "show", "cli_kept")).isEqualTo(1);
            new SlotManager(connector, kept).dropAll();

            assertThat(run("pipeline", "delete", "cli_stuck", "--no-password")).isEqualTo(1);
            assertThat(err.toString()).contains("cannot reach source down").contains("Nothing was deleted")
                    .contains("--keep-slot");
            assertThat(run("pipeline", "show", "cli_stuck")).isEqualTo(0);
        }
    }

    static String slotCount(PgDatabase db, ReplicationNames n) {
        return db.queryOne("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + n.slot() + "'");
    }
}
