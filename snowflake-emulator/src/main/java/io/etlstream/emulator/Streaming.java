package io.etlstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etlstream.emulator.Warehouse.ChannelState;
import io.etlstream.emulator.Warehouse.ColumnDef;
import io.etlstream.emulator.Warehouse.TableDef;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snowpipe Streaming (classic SDK protocol): client configure, channel open/status/drop and blob
 * registration. Blobs are read from the LOCAL_FS stage, checked (md5s, key, sequencers), decrypted,
 * and their Parquet chunks appended to DuckDB in one transaction per request.
 */
final class Streaming {

  private static final Logger LOG = LoggerFactory.getLogger(Streaming.class);
  static final long OK = 0;
  static final long TABLE_NOT_FOUND = 4;
  static final long DATABASE_NOT_FOUND = 8;
  static final long SCHEMA_NOT_FOUND = 9;
  static final long RETRY = 10;
  static final long MALFORMED = 33;
  static final long CHANNEL_NOT_FOUND = 25;
  static final long FENCED = 20;
  static final long BAD_ROW_SEQUENCER = 21;
  static final long OTHER_CHANNEL_FAILED = 22;
  static final long BAD_BLOB = 38;

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();
  private static final Pattern SIMPLE = Pattern.compile("[A-Z_][A-Z0-9_$]*");

  private final ObjectMapper json;
  private final Warehouse wh;
  private final Path stage;
  private final Path scratch;
  private final AtomicLong deployment = new AtomicLong(System.nanoTime() & 0xffff);
  private final AtomicLong prefixCounter = new AtomicLong();
  private final AtomicLong rowsIngested = new AtomicLong();
  private final AtomicLong blobsIngested = new AtomicLong();
  private final AtomicLong registerNanos = new AtomicLong();
  private final AtomicLong appendNanos = new AtomicLong();
  private final AtomicLong registerCpuNanos = new AtomicLong();
  private final Set<String> committedBlobs = new HashSet<>();
  private volatile JsonNode lastRegisterRequest;

  Streaming(ObjectMapper json, Warehouse wh, Path stage, Path scratch) {
    this.json = json;
    this.wh = wh;
    this.stage = stage;
    this.scratch = scratch;
  }

  long rowsIngested() {
    return rowsIngested.get();
  }

  long blobsIngested() {
    return blobsIngested.get();
  }

  JsonNode lastRegisterRequest() {
    return lastRegisterRequest;
  }

  /** Phases of write/blobs handling: [wall, cpu of the handling thread, DuckDB append wall]. */
  long[] registerProfile() {
    return new long[] {registerNanos.get(), registerCpuNanos.get(), appendNanos.get()};
  }

  long registerNanos() {
    return registerNanos.get();
  }

  private ObjectNode ok() {
    ObjectNode n = json.createObjectNode();
    n.put("status_code", OK);
    n.put("message", "Success");
    return n;
  }

  private ObjectNode status(long code, String message) {
    ObjectNode n = json.createObjectNode();
    n.put("status_code", code);
    n.put("message", message);
    return n;
  }

