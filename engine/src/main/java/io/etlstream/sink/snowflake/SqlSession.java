package io.etlstream.sink.snowflake;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The SQL API with a destination's context (database, schema, warehouse, role); waits out 202 answers. */
public final class SqlSession {
    private final SqlApiClient client;
    private final String database;
    private final String schema;
    private final String warehouse;
    private final String role;
    private final Duration maxWait;

    public SqlSession(SqlApiClient client, String database, String schema, String warehouse, String role,
            Duration maxWait) {
        this.client = client;
        this.database = database;
        this.schema = schema;
        this.warehouse = warehouse;
        this.role = role;
        this.maxWait = maxWait;
    }

    /** Runs one statement and returns its rows (SQL API text encoding; null for SQL NULL). */
    public List<List<String>> run(String sql) {
        SqlApiClient.Result r = client.execute(new SqlApiClient.Statement(sql, (int) Math.min(maxWait.toSeconds(),
                Integer.MAX_VALUE), database, schema, warehouse, role));
        long deadline = System.nanoTime() + maxWait.toNanos();
        long sleep = 100;
        while (!r.finished()) {
            if (System.nanoTime() > deadline) {
                throw new SqlApiException(202, r.code(), "Snowflake did not finish a statement within " + maxWait
                        + " (handle " + r.statementHandle() + "). Check the warehouse size and whether it is suspended.");
            }
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SqlApiException("Interrupted while waiting for Snowflake", e);
            }
            sleep = Math.min(sleep * 2, 2000);
            r = client.fetch(r.statementHandle());
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode row : r.data()) {
            List<String> values = new ArrayList<>(row.size());
            for (JsonNode v : row) {
                values.add(v.isNull() ? null : v.asText());
            }
            rows.add(values);
        }
        return rows;
    }

    public String database() {
        return database;
    }

    public String schema() {
        return schema;
    }
}
