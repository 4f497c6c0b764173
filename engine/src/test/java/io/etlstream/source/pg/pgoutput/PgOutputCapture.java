package io.etlstream.source.pg.pgoutput;

import io.etlstream.testkit.pg.PgDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Produces pgoutput byte fixtures from a live server: runs a scenario's SQL, then peeks the slot through the SQL
 * interface ({@code pg_logical_slot_peek_binary_changes}). Fixture files hold one message per line in hex.
 */
final class PgOutputCapture {

    /** One fixture scenario: setup DDL, the workload (one session, autocommit off) and the slot options. */
    record Scenario(String name, List<String> setup, List<String> workload, String options) {
    }

    static final String LARGE = "repeat('x', 60)";

    static List<Scenario> scenarios() {
        return List.of(
                new Scenario("basic",
                        List.of("CREATE TYPE fx_mood AS ENUM ('sad', 'happy')",
                                "CREATE TABLE fx_basic (id int PRIMARY KEY, name text, mood fx_mood)",
                                "CREATE TABLE fx_other (id serial PRIMARY KEY, v int)",
                                "CREATE PUBLICATION fx_pub FOR TABLE fx_basic, fx_other"),
                        List.of("INSERT INTO fx_basic VALUES (1, 'one', 'happy'), (2, NULL, 'sad')",
                                "COMMIT",
                                "UPDATE fx_basic SET name = 'uno' WHERE id = 1",
                                "UPDATE fx_basic SET id = 10 WHERE id = 2",
                                "DELETE FROM fx_basic WHERE id = 10",
                                "COMMIT",
                                "INSERT INTO fx_other (v) VALUES (7)",
                                "TRUNCATE fx_basic, fx_other RESTART IDENTITY CASCADE",
                                "COMMIT"),
                        "'proto_version', '1', 'publication_names', 'fx_pub'"),
                new Scenario("toast",
                        List.of("CREATE TABLE fx_toast_default (id int PRIMARY KEY, big text, n int)",
                                "CREATE TABLE fx_toast_full (id int PRIMARY KEY, big text, n int)",
                                "ALTER TABLE fx_toast_full REPLICA IDENTITY FULL",
                                // Uncompressible text, so the value is stored out of line (TOASTed).
                                "CREATE FUNCTION fx_noise(n int) RETURNS text LANGUAGE sql AS"
                                        + " $$ SELECT string_agg(md5(i::text), '') FROM generate_series(1, n) i $$",
                                "CREATE PUBLICATION fx_pub FOR TABLE fx_toast_default, fx_toast_full"),
                        List.of("INSERT INTO fx_toast_default VALUES (1, fx_noise(400), 0)",
                                "INSERT INTO fx_toast_full VALUES (1, fx_noise(400), 0)",
                                "COMMIT",
                                "UPDATE fx_toast_default SET n = 1 WHERE id = 1",
                                "UPDATE fx_toast_full SET n = 1 WHERE id = 1",
                                "COMMIT",
                                "DELETE FROM fx_toast_full WHERE id = 1",
                                "COMMIT"),
                        "'proto_version', '2', 'publication_names', 'fx_pub'"),
                new Scenario("messages",
                        List.of("CREATE TABLE fx_msg (id int PRIMARY KEY)",
                                "CREATE PUBLICATION fx_pub FOR TABLE fx_msg",
                                "SELECT pg_replication_origin_create('fx_origin')"),
                        List.of("SELECT pg_logical_emit_message(false, 'etl-stream', 'beat-1')",
                                "COMMIT",
                                "SELECT pg_logical_emit_message(true, 'etl-stream', 'beat-2')",
                                "INSERT INTO fx_msg VALUES (1)",
                                "COMMIT",
                                "SELECT pg_replication_origin_session_setup('fx_origin')",
                                "INSERT INTO fx_msg VALUES (2)",
                                "COMMIT",
                                "SELECT pg_replication_origin_session_reset()",
                                "COMMIT"),
                        "'proto_version', '2', 'messages', 'true', 'publication_names', 'fx_pub'"),
                new Scenario("binary",
                        List.of("CREATE TABLE fx_bin (id int PRIMARY KEY, f float8, t text)",
                                "CREATE PUBLICATION fx_pub FOR TABLE fx_bin"),
                        List.of("INSERT INTO fx_bin VALUES (258, 1.5, 'hi'), (3, NULL, NULL)", "COMMIT"),
                        "'proto_version', '2', 'binary', 'true', 'publication_names', 'fx_pub'"),
                new Scenario("schema",
                        List.of("CREATE TABLE fx_schema (id int PRIMARY KEY, a text, b int)",
                                "CREATE PUBLICATION fx_pub FOR TABLE fx_schema"),
                        List.of("INSERT INTO fx_schema VALUES (1, 'one', 1)",
                                "COMMIT",
                                "ALTER TABLE fx_schema ADD COLUMN c numeric(10,2)",
                                "INSERT INTO fx_schema VALUES (2, 'two', 2, 2.5)",
                                "COMMIT",
                                "ALTER TABLE fx_schema ALTER COLUMN b TYPE bigint",
                                "ALTER TABLE fx_schema DROP COLUMN a",
                                "COMMIT",
                                "INSERT INTO fx_schema VALUES (3, 3, 3.25)",
                                "COMMIT",
                                "ALTER TABLE fx_schema REPLICA IDENTITY FULL",
                                "COMMIT",
                                "UPDATE fx_schema SET b = 30 WHERE id = 3",
                                "COMMIT"),
                        "'proto_version', '2', 'publication_names', 'fx_pub'"),
                new Scenario("stream",
                        List.of("CREATE TABLE fx_stream (id int PRIMARY KEY, phase text, pad text)",
                                "CREATE PUBLICATION fx_pub FOR TABLE fx_stream"),
                        List.of(
                                // Committed: 1000 rows, a rolled-back savepoint of 1000 rows, then 500 more rows.
                                "INSERT INTO fx_stream SELECT i, 'keep-1', " + LARGE + " FROM generate_series(1, 1000) i",
                                "SAVEPOINT s1",
                                "INSERT INTO fx_stream SELECT i, 'rolled-back', " + LARGE
                                        + " FROM generate_series(100001, 101000) i",
                                "ROLLBACK TO SAVEPOINT s1",
                                "INSERT INTO fx_stream SELECT i, 'keep-2', " + LARGE
                                        + " FROM generate_series(2001, 2500) i",
                                "COMMIT",
                                // Aborted as a whole after being streamed.
                                "INSERT INTO fx_stream SELECT i, 'aborted', " + LARGE
                                        + " FROM generate_series(200001, 201500) i",
                                "ROLLBACK",
                                "INSERT INTO fx_stream VALUES (3000, 'small', 'after')",
                                "COMMIT"),
                        "'proto_version', '2', 'streaming', 'on', 'publication_names', 'fx_pub'"));
    }

