package io.etlstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.etlstream.emulator.Faults.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local Snowflake for tests, benchmarks and the demo: Snowpipe Streaming REST (classic SDK 4.x) with
 * a LOCAL_FS stage, and the SQL API v2, on DuckDB, with key-pair JWT auth and fault injection.
 */
public final class SnowflakeEmulator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SnowflakeEmulator.class);
  private static final int MAX_KEPT_RESULTS = 256;

  private final ObjectMapper json = new ObjectMapper();
  private final EmulatorConfig config;
  private final Path root;
  private final boolean deleteRoot;
  private final Warehouse warehouse;
  private final Users users;
  private final SqlEngine sql;
  private final Streaming streaming;
  private final Faults faults = new Faults();
  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, ObjectNode> results = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ObjectNode> eldest) {
      return size() > MAX_KEPT_RESULTS;
    }
  };
  private volatile SqlEngine.Context session = new SqlEngine.Context(null, null);
  private final AtomicInteger authFailures = new AtomicInteger();

  private SnowflakeEmulator(EmulatorConfig config) throws IOException, SQLException {
    this.config = config;
    if (config.dataDir() == null) {
      root = Files.createTempDirectory("sf-emulator");
      deleteRoot = true;
    } else {
      root = Files.createDirectories(config.dataDir());
      deleteRoot = false;
    }
    Path stage = Files.createDirectories(root.resolve("stage"));
    Path scratch = Files.createDirectories(root.resolve("tmp"));
    warehouse = new Warehouse(config.dataDir() == null ? null : root.resolve("emulator.duckdb"));
    users = new Users(config.account());
    for (Map.Entry<String, String[]> u : warehouse.storedUsers().entrySet()) {
      users.create(u.getKey());
      for (int slot = 1; slot <= 2; slot++) {
        String k = u.getValue()[slot - 1];
        if (k != null) {
          users.setKey(u.getKey(), slot, Users.parsePublicKey(k));
        }
      }
    }
    sql = new SqlEngine(warehouse, users);
    streaming = new Streaming(json, warehouse, stage, scratch);
    for (Map.Entry<String, PublicKey> u : config.users().entrySet()) {
      registerUser(u.getKey(), u.getValue());
    }
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), config.port()), 64);
    AtomicInteger threads = new AtomicInteger();
    executor = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "sf-emulator-http-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts an emulator; with port 0 it binds a free port (see {@link #url()}). */
  public static SnowflakeEmulator start(EmulatorConfig config) {
    try {
      return new SnowflakeEmulator(config);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the Snowflake emulator: " + e.getMessage(), e);
    } catch (SQLException e) {
      throw new IllegalStateException("could not open the emulator's DuckDB storage: " + e.getMessage(), e);
    }
  }

  /** {@code http://127.0.0.1:PORT}: the url to give the SDK and the SQL API client. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Account name expected in JWT {@code sub}/{@code iss} (clients derive it from the url's host). */
  public String account() {
    return users.account();
  }

  /** Creates the user if needed and sets its RSA_PUBLIC_KEY. */
  public void registerUser(String name, PublicKey key) {
    registerUser(name, key, 1);
  }

  /** Sets RSA_PUBLIC_KEY ({@code slot} 1) or RSA_PUBLIC_KEY_2 ({@code slot} 2) of a user. */
  public void registerUser(String name, PublicKey key, int slot) {
    if (slot != 1 && slot != 2) {
      throw new IllegalArgumentException("slot must be 1 or 2");
    }
    String property = slot == 1 ? "RSA_PUBLIC_KEY" : "RSA_PUBLIC_KEY_2";
    String b64 = Base64.getEncoder().encodeToString(key.getEncoded());
    sql("CREATE USER IF NOT EXISTS " + Warehouse.q(name.toUpperCase(Locale.ROOT)));
    sql("ALTER USER " + Warehouse.q(name.toUpperCase(Locale.ROOT)) + " SET " + property + " = '" + b64 + "'");
  }

  /**
   * Runs one Snowflake SQL statement directly (no HTTP, no auth) for test setup and assertions. USE
   * statements set the database/schema for later calls of this method.
   */
  public SqlResult sql(String statement) {
    return sql.execute(statement, session, Map.of(), c -> session = c);
  }

  /** Runs a statement with an explicit current database and schema, as the SQL API would. */
  public SqlResult sql(String statement, String database, String schema) {
    return sql.execute(statement, new SqlEngine.Context(upper(database), upper(schema)), Map.of());
  }

  /** Fault injection for the next requests. */
  public Faults faults() {
    return faults;
  }

  /** Rows appended from streaming blobs since start. */
  public long rowsIngested() {
    return streaming.rowsIngested();
  }

  /** Write/blobs requests committed since start. */
  public long blobRequestsCommitted() {
    return streaming.blobsIngested();
  }

  /** Time spent handling write/blobs requests (check, decrypt, append, commit) since start. */
  public java.time.Duration ingestTime() {
    return java.time.Duration.ofNanos(streaming.registerNanos());
  }

  /** write/blobs cost since start: wall, CPU of the handling threads, wall of the DuckDB appends (ns). */
  public long[] ingestProfile() {
    return streaming.registerProfile();
  }

  /** The last write/blobs request body as received (tests replay and tamper with it). */
  JsonNode lastRegisterRequest() {
    return streaming.lastRegisterRequest();
  }

  /** Requests refused because their JWT was missing or wrong. */
  public int authFailures() {
    return authFailures.get();
  }

  private static String upper(String s) {
    return s == null ? null : Streaming.name(s);
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      Endpoint endpoint = route(path);
      if (endpoint == null) {
        send(ex, 404, error("404", "Unknown endpoint " + path));
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      Faults.Fault fault = faults.next(endpoint);
      if (fault != null && fault.delay() != null) {
        sleep(fault.delay().toMillis());
      }
      if (fault != null && fault.httpStatus() != null) {
        send(ex, fault.httpStatus(), error(Integer.toString(fault.httpStatus()), "injected fault"));
        return;
      }
      if (!authenticate(ex)) {
        return;
      }
      Long forced = fault == null ? null : fault.statusCode();
      if (endpoint == Endpoint.SQL_STATEMENTS) {
        handleSql(ex, path, body);
        return;
      }
      if (endpoint == Endpoint.TELEMETRY) {
        ObjectNode ok = json.createObjectNode();
        ok.put("success", true);
        send(ex, 200, ok);
        return;
      }
      JsonNode req = body.length == 0 ? json.createObjectNode() : json.readTree(body);
      if (forced != null && endpoint != Endpoint.REGISTER_BLOBS) {
        ObjectNode n = json.createObjectNode();
        n.put("status_code", forced);
        n.put("message", "injected fault");
        send(ex, 200, n);
        return;
      }
      ObjectNode resp = switch (endpoint) {
        case CLIENT_CONFIGURE -> streaming.configure(req);
        case OPEN_CHANNEL -> streaming.openChannel(req);
        case REGISTER_BLOBS -> streaming.registerBlobs(req, forced);
        case CHANNEL_STATUS -> streaming.channelStatus(req);
        case DROP_CHANNEL -> streaming.dropChannel(req);
        default -> throw new IllegalStateException(endpoint.name());
      };
      send(ex, 200, resp);
    } catch (Exception e) {
      LOG.error("request {} failed", ex.getRequestURI(), e);
      try {
        // Real failures are answered as a retryable streaming status, not a 5xx the SDK retries for minutes.
        ObjectNode n = json.createObjectNode();
        n.put("status_code", Streaming.RETRY);
        n.put("message", "emulator error: " + e);
        send(ex, 200, n);
      } catch (IOException ignored) {
        // The client went away.
      }
    }
  }

  private static Endpoint route(String path) {
    if (path.startsWith("/api/v2/statements")) {
      return Endpoint.SQL_STATEMENTS;
    }
    for (Endpoint e : Endpoint.values()) {
      if (e.path().equals(path) || (e.path() + "/").equals(path)
          || e.path().endsWith("/") && e.path().substring(0, e.path().length() - 1).equals(path)) {
        return e;
      }
    }
    return null;
  }

  private boolean authenticate(HttpExchange ex) throws IOException {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    String tokenType = ex.getRequestHeaders().getFirst("X-Snowflake-Authorization-Token-Type");
    String reason;
    if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      reason = null;
      send401(ex, "390101", "Authorization header is missing or not a Bearer token.");
      return false;
    }
    if (tokenType != null && !tokenType.equalsIgnoreCase("KEYPAIR_JWT")) {
      send401(ex, "390144", "JWT token is invalid: token type " + tokenType + " is not supported here.");
      return false;
    }
    try {
      users.verify(auth.substring(7).trim());
      return true;
    } catch (Users.AuthException e) {
      reason = e.getMessage();
      LOG.info("refused request to {}: {}", ex.getRequestURI().getPath(), reason);
      send401(ex, e.code, reason);
      return false;
    }
  }

  private void send401(HttpExchange ex, String code, String message) throws IOException {
    authFailures.incrementAndGet();
    ObjectNode n = json.createObjectNode();
    n.putNull("data");
    n.put("code", code);
    n.put("message", message);
    n.put("success", false);
    n.putNull("headers");
    send(ex, 401, n);
  }

  private ObjectNode error(String code, String message) {
    ObjectNode n = json.createObjectNode();
    n.put("code", code);
    n.put("message", message);
    return n;
  }

  private void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handleSql(HttpExchange ex, String path, byte[] body) throws IOException {
    String requestId = UUID.randomUUID().toString();
    String rest = path.substring("/api/v2/statements".length());
    if (rest.startsWith("/") && rest.length() > 1) {
      String handle = rest.substring(1);
      ObjectNode kept;
      synchronized (results) {
        kept = results.get(handle);
      }
      if (kept == null || !"GET".equals(ex.getRequestMethod())) {
        send(ex, 404, error("333333", "Statement " + handle + " not found."));
      } else {
        send(ex, kept.has("resultSetMetaData") ? 200 : 422, kept);
      }
      return;
    }
    if (!"POST".equals(ex.getRequestMethod())) {
      send(ex, 405, error("000000", "Use POST to submit a statement."));
      return;
    }
    JsonNode req;
    try {
      req = json.readTree(body);
    } catch (IOException e) {
      send(ex, 400, error("390142", "Incoming request does not contain a valid payload."));
      return;
    }
    String statement = req.path("statement").asText(null);
    String handle = UUID.randomUUID().toString();
    if (statement == null) {
      send(ex, 400, error("390142", "Incoming request does not contain a valid payload."));
      return;
    }
    Map<String, SqlEngine.Binding> bindings = new LinkedHashMap<>();
    JsonNode b = req.path("bindings");
    b.fieldNames().forEachRemaining(k -> {
      JsonNode v = b.get(k);
      List<String> values = new ArrayList<>();
      JsonNode val = v.path("value");
      if (val.isArray()) {
        val.forEach(x -> values.add(x.isNull() ? null : x.asText()));
      } else {
        values.add(val.isNull() || val.isMissingNode() ? null : val.asText());
      }
      bindings.put(k, new SqlEngine.Binding(v.path("type").asText("TEXT"), values));
    });
    SqlEngine.Context ctx = new SqlEngine.Context(upper(req.path("database").asText(null)),
        upper(req.path("schema").asText(null)));
    ObjectNode out = json.createObjectNode();
    int status;
    try {
      SqlResult r = sql.execute(statement, ctx, bindings);
      writeResult(out, r);
      out.put("code", "090001");
      out.put("sqlState", "00000");
      out.put("message", "Statement executed successfully.");
      status = 200;
    } catch (SqlException e) {
      out.put("code", e.code());
      out.put("message", e.getMessage());
      out.put("sqlState", e.sqlState());
      status = 422;
    } catch (RuntimeException e) {
      LOG.warn("statement failed inside the emulator: {}", statement, e);
      out.put("code", "100000");
      out.put("message", "Execution error in the emulator: " + e.getMessage());
      out.put("sqlState", "XX000");
      status = 422;
    }
    out.put("statementHandle", handle);
    out.put("statementStatusUrl", "/api/v2/statements/" + handle + "?requestId=" + requestId);
    out.put("requestId", requestId);
    out.put("createdOn", System.currentTimeMillis());
    synchronized (results) {
      results.put(handle, out);
    }
    send(ex, status, out);
  }

  private void writeResult(ObjectNode out, SqlResult r) {
    ObjectNode md = out.putObject("resultSetMetaData");
    md.put("numRows", r.rowCount());
    md.put("format", "jsonv2");
    ArrayNode parts = md.putArray("partitionInfo");
    ObjectNode part = parts.addObject();
    part.put("rowCount", r.rowCount());
    part.put("uncompressedSize", 0);
    ArrayNode rowType = md.putArray("rowType");
    for (SqlResult.Column c : r.columns()) {
      ObjectNode col = rowType.addObject();
      col.put("name", c.name());
      col.put("database", c.database());
      col.put("schema", c.schema());
      col.put("table", c.table());
      col.put("type", c.type().resultTypeName());
      col.put("nullable", c.nullable());
      col.putNull("collation");
      switch (c.type().kind()) {
        case FIXED -> {
          col.put("precision", c.type().precision());
          col.put("scale", c.type().scale());
          col.putNull("length");
          col.putNull("byteLength");
        }
        case TIME, TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ -> {
          col.put("precision", 0);
          col.put("scale", c.type().scale());
          col.putNull("length");
          col.putNull("byteLength");
        }
        case TEXT, BINARY -> {
          col.putNull("precision");
          col.putNull("scale");
          col.put("length", c.type().length());
          col.put("byteLength", c.type().byteLength());
        }
        default -> {
          col.putNull("precision");
          col.putNull("scale");
          col.putNull("length");
          col.putNull("byteLength");
        }
      }
    }
    ArrayNode data = out.putArray("data");
    for (List<String> row : r.rows()) {
      ArrayNode a = data.addArray();
      for (String v : row) {
        if (v == null) {
          a.addNull();
        } else {
          a.add(v);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      warehouse.close();
    } catch (SQLException e) {
      LOG.warn("closing DuckDB failed: {}", e.getMessage());
    }
    if (deleteRoot) {
      try (Stream<Path> files = Files.walk(root)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        LOG.warn("could not delete {}: {}", root, e.getMessage());
      }
    }
  }

  /** Where the stage and (file mode) the DuckDB file live. */
  public Path dataDir() {
    return root;
  }

  EmulatorConfig config() {
    return config;
  }
}