  /** Snowflake name rule for names the SDK sends: plain names fold to upper case, quoted keep case. */
  static String name(String s) {
    if (s == null) {
      return null;
    }
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      return s.substring(1, s.length() - 1).replace("\"\"", "\"");
    }
    return s.toUpperCase(Locale.ROOT);
  }

  /** A resolved name as SQL spells it: quoted unless it is a plain upper-case identifier. */
  static String identifier(String resolved) {
    return SIMPLE.matcher(resolved).matches() ? resolved : '"' + resolved.replace("\"", "\"\"") + '"';
  }

  ObjectNode configure(JsonNode req) {
    ObjectNode r = ok();
    r.put("prefix", "emu" + Long.toString(prefixCounter.incrementAndGet(), 36));
    r.put("deployment_id", deployment.get());
    ObjectNode loc = r.putObject("stage_location");
    loc.put("locationType", "LOCAL_FS");
    loc.put("location", stage.toAbsolutePath().toString());
    loc.put("path", "");
    loc.putObject("creds");
    loc.put("isClientSideEncrypted", true);
    return r;
  }

  private record Resolved(TableDef table, long code, String message) {}

  private Resolved resolve(JsonNode req) {
    String db = name(req.path("database").asText(null));
    String sch = name(req.path("schema").asText(null));
    String tbl = name(req.path("table").asText(null));
    if (db == null || sch == null || tbl == null) {
      return new Resolved(null, MALFORMED, "database, schema and table are required");
    }
    if (!wh.hasDatabase(db)) {
      return new Resolved(null, DATABASE_NOT_FOUND, "The supplied database does not exist or is not"
          + " authorized: " + db);
    }
    if (!wh.hasSchema(db, sch)) {
      return new Resolved(null, SCHEMA_NOT_FOUND, "The supplied schema does not exist or is not"
          + " authorized: " + db + "." + sch);
    }
    TableDef t = wh.table(db, sch, tbl);
    if (t == null) {
      return new Resolved(null, TABLE_NOT_FOUND, "The supplied table does not exist or is not"
          + " authorized: " + db + "." + sch + "." + tbl);
    }
    return new Resolved(t, OK, null);
  }

  ObjectNode openChannel(JsonNode req) throws SQLException {
    String channel = req.path("channel").asText("");
    if (channel.isEmpty()) {
      return status(18, StreamingMessages.MALFORMED);
    }
    wh.lock().lock();
    try {
      Resolved r = resolve(req);
      if (r.table() == null) {
        return status(r.code(), r.message());
      }
      TableDef t = r.table();
      ChannelState s = wh.channel(t, channel);
      ChannelState next = s == null ? new ChannelState(0, 0, null)
          : new ChannelState(s.clientSequencer() + 1, s.rowSequencer(), s.offsetToken());
      JsonNode requested = req.get("offset_token");
      if (requested != null && !requested.isNull()) {
        // OpenChannelRequest.setOffsetToken: the caller resets the channel's committed offset token.
        next = new ChannelState(next.clientSequencer(), next.rowSequencer(), requested.asText());
      }
      wh.putChannel(t, channel, next);
      ObjectNode out = ok();
      // The SDK sends these names back on every status and register request, where an unquoted name is
      // upper-cased again: a name that needs quotes (mixed case, spaces) must come back quoted, as columns do.
      out.put("database", identifier(t.db()));
      out.put("schema", identifier(t.schema()));
      out.put("table", identifier(t.name()));
      out.put("channel", channel);
      out.put("client_sequencer", next.clientSequencer());
      out.put("row_sequencer", next.rowSequencer());
      if (next.offsetToken() == null) {
        out.putNull("offset_token");
      } else {
        out.put("offset_token", next.offsetToken());
      }
      out.put("encryption_key", t.encryptionKey());
      out.put("encryption_key_id", t.encryptionKeyId());
      ArrayNode cols = out.putArray("table_columns");
      for (ColumnDef c : t.columns()) {
        ObjectNode col = cols.addObject();
        col.put("name", identifier(c.name()));
        col.put("type", c.type().sqlName());
        col.put("logical_type", c.type().kind().name());
        col.put("physical_type", c.type().physicalType());
        switch (c.type().kind()) {
          case FIXED -> {
            col.put("precision", c.type().precision());
            col.put("scale", c.type().scale());
          }
          case TIME, TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ -> {
            col.put("precision", 0);
            col.put("scale", c.type().scale());
          }
          case TEXT -> {
            col.put("length", c.type().length());
            col.put("byte_length", c.type().byteLength());
          }
          case BINARY -> {
            col.put("length", c.type().length());
            col.put("byte_length", c.type().length());
          }
          default -> { }
        }
        col.put("nullable", c.nullable());
        col.put("ordinal", c.ordinal());
      }
      return out;
    } finally {
      wh.lock().unlock();
    }
  }

  ObjectNode channelStatus(JsonNode req) throws SQLException {
    ObjectNode out = ok();
    ArrayNode arr = out.putArray("channels");
    wh.lock().lock();
    try {
      for (JsonNode c : req.path("channels")) {
        ObjectNode st = arr.addObject();
        Resolved r = resolve(c);
        ChannelState s = r.table() == null ? null : wh.channel(r.table(), c.path("channel_name").asText());
        if (s == null) {
          st.put("status_code", CHANNEL_NOT_FOUND);
          continue;
        }
        if (c.hasNonNull("client_sequencer") && c.get("client_sequencer").asLong() != s.clientSequencer()) {
          st.put("status_code", FENCED);
          continue;
        }
        st.put("status_code", OK);
        st.put("persisted_row_sequencer", s.rowSequencer());
        st.put("persisted_client_sequencer", s.clientSequencer());
        if (s.offsetToken() == null) {
          st.putNull("persisted_offset_token");
        } else {
          st.put("persisted_offset_token", s.offsetToken());
        }
      }
    } finally {
      wh.lock().unlock();
    }
    return out;
  }

  ObjectNode dropChannel(JsonNode req) throws SQLException {
    wh.lock().lock();
    try {
      Resolved r = resolve(req);
      if (r.table() == null) {
        return status(r.code(), r.message());
      }
      String channel = req.path("channel").asText();
      ChannelState s = wh.channel(r.table(), channel);
      if (s == null) {
        return status(CHANNEL_NOT_FOUND, "The channel does not exist or is not authorized");
      }
      if (req.hasNonNull("client_sequencer") && req.get("client_sequencer").asLong() != s.clientSequencer()) {
        return status(FENCED, "The channel is owned by another writer at this time");
      }
      wh.dropChannel(r.table(), channel);
      ObjectNode out = ok();
      out.put("database", r.table().db());
      out.put("schema", r.table().schema());
      out.put("table", r.table().name());
      out.put("channel", channel);
      return out;
    } finally {
      wh.lock().unlock();
    }
  }

  /** A chunk that passed every check: its table, decrypted Parquet file and channel updates. */
  private record ReadyChunk(TableDef table, Path parquet, long rows, Map<String, ChannelState> updates) {}

  /** Answers write/blobs; {@code forcedStatus} (fault injection) fails every channel without committing. */
  ObjectNode registerBlobs(JsonNode req, Long forcedStatus) throws Exception {
    ObjectNode out = ok();
    ArrayNode blobsOut = out.putArray("blobs");
    JsonNode blobs = req.path("blobs");
    if (!blobs.isArray() || blobs.isEmpty()) {
      return status(11, StreamingMessages.MALFORMED);
    }
    long started = System.nanoTime();
    long cpuStarted = THREADS.getCurrentThreadCpuTime();
    lastRegisterRequest = req;
    wh.lock().lock();
    List<Path> temps = new ArrayList<>();
    try {
      // Per channel: the status it will get. Filled by validation, then by commit.
      // Identity maps: two channels of a request may serialize to equal JSON.
      Map<JsonNode, Long> channelCodes = new IdentityHashMap<>();
      Map<JsonNode, String> channelMessages = new IdentityHashMap<>();
      List<ReadyChunk> ready = new ArrayList<>();
      boolean failed = forcedStatus != null;
      // Within one request, later chunks of a channel see the sequencers of earlier ones.
      Map<String, ChannelState> pendingStates = new LinkedHashMap<>();
      for (JsonNode blob : blobs) {
        String path = blob.path("path").asText("");
        boolean duplicate = committedBlobs.contains(path);
        String blobError = null;
        byte[] bytes = null;
        if (forcedStatus == null && !duplicate) {
          blobError = checkPath(path);
          if (blobError == null) {
            bytes = Files.readAllBytes(stage.resolve(path));
            if (!md5(bytes, bytes.length).equalsIgnoreCase(blob.path("md5").asText(""))) {
              blobError = "blob md5 mismatch for " + path;
            }
          }
        }
        for (JsonNode chunk : blob.path("chunks")) {
          Resolved r = resolve(chunk);
          String chunkError = blobError;
          long chunkCode = blobError != null ? BAD_BLOB : OK;
          if (r.table() == null && chunkError == null) {
            chunkError = r.message();
            chunkCode = r.code();
          }
          Map<String, ChannelState> updates = new LinkedHashMap<>();
          for (JsonNode ch : chunk.path("channels")) {
            String name = ch.path("channel_name").asText();
            long code = chunkCode;
            String msg = chunkError;
            if (code == OK && forcedStatus == null && !duplicate) {
              String key = r.table().fullName() + "\u0000" + name;
              ChannelState s = pendingStates.containsKey(key) ? pendingStates.get(key)
                  : wh.channel(r.table(), name);
              long clientSeq = ch.path("client_sequencer").asLong(-1);
              long rowSeq = ch.path("row_sequencer").asLong(-1);
              if (s == null) {
                code = CHANNEL_NOT_FOUND;
                msg = "The channel does not exist or is not authorized";
              } else if (clientSeq != s.clientSequencer()) {
                code = FENCED;
                msg = "The channel is owned by another writer at this time. Either re-open the channel"
                    + " to gain exclusive write ownership or close the channel and let the other writer"
                    + " continue";
              } else if (rowSeq <= s.rowSequencer()) {
                code = BAD_ROW_SEQUENCER;
                msg = "The client provided an out-of-order message, please reopen the channel";
              } else {
                JsonNode tok = ch.get("offset_token");
                ChannelState ns = new ChannelState(clientSeq, rowSeq,
                    tok == null || tok.isNull() ? s.offsetToken() : tok.asText());
                updates.put(name, ns);
                pendingStates.put(key, ns);
              }
            }
            if (code != OK) {
              failed = true;
            }
            channelCodes.put(ch, forcedStatus != null ? forcedStatus : code);
            channelMessages.put(ch, msg);
          }
          if (!failed && !duplicate) {
            ReadyChunk rc = decryptChunk(r.table(), chunk, bytes, path, updates, temps);
            if (rc.parquet() == null) {
              failed = true;
              for (JsonNode ch : chunk.path("channels")) {
                channelCodes.put(ch, BAD_BLOB);
                channelMessages.put(ch, "chunk rejected: wrong md5, encryption key or length");
              }
            } else {
              ready.add(rc);
            }
          }
        }
      }
      if (!failed) {
        try {
          commit(ready);
          for (JsonNode blob : blobs) {
            committedBlobs.add(blob.path("path").asText(""));
          }
        } catch (SQLException e) {
          LOG.warn("append failed, request rolled back: {}", e.getMessage());
          failed = true;
          for (JsonNode ch : channelCodes.keySet()) {
            channelCodes.put(ch, BAD_BLOB);
            channelMessages.put(ch, "rows could not be appended: " + e.getMessage());
          }
        }
      } else if (forcedStatus == null) {
        // All or nothing: channels that were fine still see that the request was not applied.
        for (Map.Entry<JsonNode, Long> e : channelCodes.entrySet()) {
          if (e.getValue() == OK) {
            e.setValue(OTHER_CHANNEL_FAILED);
            channelMessages.put(e.getKey(), "Another channel in this request had an issue");
          }
        }
      }
      if (failed) {
        fenceFailedChannels(blobs, channelCodes);
      }
      for (JsonNode blob : blobs) {
        ObjectNode bo = blobsOut.addObject();
        ArrayNode chunksOut = bo.putArray("chunks");
        for (JsonNode chunk : blob.path("chunks")) {
          ObjectNode co = chunksOut.addObject();
          co.put("database", chunk.path("database").asText());
          co.put("schema", chunk.path("schema").asText());
          co.put("table", chunk.path("table").asText());
          ArrayNode chOut = co.putArray("channels");
          for (JsonNode ch : chunk.path("channels")) {
            ObjectNode c = chOut.addObject();
            c.put("channel", ch.path("channel_name").asText());
            c.put("client_sequencer", ch.path("client_sequencer").asLong());
            long code = channelCodes.getOrDefault(ch, OK);
            c.put("status_code", code);
            if (code != OK) {
              c.put("message", channelMessages.getOrDefault(ch, "Snowflake experienced a transient"
                  + " exception, please retry the request"));
            }
          }
        }
      }
      return out;
    } finally {
      wh.lock().unlock();
      for (Path t : temps) {
        Files.deleteIfExists(t);
      }
      registerNanos.addAndGet(System.nanoTime() - started);
      registerCpuNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - cpuStarted);
    }
  }

  /**
   * A channel whose chunk was refused (anything but a retry code) must not have a later chunk committed on the same
   * client sequencer: the SDK invalidates it, but chunks it already built are still registered, and committing one
   * would move the offset token past the refused rows (the client resumes after that token: silent loss). So the
   * refusal fences the writer, as Snowflake does, and only a reopened channel writes again.
   */
  private void fenceFailedChannels(JsonNode blobs, Map<JsonNode, Long> channelCodes) throws SQLException {
    for (JsonNode blob : blobs) {
      for (JsonNode chunk : blob.path("chunks")) {
        Resolved r = resolve(chunk);
        if (r.table() == null) {
          continue;
        }
        for (JsonNode ch : chunk.path("channels")) {
          long code = channelCodes.getOrDefault(ch, OK);
          if (code == OK || code == RETRY || code == 7) {
            continue;
          }
          String name = ch.path("channel_name").asText();
          ChannelState s = wh.channel(r.table(), name);
          if (s != null && s.clientSequencer() == ch.path("client_sequencer").asLong(-1)) {
            wh.putChannel(r.table(), name, new ChannelState(s.clientSequencer() + 1, s.rowSequencer(),
                s.offsetToken()));
          }
        }
      }
    }
  }

  private String checkPath(String path) {
    if (path.isEmpty() || path.contains("..") || !path.endsWith(".bdec")) {
      return "blob path is missing or malformed: " + path;
    }
    if (!Files.isRegularFile(stage.resolve(path))) {
      return "blob " + path + " is not in the stage";
    }
    return null;
  }

  private ReadyChunk decryptChunk(TableDef t, JsonNode chunk, byte[] blob, String path,
      Map<String, ChannelState> updates, List<Path> temps) throws Exception {
    long start = chunk.path("chunk_start_offset").asLong(-1);
    int length = chunk.path("chunk_length").asInt(-1);
    long keyId = chunk.path("encryption_key_id").asLong(-1);
    // The SDK pads every chunk to the next 16-byte boundary (a full block when already aligned).
    int padded = length + (16 - length % 16);
    if (start < 0 || length <= 8 || start + padded > blob.length || keyId != t.encryptionKeyId()) {
      return new ReadyChunk(t, null, 0, updates);
    }
    byte[] enc = new byte[padded];
    System.arraycopy(blob, (int) start, enc, 0, padded);
    if (!md5(enc, length).equalsIgnoreCase(chunk.path("chunk_md5").asText(""))) {
      return new ReadyChunk(t, null, 0, updates);
    }
    byte[] keyMaterial = Base64.getDecoder().decode(t.encryptionKey());
    byte[] pathBytes = path.getBytes(StandardCharsets.UTF_8);
    byte[] concat = new byte[keyMaterial.length + pathBytes.length];
    System.arraycopy(keyMaterial, 0, concat, 0, keyMaterial.length);
    System.arraycopy(pathBytes, 0, concat, keyMaterial.length, pathBytes.length);
    byte[] derived = MessageDigest.getInstance("SHA-256").digest(concat);
    Cipher cipher = Cipher.getInstance("AES/CTR/NoPadding");
    byte[] iv = ByteBuffer.allocate(16).putLong(0).putLong(start / 16).array();
    cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(derived, "AES"), new IvParameterSpec(iv));
    byte[] plain = cipher.doFinal(enc);
    java.util.Arrays.fill(derived, (byte) 0);
    java.util.Arrays.fill(concat, (byte) 0);
    java.util.Arrays.fill(keyMaterial, (byte) 0);
    boolean magic = plain[0] == 'P' && plain[1] == 'A' && plain[2] == 'R' && plain[3] == '1'
        && plain[length - 4] == 'P' && plain[length - 3] == 'A' && plain[length - 2] == 'R'
        && plain[length - 1] == '1';
    if (!magic) {
      return new ReadyChunk(t, null, 0, updates);
    }
    Path tmp = Files.createTempFile(scratch, "chunk", ".parquet");
    temps.add(tmp);
    Set<String> binary = new HashSet<>();
    for (ColumnDef c : t.columns()) {
      if (c.type().kind() == SfType.Kind.BINARY) {
        binary.add(c.name());
      }
    }
    byte[] parquet = binary.isEmpty() ? java.util.Arrays.copyOf(plain, length)
        : ParquetFooter.stripStringAnnotation(plain, length, binary);
    Files.write(tmp, parquet);
    return new ReadyChunk(t, tmp, chunk.path("eps").path("rows").asLong(-1), updates);
  }

  private void commit(List<ReadyChunk> chunks) throws SQLException {
    var conn = wh.connection();
    conn.setAutoCommit(false);
    long rows = 0;
    try {
      for (ReadyChunk c : chunks) {
        rows += append(c);
        for (Map.Entry<String, ChannelState> e : c.updates().entrySet()) {
          wh.putChannel(c.table(), e.getKey(), e.getValue());
        }
      }
      conn.commit();
    } catch (SQLException | RuntimeException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
    rowsIngested.addAndGet(rows);
    blobsIngested.incrementAndGet();
  }

  private long append(ReadyChunk c) throws SQLException {
    String file = c.parquet().toAbsolutePath().toString().replace("'", "''");
    Set<String> present = new HashSet<>();
    try (PreparedStatement ps = wh.connection().prepareStatement(
        "SELECT name FROM parquet_schema(?)")) {
      ps.setString(1, c.parquet().toAbsolutePath().toString());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          present.add(rs.getString(1));
        }
      }
    }
    StringBuilder cols = new StringBuilder();
    StringBuilder exprs = new StringBuilder();
    for (ColumnDef col : c.table().columns()) {
      if (!present.contains(col.name())) {
        continue;
      }
      if (cols.length() > 0) {
        cols.append(", ");
        exprs.append(", ");
      }
      cols.append(Warehouse.q(col.name()));
      exprs.append(convert(col));
    }
    if (cols.length() == 0) {
      throw new SQLException("chunk has none of the columns of " + c.table().fullName());
    }
    String sql = "INSERT INTO " + c.table().duckName() + " (" + cols + ") SELECT " + exprs
        + " FROM read_parquet('" + file + "', binary_as_string=false)";
    long t0 = System.nanoTime();
    try (PreparedStatement ps = wh.connection().prepareStatement(sql)) {
      long n = ps.executeUpdate();
      appendNanos.addAndGet(System.nanoTime() - t0);
      if (c.rows() >= 0 && n != c.rows()) {
        throw new SQLException("chunk metadata says " + c.rows() + " rows, Parquet holds " + n);
      }
      return n;
    }
  }

  /** DuckDB expression turning the SDK's Parquet encoding of a column into its stored value. */
  static String convert(ColumnDef col) {
    String c = Warehouse.q(col.name());
    SfType t = col.type();
    return switch (t.kind()) {
      case FIXED -> "CAST(" + c + " AS " + t.duckType() + ")";
      case REAL, BOOLEAN, DATE -> c;
      case TEXT -> "CAST(" + c + " AS VARCHAR)";
      case BINARY -> "CAST(" + c + " AS BLOB)";
      case VARIANT, OBJECT, ARRAY -> "CAST(" + c + " AS JSON)";
      case TIME -> "CAST(make_timestamp_ns(CAST(CAST(" + c + " AS DECIMAL(38," + t.scale()
          + ")) * 1000000000 AS BIGINT)) AS TIME_NS)";
      case TIMESTAMP_NTZ, TIMESTAMP_LTZ -> t.microsecondStorage()
          ? "make_timestamp(CAST(CAST(" + c + " AS DECIMAL(38," + t.scale() + ")) * 1000000 AS BIGINT))"
          : "make_timestamp_ns(CAST(CAST(" + c + " AS DECIMAL(38," + t.scale() + ")) * 1000000000 AS BIGINT))";
      case TIMESTAMP_TZ -> (t.scale() <= 6 ? "sf_tz(" : "sf_tz_wide(") + "CAST(CAST(" + c + " AS DECIMAL(38,"
          + t.scale() + ")) * " + pow10(t.scale()) + " AS HUGEINT), " + t.scale() + ")";
    };
  }

  private static String pow10(int s) {
    return "1" + "0".repeat(s);
  }

  static String md5(byte[] data, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(data, 0, Math.min(length, data.length));
      return HexFormat.of().formatHex(md.digest());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Status messages shared by the endpoints. */
  static final class StreamingMessages {
    static final String MALFORMED = "The SDK generated a malformed request.";

    private StreamingMessages() {}
  }
}