    /** Runs the scenario in {@code db} (which must be fresh) and returns the raw messages. */
    static List<byte[]> capture(PgDatabase db, Scenario s) throws SQLException {
        db.execute(s.setup().toArray(String[]::new));
        db.execute("SELECT pg_create_logical_replication_slot('fx_slot_" + s.name() + "', 'pgoutput')");
        try {
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                for (String sql : s.workload()) {
                    switch (sql) {
                        case "COMMIT" -> c.commit();
                        case "ROLLBACK" -> c.rollback();
                        default -> st.execute(sql);
                    }
                }
                c.commit();
            }
            List<byte[]> out = new ArrayList<>();
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                // Small enough that the 1000-row phases of the stream scenario are streamed, not spilled.
                st.execute("SET logical_decoding_work_mem = '64kB'");
                try (ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_peek_binary_changes('fx_slot_"
                        + s.name() + "', NULL, NULL, " + s.options() + ")")) {
                    while (rs.next()) {
                        out.add(rs.getBytes(1));
                    }
                }
            }
            return out;
        } finally {
            db.execute("SELECT pg_drop_replication_slot('fx_slot_" + s.name() + "')");
        }
    }

    static Path fixtureFile(Path dir, int major, String scenario) {
        return dir.resolve("pg" + major).resolve(scenario + ".hex");
    }

    static void write(Path file, List<byte[]> messages) {
        HexFormat hex = HexFormat.of();
        StringBuilder sb = new StringBuilder();
        for (byte[] m : messages) {
            sb.append(hex.formatHex(m)).append('\n');
        }
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, sb.toString(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<byte[]> readFile(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.US_ASCII));
    }

    /** Reads a fixture from the test classpath: {@code /pgoutput/pg<major>/<scenario>.hex}. */
    static List<byte[]> read(int major, String scenario) {
        String res = "/pgoutput/pg" + major + "/" + scenario + ".hex";
        try (var in = PgOutputCapture.class.getResourceAsStream(res)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + res);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<byte[]> parse(String text) {
        HexFormat hex = HexFormat.of();
        List<byte[]> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(hex.parseHex(line.strip()));
            }
        }
        return out;
    }

    private PgOutputCapture() {
    }
}
