package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.TableRef;
import io.etlstream.batch.TableId;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.control.ControlApi;
import io.etlstream.pipeline.control.ControlClient;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotInfo;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.Sql;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code etl-stream pipeline ...}: create, list, show and control pipelines (through the engine when one runs). */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Create, list, show and control pipelines.",
        subcommands = {PipelineCommands.Create.class, PipelineCommands.ListCmd.class, PipelineCommands.Show.class,
            PipelineCommands.Start.class, PipelineCommands.Stop.class, PipelineCommands.Pause.class,
            PipelineCommands.Resume.class, PipelineCommands.Resync.class, PipelineCommands.AddTable.class,
            PipelineCommands.RemoveTable.class, PipelineCommands.Delete.class})
final class PipelineCommands implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a pipeline (it does not start; use 'pipeline start').")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        JsonOption json;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--source", required = true, paramLabel = "SOURCE")
        String source;

        @Option(names = "--destination", required = true, paramLabel = "DESTINATION")
        String destination;

        @Option(names = "--tables", required = true, split = ",", paramLabel = "schema.table",
                description = "Comma-separated tables, e.g. public.orders,public.items.")
        List<String> tables;

        @Option(names = "--mode", defaultValue = "mirror", paramLabel = "history|mirror")
        String mode;

        @Option(names = "--merge-interval", defaultValue = "60s", paramLabel = "DURATION")
        String mergeInterval;

        @Option(names = "--deletes", defaultValue = "hard", paramLabel = "hard|soft")
        String deletes;

        @Option(names = "--snapshot", defaultValue = "yes", paramLabel = "yes|no",
                description = "Copy the existing rows first (default ${DEFAULT-VALUE}); no = stream only the changes"
                        + " made after the slot is created (the Snowflake tables are still created).")
        String snapshot;

        @Option(names = "--parallelism", defaultValue = "4", paramLabel = "N",
                description = "Connections that copy existing rows in parallel (1-64, default ${DEFAULT-VALUE}).")
        int parallelism;

        @Option(names = "--oversize", defaultValue = "stop", paramLabel = "stop|null",
                description = {"A value too large for its Snowflake column (default ${DEFAULT-VALUE}):",
                    "stop = stop that table (the others keep running; 'pipeline resync --table' brings it back);",
                    "null = write null in its place and record an event. Values are never truncated."})
        String oversize;

        @Option(names = "--priority", defaultValue = "0", paramLabel = "N",
                description = "Higher keeps running when a source's WAL budget is critical (default ${DEFAULT-VALUE}).")
        int priority;

        @Override
        public Integer call() {
            PipelineDefinition def = definition();
            Map<String, Object> answer = EngineCalls.call(EtlStreamCommand.of(spec).home(),
                    ControlApi.createRequest(def));
            PipelineStatus s = EngineCalls.pipeline(answer);
            PrintWriter out = spec.commandLine().getOut();
            if (json.enabled()) {
                StatusPrinter.detail(out, s, true);
            } else {
                out.println("created pipeline " + s.name() + " with " + s.tables().size()
                        + " table(s); start it with 'etl-stream pipeline start " + s.name() + "'");
            }
            out.flush();
            return 0;
        }

        /** The same validation the console's wizard uses: {@link PipelineSettings} and {@link PipelineDefinition}. */
        PipelineDefinition definition() {
            PipelineSettings.Mode m = switch (mode.toLowerCase(Locale.ROOT)) {
                case "history" -> PipelineSettings.Mode.HISTORY;
                case "mirror" -> PipelineSettings.Mode.MIRROR;
                default -> throw new UserFacingException("--mode must be history or mirror, not '" + mode + "'");
            };
            PipelineSettings.Deletes d = switch (deletes.toLowerCase(Locale.ROOT)) {
                case "hard" -> PipelineSettings.Deletes.HARD;
                case "soft" -> PipelineSettings.Deletes.SOFT;
                default -> throw new UserFacingException("--deletes must be hard or soft, not '" + deletes + "'");
            };
            boolean snap = switch (snapshot.toLowerCase(Locale.ROOT)) {
                case "yes", "true" -> true;
                case "no", "false" -> false;
                default -> throw new UserFacingException("--snapshot must be yes or no, not '" + snapshot + "'");
            };
            List<TableRef> refs = new ArrayList<>();
            for (String t : tables) {
                if (!t.isBlank()) {
                    refs.add(TableRef.parse(t));
                }
            }
            return new PipelineDefinition(name, source, destination, refs, new PipelineSettings(m,
                    PipelineSettings.parseInterval(mergeInterval), d, snap, parallelism, priority,
                    PipelineSettings.parseOversize(oversize)), false);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List pipelines.")
    static final class ListCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            Map<String, Object> answer = EngineCalls.call(EtlStreamCommand.of(spec).home(),
                    ControlApi.statusRequest(null));
            StatusPrinter.table(spec.commandLine().getOut(), EngineCalls.pipelines(answer), json.enabled(), null);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one pipeline in detail.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        JsonOption json;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            Map<String, Object> answer = EngineCalls.call(EtlStreamCommand.of(spec).home(),
                    ControlApi.statusRequest(name));
            StatusPrinter.detail(spec.commandLine().getOut(), EngineCalls.pipelines(answer).get(0), json.enabled());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** Shared body of the verbs that send one command to one pipeline. */
    abstract static class Verb implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        JsonOption json;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        abstract String verb();

        String table() {
            return null;
        }

        @Override
        public Integer call() {
            Map<String, Object> answer = EngineCalls.call(EtlStreamCommand.of(spec).home(),
                    ControlApi.commandRequest(name, verb(), table()));
            PipelineStatus s = EngineCalls.pipeline(answer);
            PrintWriter out = spec.commandLine().getOut();
            if (json.enabled()) {
                StatusPrinter.detail(out, s, true);
            } else if ("offline".equals(answer.get("engine"))) {
                out.println("pipeline " + s.name() + ": " + verb() + " recorded in the catalog (no engine runs on this"
                        + " home; " + (s.state() == PipelineState.PAUSED ? "it stays paused with the next engine"
                        : s.enabled() ? "it starts with the next engine" : "it does not start with the next engine")
                        + ")");
            } else {
                out.println("pipeline " + s.name() + " is " + s.state().label());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a pipeline and mark it to run with the engine.")
    static final class Start extends Verb {
        @Override
        String verb() {
            return "start";
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stop a pipeline (flush, confirm, close) and unmark it from running with the engine.")
    static final class Stop extends Verb {
        @Override
        String verb() {
            return "stop";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a pipeline: it stops streaming and stays paused, across engine restarts, until resumed.")
    static final class Pause extends Verb {
        @Override
        String verb() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused pipeline (with no engine running: it starts with the next engine).")
    static final class Resume extends Verb {
        @Override
        String verb() {
            return "resume";
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Stop and delete a pipeline, and drop its replication slot and publication on the source"
                + " (the slot stops retaining WAL). The source must be reachable, else nothing is deleted.",
                "--keep-slot keeps both and prints the SQL to drop them later."})
    static final class Delete implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--keep-slot",
                description = "Keep the replication slot and publication on the source (it keeps retaining WAL).")
        boolean keepSlot;

        @ArgGroup(exclusive = false)
        SourceCommand.SecretOptions secrets = new SourceCommand.SecretOptions();

        @Override
        public Integer call() {
            EtlHome home = EtlStreamCommand.of(spec).home();
            PrintWriter out = spec.commandLine().getOut();
            if (keepSlot) {
                // The catalog is closed to commands while an engine runs; then the names are not at hand here.
                Optional<ReplicationNames> stored = Optional.empty();
                try (Catalog catalog = Catalog.open(home)) {
                    Pipeline p = catalog.pipelines().require(name);
                    stored = Optional.of(new ReplicationNames(p.slotName(), p.publicationName()));
                } catch (RuntimeException e) {
                    // an engine holds the home: the delete goes through it below
                }
                EngineCalls.call(home, ControlApi.commandRequest(name, "delete", null));
                if (stored.isPresent()) {
                    ReplicationNames names = stored.get();
                    out.println("deleted pipeline " + name + "; kept slot " + names.slot() + " and publication "
                            + names.publication() + " on the source (the slot keeps retaining WAL). Drop them later"
                            + " with:");
                    out.println("  SELECT pg_drop_replication_slot(" + Sql.literal(names.slot()) + ");");
                    out.println("  DROP PUBLICATION IF EXISTS " + Sql.ident(names.publication()) + ";");
                } else {
                    out.println("deleted pipeline " + name + "; kept its slot and publication on the source (the slot"
                            + " keeps retaining WAL). Find them with: SELECT slot_name FROM pg_replication_slots WHERE"
                            + " slot_name LIKE 'etl\\_stream\\_%'; then drop with pg_drop_replication_slot('<name>')"
                            + " and DROP PUBLICATION <name>;");
                }
                out.flush();
                return 0;
            }
            Catalog opened;
            try {
                opened = Catalog.open(home);
            } catch (RuntimeException e) {
                throw new UserFacingException("cannot read pipeline " + name + "'s source from the catalog: "
                        + e.getMessage() + " Nothing was deleted. To delete through a running engine, pass --keep-slot"
                        + " (the slot and publication stay; the SQL to drop them is printed).", e);
            }
            StoredSource stored;
            try (Catalog catalog = opened) {
                stored = StoredSource.of(catalog, name, "pass --keep-slot to delete it anyway");
            }
            ReplicationNames names = stored.names();
            PgSourceConfig config = stored.config();
            String sourceName = stored.sourceName();
            try (PgPassword pw = SourceCommand.passwordFor(spec, config, sourceName, secrets, SecretInput.system())) {
                PgConnector connector = new PgConnector(config, pw);
                Optional<SlotInfo> slot;
                try {
                    // Reach the source before deleting anything: never leave a pipeline gone and its slot behind.
                    slot = new SlotManager(connector, names).slot();
                } catch (RuntimeException e) {
                    throw new UserFacingException("cannot reach source " + sourceName + " to drop pipeline " + name
                            + "'s slot " + names.slot() + " and publication " + names.publication() + ": "
                            + e.getMessage() + ". Nothing was deleted. Fix the connection (etl-stream source test "
                            + sourceName + "), or pass --keep-slot to delete the pipeline and keep them.", e);
                }
                EngineCalls.call(home, ControlApi.commandRequest(name, "delete", null));
                String dropped;
                try {
                    dropped = PgSource.removePipeline(connector, names);
                } catch (RuntimeException e) {
                    throw new UserFacingException("deleted pipeline " + name + " but could not drop its slot and"
                            + " publication on source " + sourceName + ": " + e.getMessage() + ". Drop them with:"
                            + " SELECT pg_drop_replication_slot(" + Sql.literal(names.slot()) + "); DROP PUBLICATION"
                            + " IF EXISTS " + Sql.ident(names.publication()) + ";", e);
                }
                out.println("deleted pipeline " + name + "; " + dropped
                        + slot.map(s -> " (the slot was retaining " + s.retainedBytes() + " bytes of WAL)").orElse(""));
            }
            out.flush();
            return 0;
        }
    }

    /** Verbs about one table of the pipeline. */
    abstract static class TableVerb extends Verb {
        @Option(names = "--table", required = true, paramLabel = "schema.table")
        String table;

        @Override
        String table() {
            return table;
        }
    }

    @Command(name = "resync", mixinStandardHelpOptions = true,
            description = {"Copy one table again from scratch (--table schema.t) while the other tables keep"
                + " streaming, or, without --table, the whole pipeline: its replication slot is dropped and created"
                + " again and every table is copied (the way back from an invalidated slot).",
                "A copied table's Snowflake tables are dropped and recreated, so its history starts again with the"
                + " copy; a table the destination stopped (schema change, value too large) runs again.",
                "With no engine running, the resync is recorded and happens at the next start; a whole-pipeline"
                + " resync then drops the slot right away (the source must be reachable)."})
    static final class Resync implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        JsonOption json;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--table", paramLabel = "schema.table",
                description = "The table to copy again; without it, every table on a new slot.")
        String table;

        @ArgGroup(exclusive = false)
        SourceCommand.SecretOptions secrets = new SourceCommand.SecretOptions();

        @Override
        public Integer call() {
            EtlHome home = EtlStreamCommand.of(spec).home();
            TableRef ref = table == null || table.isBlank() ? null : TableRef.parse(table);
            Map<String, Object> request = ControlApi.commandRequest(name, "resync", ref == null ? null : ref.toString());
            Optional<ControlClient> client = ControlClient.connect(home);
            PrintWriter out = spec.commandLine().getOut();
            PipelineStatus s;
            if (client.isPresent()) {
                try (ControlClient c = client.get()) {
                    s = EngineCalls.pipeline(c.request(request));
                }
                if (!json.enabled()) {
                    out.println(ref != null
                            ? "pipeline " + s.name() + ": copying " + ref + " again" + (s.state().isRunning()
                                    ? "; the other tables keep streaming ('etl-stream pipeline show " + s.name()
                                            + "' shows its phase)"
                                    : " when it next starts ('etl-stream pipeline start " + s.name() + "')")
                            : "pipeline " + s.name() + ": resync of every table on a new slot " + (s.state().isRunning()
                                    ? "started" : "recorded; it happens when the pipeline next starts ('etl-stream"
                                            + " pipeline start " + s.name() + "')"));
                }
            } else {
                s = ref == null ? offlineWhole(home, request) : offlineTable(home, request, ref);
            }
            if (json.enabled()) {
                StatusPrinter.detail(out, s, true);
            }
            out.flush();
            return 0;
        }

        private PipelineStatus offlineTable(EtlHome home, Map<String, Object> request, TableRef ref) {
            PipelineStatus s;
            try (Catalog catalog = Catalog.open(home)) {
                s = EngineCalls.pipeline(ControlApi.offline(new CatalogPipelineStore(catalog)).apply(request));
            }
            // The engine's record of finished copies: forgetting the table is what makes the next start copy it.
            SnapshotLedger.inFile(SnapshotLedger.fileFor(home.dir(), name)).forget(new TableId(ref.schema(),
                    ref.name()));
            if (!json.enabled()) {
                spec.commandLine().getOut().println("pipeline " + s.name() + ": resync of " + ref + " recorded (no"
                        + " engine runs on this home); it is copied again when the pipeline next runs");
            }
            return s;
        }

        private PipelineStatus offlineWhole(EtlHome home, Map<String, Object> request) {
            StoredSource stored = StoredSource.of(home, name, "recreate the pipeline");
            PgSourceConfig config = stored.config();
            String sourceName = stored.sourceName();
            ReplicationNames names = stored.names();
            PipelineStatus s;
            try (PgPassword pw = SourceCommand.passwordFor(spec, config, sourceName, secrets, SecretInput.system())) {
                PgConnector connector = new PgConnector(config, pw);
                try {
                    // Reach the source before recording anything, so a failed resync changes nothing.
                    new SlotManager(connector, names).slot();
                } catch (RuntimeException e) {
                    throw new UserFacingException("cannot reach source " + sourceName + " to drop pipeline " + name
                            + "'s slot " + names.slot() + ": " + e.getMessage() + ". Nothing was changed. Fix the"
                            + " connection (etl-stream source test " + sourceName + ") or start the engine"
                            + " ('etl-stream run') and resync through it.", e);
                }
                try (Catalog catalog = Catalog.open(home)) {
                    s = EngineCalls.pipeline(ControlApi.offline(new CatalogPipelineStore(catalog)).apply(request));
                }
                String dropped = PgSource.removePipeline(connector, names);
                SnapshotLedger.inFile(SnapshotLedger.fileFor(home.dir(), name)).clear();
                if (!json.enabled()) {
                    spec.commandLine().getOut().println("pipeline " + s.name() + ": " + dropped + "; every table is"
                            + " copied again on a new slot when the pipeline next runs");
                }
            }
            return s;
        }
    }

    @Command(name = "add-table", mixinStandardHelpOptions = true, description = "Add a table (it is copied first).")
    static final class AddTable extends TableVerb {
        @Override
        String verb() {
            return "add-table";
        }
    }

    @Command(name = "remove-table", mixinStandardHelpOptions = true,
            description = {"Stop replicating one table: it leaves the pipeline's publication and its changes are no"
                + " longer delivered (also those already in the WAL). Its Snowflake tables stay as they are.",
                "With an engine running this happens at once. Without one, the table leaves the publication now when"
                + " you pass how to reach the source (--no-password, --pg-password-file or --password-file), else"
                + " when the pipeline next starts."})
    static final class RemoveTable extends TableVerb {
        @ArgGroup(exclusive = false)
        SourceCommand.SecretOptions secrets;

        @Override
        String verb() {
            return "remove-table";
        }

        @Override
        public Integer call() {
            EtlHome home = EtlStreamCommand.of(spec).home();
            TableRef ref = TableRef.parse(table);
            Map<String, Object> answer = EngineCalls.call(home, ControlApi.commandRequest(name, verb(), ref.toString()));
            PipelineStatus s = EngineCalls.pipeline(answer);
            PrintWriter out = spec.commandLine().getOut();
            String kept = "; its destination tables stay in Snowflake as they are (drop them there if no longer"
                    + " needed)";
            if (json.enabled()) {
                StatusPrinter.detail(out, s, true);
            } else if (!"offline".equals(answer.get("engine"))) {
                out.println("pipeline " + s.name() + ": removed " + ref + "; the source "
                        + (s.state().isRunning() ? "restarted without it" : "leaves it out when it next starts")
                        + kept);
            } else {
                out.println("pipeline " + s.name() + ": removed " + ref + " (no engine runs on this home); "
                        + dropFromPublication(home, ref) + kept);
            }
            out.flush();
            return 0;
        }

        /** Offline: drops the table from the publication now if the user said how to reach the source. */
        private String dropFromPublication(EtlHome home, TableRef ref) {
            String later = "it leaves the publication when the pipeline next starts";
            if (secrets == null) {
                return later + " (pass --no-password, --pg-password-file or --password-file to drop it now)";
            }
            StoredSource stored = StoredSource.of(home, name, "recreate the pipeline");
            ReplicationNames names = stored.names();
            PgSourceConfig config = stored.config();
            String sourceName = stored.sourceName();
            try (PgPassword pw = SourceCommand.passwordFor(spec, config, sourceName, secrets, SecretInput.system())) {
                new SlotManager(new PgConnector(config, pw), names).removeTable(new TableId(ref.schema(), ref.name()));
                return "dropped it from publication " + names.publication();
            } catch (RuntimeException e) {
                return "could not drop it from publication " + names.publication() + " now (" + e.getMessage()
                        + "); " + later;
            }
        }
    }

    /**
     * A stored pipeline's slot and publication (the names the catalog stored, which carry the home's id, never ones
     * derived from the pipeline's name) and how to reach its source: the one catalog look-up of the commands that
     * work on the source with no engine running.
     */
    record StoredSource(ReplicationNames names, PgSourceConfig config, String sourceName) {

        static StoredSource of(EtlHome home, String pipeline, String ifNoSource) {
            try (Catalog catalog = Catalog.open(home)) {
                return of(catalog, pipeline, ifNoSource);
            }
        }

        static StoredSource of(Catalog catalog, String pipeline, String ifNoSource) {
            Pipeline p = catalog.pipelines().require(pipeline);
            Source src = catalog.sources().find(p.sourceId()).orElseThrow(() -> new UserFacingException(
                    "pipeline " + pipeline + " has no source in the catalog; " + ifNoSource));
            return new StoredSource(new ReplicationNames(p.slotName(), p.publicationName()), PgSourceConfig.of(src),
                    src.name());
        }
    }
}
