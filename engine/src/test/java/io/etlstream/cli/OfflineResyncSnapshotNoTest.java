package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Source;
import io.etlstream.emulator.Faults;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.home.EtlHome;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.PgSourceRuntime;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineManager;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableStatus;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.source.pg.ChangeSink;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.snowflake.EmulatedSnowflake;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline {@code pipeline resync} (no engine running) of a {@code --snapshot no} pipeline copies the table's rows
 * on the next run, as a resync through a running engine does: one table, then the whole pipeline. Real PostgreSQL,
 * the real Snowflake sink on the emulator, the catalog as the store between runs.
 */
@ExtendWith(PostgresExtension.class)
class OfflineResyncSnapshotNoTest {

    @TempDir
    Path dir;

    StringWriter out;
    StringWriter err;

    int cli(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return CliRunner.run(dir, out, err, args);
    }

    @Test
    void aRecordedResyncOfOneTableAndOfThePipelineCopiesTheRowsOnTheNextRun(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE off_a (id int PRIMARY KEY, note text)",
                "CREATE TABLE off_b (id int PRIMARY KEY, note text)",
                "INSERT INTO off_a SELECT g, 'old' FROM generate_series(1, 30) g",
                "INSERT INTO off_b SELECT g, 'old' FROM generate_series(1, 20) g");
        try (EmulatedSnowflake sf = EmulatedSnowflake.start("OFF")) {
            SnowflakeEmulator emu = sf.emulator();
            try (Catalog c = Catalog.open(new EtlHome(dir))) {
                c.sources().add(Source.draft("real", db.host(), db.port(), db.name(), "postgres")
                        .withSsl(io.etlstream.catalog.SslMode.DISABLE, null));
                c.destinations().add(sf.destination("OFF"));
            }
            assertThat(cli("pipeline", "create", "off", "--source", "real", "--destination", "emu", "--tables",
                    "public.off_a,public.off_b", "--snapshot", "no")).as(err.toString()).isEqualTo(0);
            ReplicationNames names;
            try (Catalog c = Catalog.open(new EtlHome(dir))) {
                io.etlstream.catalog.Pipeline p = c.pipelines().require("off");
                names = new ReplicationNames(p.slotName(), p.publicationName());
            }
            try (PgPassword pw = PgPassword.none(); SnowflakeDestination dest = sf.open("OFF")) {
                PgSourceConfig config = new PgSourceConfig(db.host(), db.port(), db.name(), "postgres",
                        SslMode.DISABLE, null);
                Run run = new Run(dest, names, config, pw);

                // First run: the tables are announced, no existing row is copied; a later insert streams.
                long opens0 = emu.faults().requests(Faults.Endpoint.OPEN_CHANNEL);
                long sql0 = emu.faults().requests(Faults.Endpoint.SQL_STATEMENTS);
                run.once(m -> {
                    db.execute("INSERT INTO off_a VALUES (100, 'new')");
                    await(() -> count(emu, "OFF_A_HISTORY") == 1, "the later insert");
                });
                assertThat(count(emu, "OFF_B_HISTORY")).isZero();
                long opens1 = emu.faults().requests(Faults.Endpoint.OPEN_CHANNEL);
                long sql1 = emu.faults().requests(Faults.Endpoint.SQL_STATEMENTS);

                // Recorded with no engine running; the next run copies the table's 31 rows (and only that table).
                assertThat(cli("pipeline", "resync", "off", "--table", "public.off_a")).as(err.toString())
                        .isEqualTo(0);
                run.once(m -> await(() -> count(emu, "OFF_A_HISTORY") == 31
                        && phasesAre(m, TablePhase.STREAMING), "public.off_a copied again"));
                assertThat(count(emu, "OFF_B_HISTORY")).isZero();
                assertThat(emu.sql("SELECT COUNT(DISTINCT ID) FROM OFF_A_HISTORY", "DB", "OFF").rows())
                        .containsExactly(List.of("31"));
                long opens2 = emu.faults().requests(Faults.Endpoint.OPEN_CHANNEL);
                long sql2 = emu.faults().requests(Faults.Endpoint.SQL_STATEMENTS);
                // The resynced table's destination is created once, by its copy (not first announced and then dropped
                // and created again): as much DDL and as many channel opens as the first run spent on one of its two
                // tables, plus the two DROPs. public.off_b is in the ledger, so this run touches it only on a change.
                assertThat(opens2 - opens1).as("channel opens of the resync run").isEqualTo((opens1 - opens0) / 2);
                assertThat(sql2 - sql1).as("SQL statements of the resync run").isEqualTo((sql1 - sql0) / 2 + 2);

                // The whole pipeline: the slot is dropped now, every table copied on the next run.
                assertThat(cli("pipeline", "resync", "off", "--no-password")).as(err.toString()).isEqualTo(0);
                run.once(m -> await(() -> count(emu, "OFF_B_HISTORY") == 20 && count(emu, "OFF_A_HISTORY") == 31
                        && phasesAre(m, TablePhase.STREAMING), "every table copied again"));
                try (Catalog c = Catalog.open(new EtlHome(dir))) {
                    assertThat(new CatalogPipelineStore(c).load("off").orElseThrow().tables())
                            .extracting(TableStatus::phase).containsOnly(TablePhase.STREAMING);
                }
                new SlotManager(new PgConnector(config, pw), names).dropAll();
            }
        }
    }

    private static boolean phasesAre(PipelineManager m, TablePhase phase) {
        return m.status("off").orElseThrow().tables().stream().allMatch(t -> t.phase() == phase);
    }

    static long count(SnowflakeEmulator emu, String table) {
        try {
            return Long.parseLong(emu.sql("SELECT COUNT(*) FROM " + table, "DB", "OFF").rows().get(0).get(0));
        } catch (RuntimeException e) {
            return -1; // not created yet
        }
    }

    static void await(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!c.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    interface During {
        void accept(PipelineManager m) throws Exception;
    }

    /** One engine run on the home's catalog: start the pipeline, wait for it to stream, do something, stop. */
    private final class Run {
        final SnowflakeDestination dest;
        final ReplicationNames names;
        final PgSourceConfig config;
        final PgPassword pw;

        Run(SnowflakeDestination dest, ReplicationNames names, PgSourceConfig config, PgPassword pw) {
            this.dest = dest;
            this.names = names;
            this.config = config;
            this.pw = pw;
        }

        void once(During during) throws Exception {
            PgSourceRuntime pg = new PgSourceRuntime(new PgSourceRuntime.Parts() {
                @Override
                public PgConnector connector(PipelineDefinition p) {
                    return new PgConnector(config, pw);
                }

                @Override
                public ChangeSink sink(PipelineDefinition p) {
                    return dest.openSink(p.name(), SinkOptions.DEFAULT.withMergeInterval(Duration.ofHours(1)),
                            (l, t, msg) -> { });
                }

                @Override
                public SnapshotLedger ledger(PipelineDefinition p) {
                    return SnapshotLedger.inFile(SnapshotLedger.fileFor(dir, p.name()));
                }

                @Override
                public ReplicationNames names(PipelineDefinition p) {
                    return names;
                }
            }, PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1))
                    .withHeartbeatInterval(Duration.ZERO), Duration.ofMillis(100));
            try (Catalog c = Catalog.open(new EtlHome(dir));
                    PipelineManager m = PipelineManager.builder(pg).store(new CatalogPipelineStore(c))
                            .stopTimeout(Duration.ofSeconds(60)).build()) {
                m.loadStored();
                m.send("off", new PipelineCommand.Start()).get(90, TimeUnit.SECONDS);
                SnapshotLedger ledger = SnapshotLedger.inFile(SnapshotLedger.fileFor(dir, "off"));
                // The state says streaming before the slot exists; the ledger lists a table once the sink has it.
                await(() -> m.status("off").orElseThrow().state() == PipelineState.STREAMING
                        && ledger.completed().size() == 2, "streaming");
                during.accept(m);
                m.send("off", new PipelineCommand.Stop()).get(90, TimeUnit.SECONDS);
            }
        }
    }
}
