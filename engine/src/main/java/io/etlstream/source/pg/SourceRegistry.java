package io.etlstream.source.pg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etlstream.UserFacingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Named PostgreSQL sources of one engine home, kept in {@code sources.json} (no secrets: only the vault alias of the
 * password). A stand-in until the H2 catalog carries the sources table; the API stays the same.
 */
public final class SourceRegistry {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    public SourceRegistry(Path homeDir) {
        this.file = homeDir.resolve("sources.json");
    }

    /** The password alias under which the vault keeps a source's password. */
    public static String passwordAlias(String sourceName) {
        return "source." + sourceName + ".password";
    }

    public static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new UserFacingException("'" + name + "' is not a valid source name: use letters, digits, '_', '-' or"
                    + " '.', starting with a letter or digit (at most 63 characters)");
        }
    }

    public synchronized void add(String name, PgSourceConfig config) {
        checkName(name);
        TreeMap<String, PgSourceConfig> all = load();
        if (all.containsKey(name)) {
            throw new UserFacingException("a source named '" + name + "' already exists: remove it first with"
                    + " `etl-stream source remove " + name + "` or choose another name");
        }
        all.put(name, config.withPasswordAlias(passwordAlias(name)));
        save(all);
    }

    public synchronized Optional<PgSourceConfig> find(String name) {
        return Optional.ofNullable(load().get(name));
    }

    public PgSourceConfig get(String name) {
        return find(name).orElseThrow(() -> new UserFacingException("no source named '" + name + "': list them with"
                + " `etl-stream source list` or add it with `etl-stream source add " + name + " --url postgresql://...`"));
    }

    public synchronized List<String> names() {
        return new ArrayList<>(load().keySet());
    }

    public synchronized boolean remove(String name) {
        TreeMap<String, PgSourceConfig> all = load();
        if (all.remove(name) == null) {
            return false;
        }
        save(all);
        return true;
    }

    private TreeMap<String, PgSourceConfig> load() {
        TreeMap<String, PgSourceConfig> out = new TreeMap<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            for (JsonNode n : JSON.readTree(file.toFile()).path("sources")) {
                out.put(n.get("name").asText(), new PgSourceConfig(n.get("host").asText(), n.get("port").asInt(),
                        n.get("database").asText(), n.get("user").asText(), SslMode.parse(n.get("sslmode").asText()),
                        n.hasNonNull("sslrootcert") ? Path.of(n.get("sslrootcert").asText()) : null,
                        n.hasNonNull("password_alias") ? n.get("password_alias").asText() : null));
            }
        } catch (IOException e) {
            throw new UserFacingException("cannot read " + file + ": " + e.getMessage() + " — fix or remove the file", e);
        }
        return out;
    }

    private void save(TreeMap<String, PgSourceConfig> all) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode arr = root.putArray("sources");
        all.forEach((name, c) -> {
            ObjectNode n = arr.addObject();
            n.put("name", name);
            n.put("host", c.host());
            n.put("port", c.port());
            n.put("database", c.database());
            n.put("user", c.user());
            n.put("sslmode", c.sslMode().pgName());
            n.put("sslrootcert", c.sslRootCert() == null ? null : c.sslRootCert().toString());
            n.put("password_alias", c.passwordAlias());
        });
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "sources", ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
