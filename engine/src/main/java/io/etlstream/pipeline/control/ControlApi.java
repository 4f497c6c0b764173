package io.etlstream.pipeline.control;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Source;
import io.etlstream.metrics.EngineEvent;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineManager;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.PipelineStore;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.pipeline.TableStatus;
import io.etlstream.source.pg.PgSourceConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The requests the CLI (and any other client) sends, and the two ways of answering them: by the running engine
 * ({@link #engine}) or, when no engine runs on the home, straight on the catalog ({@link #offline}). Both answer with
 * the same snapshot type, so a client cannot tell the difference except by {@code "engine"}.
 */
public final class ControlApi {

    private ControlApi() {}

    // ------------------------------------------------------------------ requests

    public static Map<String, Object> statusRequest(String pipeline) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "status");
        m.put("pipeline", pipeline);
        return m;
    }

    public static Map<String, Object> commandRequest(String pipeline, String verb, String table) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "command");
        m.put("pipeline", pipeline);
        m.put("verb", verb);
        m.put("table", table);
        return m;
    }

    public static Map<String, Object> createRequest(PipelineDefinition d) {
        Map<String, Object> def = new LinkedHashMap<>();
        def.put("name", d.name());
        def.put("source", d.source());
        def.put("destination", d.destination());
        def.put("tables", d.tables().stream().map(TableRef::toString).toList());
        PipelineSettings s = d.settings();
        def.put("mode", s.mode().name().toLowerCase(Locale.ROOT));
        def.put("merge_interval_seconds", s.mergeInterval().toSeconds());
        def.put("deletes", s.deletes().name().toLowerCase(Locale.ROOT));
        def.put("snapshot", s.snapshot());
        def.put("parallelism", s.parallelism());
        def.put("priority", s.priority());
        def.put("oversize", s.oversize().name().toLowerCase(Locale.ROOT));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "create");
        m.put("definition", def);
        return m;
    }

    /** Adds a source row (its password, if any, is already in the vault under {@code config.passwordAlias()}). */
    public static Map<String, Object> sourceAddRequest(String name, PgSourceConfig config) {
        Map<String, Object> src = new LinkedHashMap<>();
        src.put("name", name);
        src.put("host", config.host());
        src.put("port", config.port());
        src.put("database", config.database());
        src.put("user", config.user());
        src.put("sslmode", config.sslMode().pgName());
        src.put("sslrootcert", config.sslRootCert() == null ? null : config.sslRootCert().toString());
        src.put("password_alias", config.passwordAlias());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "source-add");
        m.put("source", src);
        return m;
    }

    /**
     * Removes a source unless a pipeline uses it; with {@code check} only says whether it could (and which vault
     * alias holds its password), changing nothing.
     */
    public static Map<String, Object> sourceRemoveRequest(String name, boolean check) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "source-remove");
        m.put("name", name);
        m.put("check", check);
        return m;
    }

    /** The names of the sources in the catalog. */
    public static Map<String, Object> sourcesRequest() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "sources");
        return m;
    }

    /** Answers the source requests on {@code catalog}; true when it changed the set of sources. */
    @SuppressWarnings("unchecked")
    private static boolean sources(String op, Map<String, Object> req, Catalog catalog, Map<String, Object> answer) {
        switch (op) {
            case "sources" -> {
                answer.put("sources", catalog.sources().list().stream().map(Source::name).toList());
                return false;
            }
            case "source-add" -> {
                Map<String, Object> src = (Map<String, Object>) req.get("source");
                String name = (String) src.get("name");
                if (catalog.sources().find(name).isPresent()) {
                    throw new UserFacingException("a source named '" + name + "' already exists: remove it first with"
                            + " `etl-stream source remove " + name + "`");
                }
                String rootCert = (String) src.get("sslrootcert");
                PgSourceConfig config = new PgSourceConfig((String) src.get("host"),
                        ((Number) src.get("port")).intValue(), (String) src.get("database"), (String) src.get("user"),
                        io.etlstream.source.pg.SslMode.parse((String) src.get("sslmode")),
                        rootCert == null ? null : java.nio.file.Path.of(rootCert), (String) src.get("password_alias"));
                try {
                    catalog.sources().add(config.toCatalog(name));
                } catch (IllegalArgumentException e) {
                    throw new UserFacingException(e.getMessage() + "; fix it and run 'etl-stream source add' again", e);
                }
                answer.put("source", name);
                return true;
            }
            case "source-remove" -> {
                String name = (String) req.get("name");
                Source source = catalog.sources().find(name).orElseThrow(() -> new UserFacingException(
                        "no source named " + name + "; 'etl-stream source list' shows them"));
                List<String> users = catalog.pipelines().listBySource(source.id()).stream()
                        .map(io.etlstream.catalog.Pipeline::name).toList();
                if (!users.isEmpty()) {
                    throw new UserFacingException("source " + name + " is used by pipeline(s) " + String.join(", ", users)
                            + "; delete them first (etl-stream pipeline delete NAME), then remove the source");
                }
                answer.put("source", name);
                answer.put("password_alias", source.passwordAlias());
                if (Boolean.TRUE.equals(req.get("check"))) {
                    return false;
                }
                catalog.sources().remove(name);
                return true;
            }
            default -> throw new UserFacingException("unknown request '" + op + "'");
        }
    }

    private static boolean isSourceOp(String op) {
        return op.equals("sources") || op.startsWith("source-");
    }

    @SuppressWarnings("unchecked")
    static PipelineDefinition definition(Map<String, Object> req) {
        Map<String, Object> d = (Map<String, Object>) req.get("definition");
        PipelineSettings s = new PipelineSettings(
                PipelineSettings.Mode.valueOf(((String) d.get("mode")).toUpperCase(Locale.ROOT)),
                Duration.ofSeconds(((Number) d.get("merge_interval_seconds")).longValue()),
                PipelineSettings.Deletes.valueOf(((String) d.get("deletes")).toUpperCase(Locale.ROOT)),
                (Boolean) d.get("snapshot"), ((Number) d.get("parallelism")).intValue(),
                ((Number) d.get("priority")).intValue(),
                PipelineSettings.parseOversize(String.valueOf(d.getOrDefault("oversize", "stop"))));
        List<TableRef> tables = ((List<String>) d.get("tables")).stream().map(TableRef::parse).toList();
        return new PipelineDefinition((String) d.get("name"), (String) d.get("source"), (String) d.get("destination"),
                tables, s, false);
    }

    /** The command a verb names ({@code table} for resync/add-table/remove-table). */
    public static PipelineCommand command(String verb, String table) {
        return switch (verb) {
            case "start" -> new PipelineCommand.Start();
            case "stop" -> new PipelineCommand.Stop();
            case "pause" -> new PipelineCommand.Pause("asked by the user");
            case "resume" -> new PipelineCommand.Resume();
            case "delete" -> new PipelineCommand.Delete();
            // without a table: the whole pipeline (new slot, every table copied again)
            case "resync" -> table == null || table.isBlank() ? new PipelineCommand.ResyncPipeline()
                    : new PipelineCommand.ResyncTable(TableRef.parse(table));
            case "add-table" -> new PipelineCommand.AddTable(requireTable(verb, table));
            case "remove-table" -> new PipelineCommand.RemoveTable(requireTable(verb, table));
            default -> throw new UserFacingException("unknown pipeline command '" + verb + "'");
        };
    }

    private static TableRef requireTable(String verb, String table) {
        if (table == null || table.isBlank()) {
            throw new UserFacingException("'" + verb + "' needs a table: --table schema.name");
        }
        return TableRef.parse(table);
    }

    // ------------------------------------------------------------------ answers

    private static Map<String, Object> ok(String engine) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", true);
        m.put("engine", engine);
        return m;
    }

    /** Answers requests with the running engine's manager (commands wait at most {@code commandTimeout}). */
    public static Function<Map<String, Object>, Map<String, Object>> engine(PipelineManager manager,
            CatalogPipelineStore store, java.util.function.IntFunction<List<EngineEvent>> events,
            Duration commandTimeout) {
        return engine(manager, store, events, commandTimeout, () -> { });
    }

    /**
     * As above; {@code sourcesChanged} runs after a source was added or removed (the engine has its WAL monitor
     * reconcile its probes at once).
     */
    public static Function<Map<String, Object>, Map<String, Object>> engine(PipelineManager manager,
            CatalogPipelineStore store, java.util.function.IntFunction<List<EngineEvent>> events,
            Duration commandTimeout, Runnable sourcesChanged) {
        return req -> {
            String op = String.valueOf(req.get("op"));
            Map<String, Object> answer = ok("running");
            if (isSourceOp(op)) {
                if (sources(op, req, store.catalog(), answer)) {
                    sourcesChanged.run();
                }
                return answer;
            }
            switch (op) {
                case "status" -> {
                    String name = (String) req.get("pipeline");
                    List<PipelineStatus> list = name == null ? manager.statuses()
                            : List.of(manager.status(name).orElseThrow(() -> unknown(name)));
                    answer.put("pipelines", list.stream().map(StatusCodec::toMap).toList());
                }
                case "command" -> {
                    String name = (String) req.get("pipeline");
                    PipelineCommand c = command(String.valueOf(req.get("verb")), (String) req.get("table"));
                    answer.put("pipeline", StatusCodec.toMap(await(manager.send(name, c), commandTimeout)));
                }
                case "create" -> {
                    PipelineDefinition d = store.create(definition(req));
                    answer.put("pipeline", StatusCodec.toMap(manager.create(d)));
                }
                case "events" -> answer.put("events", events.apply(((Number) req.getOrDefault("limit", 50)).intValue())
                        .stream().map(ControlApi::eventMap).toList());
                default -> throw new UserFacingException("unknown request '" + op + "'");
            }
            return answer;
        };
    }

    private static PipelineStatus await(java.util.concurrent.CompletableFuture<PipelineStatus> f, Duration timeout) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new UserFacingException("the command failed: " + e.getCause());
        } catch (TimeoutException e) {
            throw new UserFacingException("the command is still in progress after " + timeout.toSeconds()
                    + " s; check 'etl-stream status' in a moment");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserFacingException("interrupted");
        }
    }

    /** Answers requests on the catalog alone: nothing runs, so commands change only what the next engine will do. */
    public static Function<Map<String, Object>, Map<String, Object>> offline(CatalogPipelineStore store) {
        return req -> {
            String op = String.valueOf(req.get("op"));
            Map<String, Object> answer = ok("offline");
            if (isSourceOp(op)) {
                sources(op, req, store.catalog(), answer);
                return answer;
            }
            switch (op) {
                case "status" -> {
                    String name = (String) req.get("pipeline");
                    List<PipelineStore.PipelineRecord> records = name == null ? store.loadAll()
                            : List.of(store.load(name).orElseThrow(() -> unknown(name)));
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (PipelineStore.PipelineRecord r : records) {
                        out.add(StatusCodec.toMap(offlineStatus(r)));
                    }
                    answer.put("pipelines", out);
                }
                case "command" -> answer.put("pipeline", StatusCodec.toMap(offlineCommand(store,
                        (String) req.get("pipeline"), String.valueOf(req.get("verb")), (String) req.get("table"))));
                case "create" -> {
                    PipelineDefinition d = store.create(definition(req));
                    answer.put("pipeline", StatusCodec.toMap(offlineStatus(store.load(d.name()).orElseThrow())));
                }
                case "events" -> answer.put("events", List.of());
                default -> throw new UserFacingException("unknown request '" + op + "'");
            }
            return answer;
        };
    }

    private static PipelineStatus offlineCommand(CatalogPipelineStore store, String name, String verb, String table) {
        PipelineStore.PipelineRecord r = store.load(name).orElseThrow(() -> unknown(name));
        PipelineDefinition d = r.definition();
        List<TableStatus> tables = new ArrayList<>(r.tables());
        PipelineCommand c = command(verb, table);
        boolean paused = r.paused();
        // The same outcomes as on a running engine: start and stop leave the paused state, resume needs it.
        if (c instanceof PipelineCommand.Start) {
            d = d.withEnabled(true);
            paused = false;
        } else if (c instanceof PipelineCommand.Stop) {
            d = d.withEnabled(false);
            paused = false;
        } else if (c instanceof PipelineCommand.Pause) {
            if (!d.enabled() && !paused) {
                throw new UserFacingException("pipeline " + name + " is stopped, so there is nothing to pause; 'pipeline"
                        + " start " + name + "' makes it run with the next engine");
            }
            paused = true;
        } else if (c instanceof PipelineCommand.Resume) {
            if (!paused) {
                throw new UserFacingException("pipeline " + name + " is not paused; use 'pipeline start " + name + "'");
            }
            paused = false;
        } else if (c instanceof PipelineCommand.Delete) {
            store.delete(name);
            return offlineStatus(r, PipelineState.DELETED);
        } else if (c instanceof PipelineCommand.ResyncTable rs) {
            boolean found = false;
            for (int i = 0; i < tables.size(); i++) {
                if (tables.get(i).table().equals(rs.table())) {
                    tables.set(i, new TableStatus(rs.table(), TablePhase.PENDING_SNAPSHOT, 0, 0));
                    found = true;
                }
            }
            if (!found) {
                throw new UserFacingException("pipeline " + name + " has no table " + rs.table());
            }
        } else if (c instanceof PipelineCommand.ResyncPipeline) {
            tables.replaceAll(t -> new TableStatus(t.table(), TablePhase.PENDING_SNAPSHOT, 0, 0));
        } else if (c instanceof PipelineCommand.AddTable a) {
            d = d.withAddedTable(a.table());
            tables.add(new TableStatus(a.table(), d.settings().snapshot() ? TablePhase.PENDING_SNAPSHOT
                    : TablePhase.STREAMING_ONLY, 0, 0));
        } else if (c instanceof PipelineCommand.RemoveTable rt) {
            List<TableRef> refs = new ArrayList<>(d.tables());
            if (!refs.remove(rt.table())) {
                throw new UserFacingException("pipeline " + name + " has no table " + rt.table());
            }
            d = d.withTables(refs);
            tables.removeIf(t -> t.table().equals(rt.table()));
        }
        PipelineStore.PipelineRecord updated = new PipelineStore.PipelineRecord(d, tables, r.confirmedLsn(), paused);
        store.save(updated);
        return offlineStatus(updated);
    }

    static PipelineStatus offlineStatus(PipelineStore.PipelineRecord r) {
        return offlineStatus(r, r.paused() ? PipelineState.PAUSED : PipelineState.STOPPED);
    }

    private static PipelineStatus offlineStatus(PipelineStore.PipelineRecord r, PipelineState state) {
        PipelineDefinition d = r.definition();
        return new PipelineStatus(d.name(), d.source(), d.destination(), state, d.enabled(), d.settings(), r.tables(),
                r.confirmedLsn(), -1, -1, 0, 0, 0, 0, 0, 0, null, null, Instant.EPOCH, 0);
    }

    private static Map<String, Object> eventMap(EngineEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", e.at().toString());
        m.put("kind", e.kind().name().toLowerCase(Locale.ROOT));
        m.put("severity", e.severity().name().toLowerCase(Locale.ROOT));
        m.put("pipeline", e.pipeline());
        m.put("source", e.source());
        m.put("message", e.message());
        return m;
    }

    private static UserFacingException unknown(String name) {
        return new UserFacingException("no pipeline named " + name + "; 'etl-stream pipeline list' shows them");
    }
}
