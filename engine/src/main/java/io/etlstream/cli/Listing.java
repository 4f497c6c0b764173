package io.etlstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Prints rows as an aligned text table or, with {@code --json}, as a JSON array of objects whose keys
 * are the column names in snake_case. Null cells print as {@code -} in text and {@code null} in JSON.
 *
 * <pre>{@code
 * Listing.of(catalog.sources().list())
 *         .column("name", Source::name)
 *         .column("host", Source::host)
 *         .ifEmpty("No sources yet.")
 *         .print(spec, json);
 * }</pre>
 */
public final class Listing<T> {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final List<T> rows;
    private final List<String> names = new ArrayList<>();
    private final List<Function<? super T, ?>> values = new ArrayList<>();
    private String emptyText;

    private Listing(List<T> rows) {
        this.rows = List.copyOf(rows);
    }

    public static <T> Listing<T> of(List<T> rows) {
        return new Listing<>(rows);
    }

    /** Adds a column; {@code name} is the JSON key and, upper-cased, the table header. */
    public Listing<T> column(String name, Function<? super T, ?> value) {
        if (!name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("column names are snake_case: " + name);
        }
        names.add(name);
        values.add(value);
        return this;
    }

    /** Text printed instead of an empty table (JSON output stays {@code []}). */
    public Listing<T> ifEmpty(String text) {
        this.emptyText = text;
        return this;
    }

    /** Prints to the command's standard output in the format {@code json} asks for. */
    public void print(CommandSpec spec, JsonOption json) {
        PrintWriter out = spec.commandLine().getOut();
        print(out, json != null && json.enabled());
        out.flush();
    }

    public void print(PrintWriter out, boolean json) {
        if (json) {
            out.println(toJson());
        } else {
            out.print(toText());
        }
        out.flush();
    }

    /** The rows as a JSON array. */
    public String toJson() {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (T row : rows) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                Object v = values.get(i).apply(row);
                o.put(names.get(i), v instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : v);
            }
            objects.add(o);
        }
        try {
            return JSON.writeValueAsString(objects);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write listing as JSON", e);
        }
    }

    /** The rows as an aligned table, one line per row, headers first. */
    public String toText() {
        if (rows.isEmpty() && emptyText != null) {
            return emptyText + System.lineSeparator();
        }
        List<String[]> lines = new ArrayList<>();
        lines.add(names.stream().map(n -> n.toUpperCase(Locale.ROOT)).toArray(String[]::new));
        for (T row : rows) {
            String[] cells = new String[names.size()];
            for (int i = 0; i < cells.length; i++) {
                cells[i] = text(values.get(i).apply(row));
            }
            lines.add(cells);
        }
        int[] widths = new int[names.size()];
        for (String[] cells : lines) {
            for (int i = 0; i < cells.length; i++) {
                widths[i] = Math.max(widths[i], cells[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] cells : lines) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cells.length; i++) {
                line.append(cells[i]);
                if (i < cells.length - 1) {
                    line.append(" ".repeat(widths[i] - cells[i].length() + 2));
                }
            }
            sb.append(line.toString().stripTrailing()).append(System.lineSeparator());
        }
        return sb.toString();
    }

    private static String text(Object v) {
        if (v == null) {
            return "-";
        }
        if (v instanceof Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT);
        }
        return v.toString().replace('\n', ' ');
    }
}
