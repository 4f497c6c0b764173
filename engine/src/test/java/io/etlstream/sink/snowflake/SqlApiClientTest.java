package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs the client against a tiny HTTP peer that checks what Snowflake checks: headers and the JWT signature. */
class SqlApiClientTest {
    static final ObjectMapper JSON = new ObjectMapper();

    HttpServer server;
    KeyPair registered;
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<JsonNode> bodies = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        registered = g.generateKeyPair();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v2/statements", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] in = ex.getRequestBody().readAllBytes();
            if (!ex.getRequestMethod().equals("POST")) {
                failures.add("method " + ex.getRequestMethod());
            }
            if (!"KEYPAIR_JWT".equals(ex.getRequestHeaders().getFirst("X-Snowflake-Authorization-Token-Type"))) {
                failures.add("token type header");
            }
            if (!"application/json".equals(ex.getRequestHeaders().getFirst("Content-Type"))) {
                failures.add("content type");
            }
            if (ex.getRequestURI().getQuery() == null || !ex.getRequestURI().getQuery().startsWith("requestId=")) {
                failures.add("requestId");
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            boolean ok = false;
            try {
                SignedJWT jwt = SignedJWT.parse(auth.substring("Bearer ".length()));
                ok = jwt.verify(new RSASSAVerifier((RSAPublicKey) registered.getPublic()))
                        && jwt.getJWTClaimsSet().getExpirationTime().after(new java.util.Date())
                        && jwt.getJWTClaimsSet().getSubject().equals("ACCT.ETL");
            } catch (Exception e) {
                failures.add("jwt: " + e);
            }
            JsonNode body = JSON.readTree(in);
            bodies.add(body);
            String answer;
            int status;
            String statement = body.path("statement").asText();
            if (!ok) {
                status = 401;
                answer = "{\"code\":\"390144\",\"message\":\"JWT token is invalid.\"}";
            } else if (statement.startsWith("MERGE")) {
                // What Snowflake answers when neither the request nor the user's default names a warehouse.
                status = 422;
                answer = "{\"code\":\"000606\",\"sqlState\":\"57P03\",\"message\":\"No active warehouse selected in"
                        + " the current session.  Select an active warehouse with the 'use warehouse' command.\\n\"}";
            } else if (statement.startsWith("CREATE")) {
                status = 422;
                answer = "{\"code\":\"002003\",\"sqlState\":\"02000\",\"message\":\"SQL compilation error:\\nSchema"
                        + " 'DB.MISSING' does not exist or not authorized.\"}";
            } else {
                status = 200;
                answer = "{\"resultSetMetaData\":{\"numRows\":1,\"rowType\":[{\"name\":\"1\",\"type\":\"fixed\"}]},"
                        + "\"data\":[[\"1\"]],\"code\":\"090001\",\"statementHandle\":\"01b2-handle\","
                        + "\"message\":\"Statement executed successfully.\"}";
            }
            byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
        }
    }

    @Test
    void signedRequestRunsTheStatement() {
        SqlApiClient client = new SqlApiClient(base(), new KeyPairJwt("acct", "etl", registered.getPrivate()));
        SqlApiClient.Result r = client.execute(
                new SqlApiClient.Statement("SELECT 1", 30, "DB", "PUBLIC", "WH", "LOADER"));
        assertThat(failures).isEmpty();
        assertThat(r.finished()).isTrue();
        assertThat(r.statementHandle()).isEqualTo("01b2-handle");
        assertThat(r.data().get(0).get(0).asText()).isEqualTo("1");
        JsonNode sent = bodies.get(0);
        assertThat(sent.get("statement").asText()).isEqualTo("SELECT 1");
        assertThat(sent.get("timeout").asInt()).isEqualTo(30);
        assertThat(sent.get("database").asText()).isEqualTo("DB");
        assertThat(sent.get("schema").asText()).isEqualTo("PUBLIC");
        assertThat(sent.get("warehouse").asText()).isEqualTo("WH");
        assertThat(sent.get("role").asText()).isEqualTo("LOADER");
    }

    @Test
    void aKeyThatIsNotRegisteredGetsAnActionableError() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair stranger = g.generateKeyPair();
        KeyPairJwt jwt = new KeyPairJwt("acct", "etl", stranger.getPrivate());
        SqlApiClient client = new SqlApiClient(base(), jwt);
        assertThatThrownBy(() -> client.execute(SqlApiClient.Statement.of("SELECT 1")))
                .isInstanceOfSatisfying(SqlApiException.class, e -> {
                    assertThat(e.isAuthenticationFailure()).isTrue();
                    assertThat(e.code()).isEqualTo("390144");
                })
                .hasMessageContaining(jwt.fingerprint())
                .hasMessageContaining("RSA_PUBLIC_KEY");
    }

    @Test
    void aRefusedStatementIsNamedAndTheCommonCausesComeWithTheirFix() {
        SqlApiClient client = new SqlApiClient(base(), new KeyPairJwt("acct", "etl", registered.getPrivate()));
        assertThatThrownBy(() -> client.execute(SqlApiClient.Statement.of("MERGE INTO DB.S.ORDERS m USING (SELECT *"
                + " FROM DB.S.ORDERS_HISTORY) s ON m.ID = s.ID WHEN MATCHED THEN DELETE")))
                .isInstanceOfSatisfying(SqlApiException.class, e -> assertThat(e.code()).isEqualTo("000606"))
                .hasMessageContaining("MERGE INTO DB.S.ORDERS")
                .hasMessageNotContaining("ORDERS_HISTORY")
                .hasMessageContaining("No active warehouse")
                .hasMessageContaining("ALTER USER ETL SET DEFAULT_WAREHOUSE = <warehouse>")
                .hasMessageContaining("pipeline delete")
                .hasMessageContaining("destination remove")
                .hasMessageContaining("destination add ... --warehouse <warehouse>")
                .satisfies(e -> assertThat(e.getMessage().indexOf("ALTER USER"))
                        .isLessThan(e.getMessage().indexOf("--warehouse")));
        assertThatThrownBy(() -> client.execute(SqlApiClient.Statement.of("CREATE TABLE IF NOT EXISTS DB.MISSING.T_HISTORY"
                + " (ID NUMBER(10,0))")))
                .hasMessageContaining("CREATE TABLE IF NOT EXISTS DB.MISSING.T_HISTORY")
                .hasMessageContaining("does not exist or not authorized")
                .hasMessageContaining("GRANT USAGE");
    }
}
