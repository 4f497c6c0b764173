package io.etlstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Date;
import java.util.Locale;
import java.util.Properties;

/** Keys, JWTs and a tiny SQL API client for the emulator's tests. */
final class TestSupport {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private TestSupport() {}

  static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** PKCS#8 PEM of the private key, the form the SDK's {@code private_key} property takes. */
  static String pem(KeyPair kp) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(kp.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /** SDK client properties for {@code user} on {@code emu}. */
  static Properties sdkProps(SnowflakeEmulator emu, String user, KeyPair kp) {
    Properties p = new Properties();
    p.put("url", emu.url().toString());
    p.put("user", user);
    p.put("role", "ACCOUNTADMIN");
    p.put("private_key", pem(kp));
    return p;
  }

  /** A key-pair JWT as Snowflake clients mint it. */
  static String jwt(String account, String user, KeyPair kp, long issuedAtMs, long lifetimeMs) {
    try {
      String sub = account.toUpperCase(Locale.ROOT) + "." + user.toUpperCase(Locale.ROOT);
      JWTClaimsSet claims = new JWTClaimsSet.Builder()
          .subject(sub)
          .issuer(sub + "." + Users.fingerprint(kp.getPublic()))
          .issueTime(new Date(issuedAtMs))
          .expirationTime(new Date(issuedAtMs + lifetimeMs))
          .build();
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
      jwt.sign(new RSASSASigner(kp.getPrivate()));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String jwt(SnowflakeEmulator emu, String user, KeyPair kp) {
    return jwt(emu.account(), user, kp, System.currentTimeMillis(), 3_000_000);
  }

  /** HTTP status and JSON body of one SQL API call. */
  record Response(int status, JsonNode body) {
    String code() {
      return body.path("code").asText();
    }

    String value(int row, int col) {
      JsonNode v = body.path("data").path(row).path(col);
      return v.isNull() ? null : v.asText();
    }
  }

  static Response sqlApi(SnowflakeEmulator emu, String token, String statement, String db, String schema) {
    return sqlApi(emu, token, statement, db, schema, null);
  }

  static Response sqlApi(SnowflakeEmulator emu, String token, String statement, String db, String schema,
      ObjectNode bindings) {
    try {
      ObjectNode body = JSON.createObjectNode();
      body.put("statement", statement);
      body.put("timeout", 60);
      if (db != null) {
        body.put("database", db);
      }
      if (schema != null) {
        body.put("schema", schema);
      }
      body.put("warehouse", "WH");
      body.put("role", "ACCOUNTADMIN");
      if (bindings != null) {
        body.set("bindings", bindings);
      }
      HttpRequest req = HttpRequest.newBuilder(URI.create(emu.url() + "/api/v2/statements?requestId=1"))
          .header("Authorization", "Bearer " + token)
          .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
          .header("Content-Type", "application/json")
          .header("Accept", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
          .build();
      HttpResponse<byte[]> resp = HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
      return new Response(resp.statusCode(), JSON.readTree(resp.body()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
