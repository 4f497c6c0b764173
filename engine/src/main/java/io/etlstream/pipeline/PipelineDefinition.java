package io.etlstream.pipeline;

import io.etlstream.UserFacingException;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** What a pipeline is: its name, source, destination, selected tables and settings; {@code enabled} = runs with the engine. */
public record PipelineDefinition(String name, String source, String destination, List<TableRef> tables,
        PipelineSettings settings, boolean enabled) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,62}");

    public PipelineDefinition {
        Objects.requireNonNull(settings, "settings");
        checkName("pipeline", name);
        checkName("source", source);
        checkName("destination", destination);
        if (tables == null || tables.isEmpty()) {
            throw new UserFacingException("pipeline " + name + " needs at least one table (--tables schema.t1,schema.t2)");
        }
        TreeSet<TableRef> unique = new TreeSet<>(tables);
        if (unique.size() != tables.size()) {
            throw new UserFacingException("pipeline " + name + " lists a table twice: " + tables);
        }
        tables = List.copyOf(unique);
    }

    static void checkName(String what, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new UserFacingException("'" + value + "' is not a valid " + what
                    + " name: use a letter followed by letters, digits, '_' or '-' (at most 63)");
        }
    }

    /**
     * Fails with what to do when two of {@code tables} would be written to the same Snowflake table (the Snowflake
     * name has no source schema). Checked where a pipeline's tables are chosen (create, add-table), not on load, so a
     * stored pipeline always loads.
     */
    public static void requireDistinctDestinations(List<TableRef> tables) {
        io.etlstream.sink.snowflake.DestinationTables.requireDistinctNames(tables.stream()
                .map(t -> new io.etlstream.batch.TableId(t.schema(), t.name())).toList());
    }

    /**
     * This pipeline with {@code table} added: the one place add-table (through a running engine or offline) checks
     * that the table is new and that its Snowflake name clashes with no other table's.
     */
    public PipelineDefinition withAddedTable(TableRef table) {
        if (tables.contains(table)) {
            throw new UserFacingException("pipeline " + name + " already has table " + table);
        }
        List<TableRef> list = new java.util.ArrayList<>(tables);
        list.add(table);
        requireDistinctDestinations(list);
        return withTables(list);
    }

    public PipelineDefinition withTables(List<TableRef> t) {
        return new PipelineDefinition(name, source, destination, t, settings, enabled);
    }

    public PipelineDefinition withSettings(PipelineSettings s) {
        return new PipelineDefinition(name, source, destination, tables, s, enabled);
    }

    public PipelineDefinition withEnabled(boolean e) {
        return new PipelineDefinition(name, source, destination, tables, settings, e);
    }
}
