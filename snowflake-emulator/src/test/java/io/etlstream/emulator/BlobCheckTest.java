package io.etlstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestChannel;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClient;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClientFactory;
import net.snowflake.ingest.streaming.OpenChannelRequest;
import org.junit.jupiter.api.Test;

/** A blob the real SDK wrote, replayed with one thing wrong at a time: each is refused, nothing lands. */
class BlobCheckTest {

  @Test
  void tamperedBlobsAreRejectedAndNothingIsAppended() throws Exception {
    KeyPair key = TestSupport.rsa();
    try (SnowflakeEmulator emu = SnowflakeEmulator.start(EmulatorConfig.inMemory().withUser("U", key.getPublic()))) {
      emu.sql("CREATE DATABASE DB");
      emu.sql("CREATE TABLE DB.PUBLIC.T (ID NUMBER, S VARCHAR)");
      String sequencerInfo;
      try (SnowflakeStreamingIngestClient client = SnowflakeStreamingIngestClientFactory.builder("blob-check")
          .setProperties(TestSupport.sdkProps(emu, "U", key)).build()) {
        SnowflakeStreamingIngestChannel ch = client.openChannel(OpenChannelRequest.builder("C")
            .setDBName("DB").setSchemaName("PUBLIC").setTableName("T")
            .setOnErrorOption(OpenChannelRequest.OnErrorOption.ABORT).build());
        ch.insertRows(List.of(Map.of("ID", 1, "S", "x"), Map.of("ID", 2, "S", "y")), "2");
        StreamingSdkTest.await("commit", Duration.ofSeconds(60), () -> "2".equals(ch.getLatestCommittedOffsetToken()));
        sequencerInfo = emu.lastRegisterRequest().toString();
      }
      assertThat(sequencerInfo).contains("\"row_sequencer\":1");
      JsonNode original = TestSupport.JSON.readTree(sequencerInfo);
      String path = original.at("/blobs/0/path").asText();
      Path stage = emu.dataDir().resolve("stage");
      long client = original.at("/blobs/0/chunks/0/channels/0/client_sequencer").asLong();
      long row = original.at("/blobs/0/chunks/0/channels/0/row_sequencer").asLong();
      String token = TestSupport.jwt(emu, "U", key);

      // Same bytes under another name: the derived key differs, the chunk does not decrypt to Parquet.
      ObjectNode renamed = copyBlob(original, stage, path, "renamed");
      setChannel(renamed, client, row + 1);
      assertThat(register(emu, token, renamed)).isEqualTo(38);

      // A refused chunk fences its writer: a chunk the client had already built on the same sequencer must not
      // commit after it (its offset token would cover the refused rows). Each refusal below moves the sequencer on.
      ObjectNode sameWriter = copyBlob(original, stage, path, "samewriter");
      setChannel(sameWriter, client, row + 1);
      assertThat(register(emu, token, sameWriter)).isEqualTo(20);

      ObjectNode badMd5 = copyBlob(original, stage, path, "badmd5");
      ((ObjectNode) badMd5.at("/blobs/0")).put("md5", "00000000000000000000000000000000");
      setChannel(badMd5, client + 1, row + 1);
      assertThat(register(emu, token, badMd5)).isEqualTo(38);

      ObjectNode badChunkMd5 = original.deepCopy();
      ((ObjectNode) badChunkMd5.at("/blobs/0/chunks/0")).put("chunk_md5", "ffffffffffffffffffffffffffffffff");
      setChannel(badChunkMd5, client + 2, row + 1);
      ((ObjectNode) badChunkMd5.at("/blobs/0")).put("path", copyFile(stage, path, "chunkmd5"));
      ((ObjectNode) badChunkMd5.at("/blobs/0")).put("md5", original.at("/blobs/0/md5").asText());
      assertThat(register(emu, token, badChunkMd5)).isEqualTo(38);

      ObjectNode badKeyId = copyBlob(original, stage, path, "keyid");
      ((ObjectNode) badKeyId.at("/blobs/0/chunks/0")).put("encryption_key_id", 424242);
      setChannel(badKeyId, client + 3, row + 1);
      assertThat(register(emu, token, badKeyId)).isEqualTo(38);

      // The original blob under a new name but an old row sequencer: out of order.
      ObjectNode staleRow = copyBlob(original, stage, path, "stalerow");
      setChannel(staleRow, client + 4, row);
      assertThat(register(emu, token, staleRow)).isEqualTo(21);

      // A client sequencer from before the last open: fenced.
      ObjectNode staleClient = copyBlob(original, stage, path, "staleclient");
      setChannel(staleClient, client - 1, row + 1);
      assertThat(register(emu, token, staleClient)).isEqualTo(20);

      assertThat(emu.sql("SELECT count(*) FROM DB.PUBLIC.T").rows()).containsExactly(List.of("2"));
    }
  }

  private static String copyFile(Path stage, String path, String tag) throws Exception {
    String newPath = path.replace(".bdec", "_" + tag + ".bdec");
    Files.copy(stage.resolve(path), stage.resolve(newPath));
    return newPath;
  }

  private static ObjectNode copyBlob(JsonNode original, Path stage, String path, String tag) throws Exception {
    ObjectNode copy = original.deepCopy();
    ((ObjectNode) copy.at("/blobs/0")).put("path", copyFile(stage, path, tag));
    return copy;
  }

  private static void setChannel(ObjectNode req, long clientSequencer, long rowSequencer) {
    ObjectNode ch = (ObjectNode) req.at("/blobs/0/chunks/0/channels/0");
    ch.put("client_sequencer", clientSequencer);
    ch.put("row_sequencer", rowSequencer);
  }

  private static long register(SnowflakeEmulator emu, String token, JsonNode body) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(emu.url() + "/v1/streaming/channels/write/blobs/"))
        .header("Authorization", "Bearer " + token)
        .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(TestSupport.JSON.writeValueAsBytes(body))).build();
    HttpResponse<byte[]> resp = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(resp.statusCode()).isEqualTo(200);
    return TestSupport.JSON.readTree(resp.body()).at("/blobs/0/chunks/0/channels/0/status_code").asLong();
  }
}
