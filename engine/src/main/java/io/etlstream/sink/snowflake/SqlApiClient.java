package io.etlstream.sink.snowflake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A minimal client for Snowflake's SQL API v2 ({@code POST /api/v2/statements}) with key-pair JWT auth:
 * enough for DDL, MERGE and login checks without the JDBC driver.
 */
public final class SqlApiClient {
    private static final Logger log = LoggerFactory.getLogger(SqlApiClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One statement and its context; null fields are left out of the request. */
    public record Statement(String sql, Integer timeoutSeconds, String database, String schema, String warehouse,
            String role) {
        public Statement {
            Objects.requireNonNull(sql, "sql");
        }

        public static Statement of(String sql) {
            return new Statement(sql, 60, null, null, null, null);
        }
    }

    /**
     * Snowflake's answer: 200 with the result set, or 202 while the statement still runs (poll the handle).
     *
     * @param body the whole JSON response (resultSetMetaData, data, ...)
     */
    public record Result(int httpStatus, String statementHandle, String code, String message, JsonNode body) {
        public boolean finished() {
            return httpStatus == 200;
        }

        /** Rows as returned (every value is a string or null in the SQL API's JSON format). */
        public JsonNode data() {
            return body.path("data");
        }
    }

    private final URI statementsUri;
    private final KeyPairJwt jwt;
    private final HttpClient http;
    private final Duration requestTimeout;

    /**
     * @param baseUrl e.g. {@code https://ORG-ACCT.snowflakecomputing.com} (a path, if any, is kept as a prefix)
     */
    public SqlApiClient(URI baseUrl, KeyPairJwt jwt, HttpClient http, Duration requestTimeout) {
        String base = baseUrl.toString();
        this.statementsUri = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base)
                + "/api/v2/statements");
        this.jwt = Objects.requireNonNull(jwt, "jwt");
        this.http = Objects.requireNonNull(http, "http");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    public SqlApiClient(URI baseUrl, KeyPairJwt jwt) {
        this(baseUrl, jwt, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build(),
                Duration.ofSeconds(90));
    }

    /** Runs one statement; throws {@link SqlApiException} with Snowflake's code and message on any refusal. */
    public Result execute(Statement statement) {
        ObjectNode body = JSON.createObjectNode();
        body.put("statement", statement.sql());
        if (statement.timeoutSeconds() != null) {
            body.put("timeout", statement.timeoutSeconds());
        }
        putIfSet(body, "database", statement.database());
        putIfSet(body, "schema", statement.schema());
        putIfSet(body, "warehouse", statement.warehouse());
        putIfSet(body, "role", statement.role());
        URI uri = URI.create(statementsUri + "?requestId=" + UUID.randomUUID());
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("User-Agent", "etl-stream")
                .header("Authorization", "Bearer " + jwt.token())
                .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SqlApiException("Could not reach Snowflake at " + statementsUri.getHost() + ": " + e
                    + ". Check the account URL and the network.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SqlApiException("Interrupted while waiting for Snowflake", e);
        }
        JsonNode json = parse(response.body());
        String code = text(json, "code");
        String message = text(json, "message");
        int status = response.statusCode();
        log.debug("SQL API {} -> HTTP {} code {}", statementsUri.getHost(), status, code);
        if (status == 200 || status == 202) {
            return new Result(status, text(json, "statementHandle"), code, message, json);
        }
        String detail = "HTTP " + status + (code != null ? ", code " + code : "")
                + (message != null ? ": " + message : "");
        if (status == 401 || status == 403) {
            throw new SqlApiException(status, code, "Snowflake refused the key-pair login as " + jwt.subject() + " ("
                    + detail + "). Check the account and user, and that ALTER USER ... SET RSA_PUBLIC_KEY (or"
                    + " RSA_PUBLIC_KEY_2) holds the key with fingerprint " + jwt.fingerprint()
                    + " (DESC USER shows RSA_PUBLIC_KEY_FP).");
        }
        throw new SqlApiException(status, code, "Snowflake rejected " + summary(statement.sql()) + " (" + detail + ")."
                + hint(code, jwt.user()));
    }

    /** The statement's head, enough to tell which one failed (a MERGE's source query would drown the message). */
    static String summary(String sql) {
        String s = sql.strip();
        for (String cut : new String[] {" (", " USING ", " WHERE ", " SET "}) {
            int i = s.indexOf(cut);
            if (i > 0) {
                s = s.substring(0, i);
            }
        }
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    /**
     * What to do about the refusals a new destination meets first; empty for the others. {@code user}: the user the
     * client logs in as.
     */
    private static String hint(String code, String user) {
        if (code == null) {
            return "";
        }
        return switch (code) {
            // A destination cannot be edited, nor removed while pipelines use it: the user's default comes first.
            case "000606" -> " The statement needs a warehouse: give the user a default one in Snowflake"
                    + " (ALTER USER " + user + " SET DEFAULT_WAREHOUSE = <warehouse>; its role needs USAGE on it),"
                    + " then start the pipeline again. To give the destination a warehouse of its own instead:"
                    + " 'etl-stream pipeline delete' each pipeline that uses it, 'etl-stream destination remove' it,"
                    + " 'etl-stream destination add ... --warehouse <warehouse>', then create the pipelines again"
                    + " (they copy their tables again).";
            case "002003" -> " Check that the destination's database and schema exist and that its role may use them"
                    + " (GRANT USAGE ON DATABASE <db> TO ROLE <role>; GRANT USAGE, CREATE TABLE ON SCHEMA <db>.<schema> TO"
                    + " ROLE <role>).";
            case "003001" -> " The destination's role lacks a privilege: grant it the one named above (GRANT ... TO ROLE"
                    + " <role>), then start the pipeline again.";
            default -> "";
        };
    }

    private static void putIfSet(ObjectNode body, String field, String value) {
        if (value != null && !value.isBlank()) {
            body.put(field, value);
        }
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            // Proxies answer with HTML; keep the status code meaningful without the page.
            return JSON.createObjectNode().put("message", "non-JSON response");
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode n = json.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /**
     * The state of a statement that answered 202 (still running): GET on its handle. Added by the sink, which waits
     * for long MERGEs this way.
     */
    public Result fetch(String statementHandle) {
        URI uri = URI.create(statementsUri + "/" + statementHandle + "?requestId=" + UUID.randomUUID());
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .header("User-Agent", "etl-stream")
                .header("Authorization", "Bearer " + jwt.token())
                .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
                .GET()
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SqlApiException("Could not reach Snowflake at " + statementsUri.getHost() + ": " + e
                    + ". Check the account URL and the network.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SqlApiException("Interrupted while waiting for Snowflake", e);
        }
        JsonNode json = parse(response.body());
        int status = response.statusCode();
        if (status == 200 || status == 202) {
            return new Result(status, text(json, "statementHandle"), text(json, "code"), text(json, "message"), json);
        }
        throw new SqlApiException(status, text(json, "code"), "Snowflake rejected the statement (HTTP " + status
                + (text(json, "message") != null ? ": " + text(json, "message") : "") + ").");
    }
}
