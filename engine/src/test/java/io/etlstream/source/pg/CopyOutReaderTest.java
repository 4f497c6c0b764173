package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.etlstream.UserFacingException;
import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeBatchBuilder;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TableSchema;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.types.PgType;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgCluster;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import io.etlstream.testkit.pg.TestCertificates;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.PGStream;
import org.postgresql.util.PSQLException;

/**
 * {@link CopyOutReader} against real servers: rows far larger than its read buffer and many tiny ones (also with a
 * 64-byte buffer, so that nearly every row is split between reads), NOTICEs between rows, a server error in the
 * middle of a COPY (the same exception pgjdbc's own COPY gives; the snapshot's connection is closed afterwards), the
 * snapshot over TLS, and the pgjdbc internals the reader borrows.
 */
@ExtendWith(PostgresExtension.class)
class CopyOutReaderTest {

    private static final String BIG = "CREATE TABLE big_t (id int PRIMARY KEY, t text, b bytea)";
    private static final String BIG_ROWS = "INSERT INTO big_t VALUES (1, repeat('ab€', 1000000),"
            + " decode(repeat('00ff10', 2000000), 'hex')), (2, 'small', '\\x01'), (3, NULL, NULL),"
            + " (4, repeat('x', 3000000), decode(repeat('7f', 700000), 'hex')), (5, '', '\\x')";
    private static final String BIG_EXPECTED = "SELECT id || '|' || coalesce(md5(t), 'null') || '|'"
            + " || coalesce(md5(b), 'null') FROM big_t";

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void rowsLargerThanTheBufferAndManyTinyRowsArriveExactly(PgDatabase db) throws Exception {
        db.execute(BIG, BIG_ROWS, "CREATE TABLE tiny_t (id int PRIMARY KEY)",
                "INSERT INTO tiny_t SELECT generate_series(1, 50000)");
        List<String> big = db.queryColumn(BIG_EXPECTED);
        List<String> tiny = db.queryColumn("SELECT id::text FROM tiny_t");
        try (PgPassword pw = PgPassword.none(); RootAllocator alloc = new RootAllocator()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("reader_big_" + db.name()));
            try (ExportedSnapshot snap = slots.createBackfillSnapshot()) {
                for (SnapshotCopier.Format f : SnapshotCopier.Format.values()) {
                    assertThat(copy(conn, alloc, snap, new TableId("public", "big_t"), f, 2).values())
                            .as(f.name()).containsExactlyInAnyOrderElementsOf(big);
                    assertThat(copy(conn, alloc, snap, new TableId("public", "tiny_t"), f, 4).values())
                            .as(f.name()).containsExactlyInAnyOrderElementsOf(tiny);
                }
            }
            // The reader alone with a 64-byte buffer: every large row grows it (and it shrinks back afterwards),
            // almost every tiny row is split between two reads; then the connection goes on under pgjdbc.
            List<RelationColumn> bigCols = List.of(new RelationColumn(true, "id", PgType.INT4, -1),
                    new RelationColumn(false, "t", PgType.TEXT, -1), new RelationColumn(false, "b", PgType.BYTEA, -1));
            List<RelationColumn> tinyCols = List.of(new RelationColumn(true, "id", PgType.INT4, -1));
            try (Connection c = conn.connect("reader-test")) {
                CopyOutReader reader = CopyOutReader.open(c, 64, Long.MAX_VALUE);
                for (boolean binary : new boolean[] {true, false}) {
                    String format = binary ? " (FORMAT binary)" : "";
                    assertThat(read(reader, alloc, bigCols, "COPY big_t TO STDOUT" + format, new BatchLimits(2, 1L << 30)))
                            .as("binary " + binary).containsExactlyInAnyOrderElementsOf(big);
                    assertThat(reader.bufferCapacity()).isEqualTo(64);
                    assertThat(read(reader, alloc, tinyCols, "COPY tiny_t TO STDOUT" + format, BatchLimits.DEFAULT))
                            .as("binary " + binary).containsExactlyInAnyOrderElementsOf(tiny);
                    assertThat(reader.clean()).isTrue();
                }
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM tiny_t")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(50_000);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void noticesBetweenRowsAreSkipped(PgDatabase db) throws Exception {
        db.execute("CREATE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF i % 97 = 0 THEN RAISE NOTICE 'row % of the snapshot', i; END IF; RETURN i; END $$",
                "CREATE VIEW noisy_v AS SELECT noisy(g) AS id, md5(g::text) AS h FROM generate_series(1, 30000) g");
        List<String> expected = db.queryColumn("SELECT g || '|' || md5(md5(g::text)) FROM generate_series(1, 30000) g");
        try (PgPassword pw = PgPassword.none(); RootAllocator alloc = new RootAllocator()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            try (Connection c = conn.connect("notice-check"); Statement st = c.createStatement()) {
                st.executeQuery("SELECT noisy(97)").close(); // the function really sends notices to this client
                SQLWarning w = st.getWarnings();
                assertThat((Throwable) w).isNotNull();
                assertThat(w.getMessage()).contains("row 97 of the snapshot");
            }
            SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("reader_notice_" + db.name()));
            try (ExportedSnapshot snap = slots.createBackfillSnapshot()) {
                for (SnapshotCopier.Format f : SnapshotCopier.Format.values()) {
                    assertThat(copy(conn, alloc, snap, new TableId("public", "noisy_v"), f, 1).values())
                            .as(f.name()).containsExactlyInAnyOrderElementsOf(expected);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void aServerErrorMidCopyIsPgjdbcsErrorAndClosesTheConnection(PgDatabase db) throws Exception {
        String sql = "COPY (SELECT id, 1 / (id - 5000) AS x FROM generate_series(1, 20000) id) TO STDOUT (FORMAT binary)";
        List<RelationColumn> cols = List.of(new RelationColumn(true, "id", PgType.INT4, -1),
                new RelationColumn(false, "x", PgType.INT4, -1));
        try (PgPassword pw = PgPassword.none(); RootAllocator alloc = new RootAllocator()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            PSQLException pgjdbc;
            try (Connection c = conn.connect("pgjdbc-copy")) {
                pgjdbc = (PSQLException) catchThrowable(() -> new CopyManager(c.unwrap(BaseConnection.class))
                        .copyOut(sql, OutputStream.nullOutputStream()));
            }
            assertThat((Throwable) pgjdbc).isNotNull();
            try (Connection c = conn.connect("reader-error")) {
                CopyOutReader reader = CopyOutReader.open(c, CopyOutReader.DEFAULT_BUFFER, Long.MAX_VALUE);
                try (ChangeBatchBuilder builder = new ChangeBatchBuilder(schema(cols), alloc, new BatchLimits(1000, 1L << 30))) {
                    reader.start(sql, builder, true, new boolean[2], 1, 2);
                    int full = 0;
                    Throwable e = null;
                    try {
                        while (reader.next()) {
                            builder.sealCopy().close();
                            full++;
                        }
                    } catch (SQLException ex) {
                        e = ex;
                    }
                    assertThat(full).as("batches before the error").isGreaterThanOrEqualTo(4);
                    assertThat(e).isInstanceOf(PSQLException.class).hasMessage(pgjdbc.getMessage())
                            .hasMessageContaining("division by zero");
                    assertThat(((PSQLException) e).getSQLState()).isEqualTo("22012").isEqualTo(pgjdbc.getSQLState());
                }
            }
            // Through the snapshot: the server's message reaches the user, and the worker's connection is gone.
            db.execute("CREATE VIEW failing_v AS SELECT id, 1 / (id - 5000) AS x FROM generate_series(1, 20000) id");
            SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("reader_err_" + db.name()));
            try (ExportedSnapshot snap = slots.createBackfillSnapshot()) {
                DeliveryQueue queue = new DeliveryQueue(1000);
                Throwable failed = catchThrowable(() -> new SnapshotCopier(conn, alloc, new BatchLimits(1000, 1L << 30),
                        1, p -> { }, SnapshotCopier.Format.BINARY).copy(List.of(new TableId("public", "failing_v")),
                        snap, queue));
                assertThat(failed).isInstanceOf(UserFacingException.class).hasMessageContaining("division by zero");
                assertThat(failed).hasRootCauseInstanceOf(PSQLException.class);
                int batches = 0;
                Object item;
                while ((item = queue.poll(0)) != null) {
                    if (item instanceof ChangeBatch b) {
                        b.close();
                        batches++;
                    }
                }
                assertThat(batches).as("batches sent before the error").isGreaterThanOrEqualTo(4);
                SourceFixture.await(() -> "0".equals(db.queryOne("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE application_name = 'etl-stream:snapshot'")), Duration.ofSeconds(10),
                        () -> "the failed worker's connection is still open");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void anInterruptedCopyDropsTheSocketsItsWorkersBlockOn(PgDatabase db) throws Exception {
        // The server sends nothing for a minute: the worker sits in a socket read, which ignores interrupts.
        db.execute("CREATE FUNCTION slow_row(i int) RETURNS int LANGUAGE plpgsql AS"
                + " $$ BEGIN PERFORM pg_sleep(60); RETURN i; END $$",
                "CREATE VIEW slow_v AS SELECT slow_row(id) AS id FROM generate_series(1, 2) id");
        try (PgPassword pw = PgPassword.none(); RootAllocator alloc = new RootAllocator()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("reader_stop_" + db.name()));
            try (ExportedSnapshot snap = slots.createBackfillSnapshot()) {
                DeliveryQueue queue = new DeliveryQueue(1000);
                java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
                java.util.concurrent.atomic.AtomicReference<Throwable> outcome =
                        new java.util.concurrent.atomic.AtomicReference<>();
                Thread copying = new Thread(() -> {
                    try {
                        new SnapshotCopier(conn, alloc, new BatchLimits(1000, 1L << 30), 2, p -> { },
                                SnapshotCopier.Format.BINARY).copy(List.of(new TableId("public", "slow_v")), snap,
                                queue);
                        outcome.set(new AssertionError("the copy of slow_v returned without being stopped"));
                    } catch (Throwable e) {
                        outcome.set(e);
                    }
                }, "copy-to-stop");
                copying.start();
                SourceFixture.await(() -> "1".equals(db.queryOne("SELECT count(*) FROM pg_stat_activity WHERE"
                        + " application_name = 'etl-stream:snapshot' AND query LIKE 'COPY%'")),
                        Duration.ofSeconds(30), () -> "the worker never started its COPY");
                long t0 = System.nanoTime();
                copying.interrupt();
                copying.join(30_000);
                assertThat(copying.isAlive()).as("the copy ended after its interrupt").isFalse();
                assertThat(outcome.get()).isNotNull().isNotInstanceOf(AssertionError.class);
                // Its workers are gone too, long before the server would have sent anything: none can queue a
                // batch after the copy returned.
                List<String> left = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> !before.contains(t) && t.getName().startsWith("etl-stream-snapshot-"))
                        .map(Thread::getName).toList();
                assertThat(left).as("snapshot workers still running").isEmpty();
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
            }
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {14, 17})
    void theSnapshotOverTlsCopiesEveryRow(int major) throws Exception {
        Path dir = Files.createTempDirectory("etl-stream-reader-tls-");
        TestCertificates certs = TestCertificates.create(dir, "localhost", "dns:localhost,ip:127.0.0.1");
        String password = "reader-Tls-1";
        try (PgCluster cluster = PgCluster.start(major, new PgCluster.Setup(certs.serverFiles(), List.of(
                "local all all trust", "host all postgres 127.0.0.1/32 trust",
                "host replication postgres 127.0.0.1/32 trust", "hostssl all all 127.0.0.0/8 scram-sha-256",
                "hostssl replication all 127.0.0.0/8 scram-sha-256"), Map.of("ssl", "on",
                "ssl_cert_file", "server.crt", "ssl_key_file", "server.key")))) {
            PgDatabase db = cluster.createDatabase("reader_tls");
            db.execute("CREATE ROLE tls_copy LOGIN SUPERUSER PASSWORD '" + password + "'",
                    "CREATE TABLE tls_t (id int PRIMARY KEY, t text, n numeric(12,2), ts timestamptz)",
                    "INSERT INTO tls_t SELECT g, repeat(md5(g::text), 1 + g % 5), g / 100.0,"
                            + " '2024-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 30000) g",
                    "INSERT INTO tls_t VALUES (0, repeat('tls', 400000), NULL, NULL)", "ANALYZE tls_t");
            List<String> expected = db.queryColumn("SELECT id || '|' || md5(t) || '|' || coalesce(n::text, 'null')"
                    + " || '|' || coalesce((extract(epoch FROM ts) * 1000000)::bigint::text, 'null') FROM tls_t");
            try (PgPassword pw = PgPassword.of(password.toCharArray()); RootAllocator alloc = new RootAllocator()) {
                PgConnector conn = new PgConnector(new PgSourceConfig("127.0.0.1", cluster.port(), db.name(),
                        "tls_copy", SslMode.REQUIRE, null), pw);
                SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("reader_tls"));
                try (ExportedSnapshot snap = slots.createBackfillSnapshot()) {
                    for (SnapshotCopier.Format f : SnapshotCopier.Format.values()) {
                        assertThat(copy(conn, alloc, snap, new TableId("public", "tls_t"), f, 4).values())
                                .as(f.name()).containsExactlyInAnyOrderElementsOf(expected);
                    }
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void theReaderFindsPgjdbcsStreamAndSaysClearlyWhenItCannot(PgDatabase db) throws Exception {
        try (PgPassword pw = PgPassword.none(); Connection c = SourceFixture.connector(db, pw).connect("wire")) {
            BaseConnection base = c.unwrap(BaseConnection.class);
            PGStream stream = CopyOutReader.Wire.stream(base);
            assertThat(stream).isNotNull();
            assertThat(stream.getSocket().isConnected()).isTrue();
            assertThat(CopyOutReader.Wire.input(stream)).isNotNull();
            assertThat(CopyOutReader.Wire.buffered(CopyOutReader.Wire.input(stream))).isZero();
        }
        assertThatThrownBy(() -> CopyOutReader.Wire.field(PGStream.class, "pgInputRenamed"))
                .isInstanceOf(UserFacingException.class)
                .hasMessageContaining("org.postgresql.core.PGStream.pgInputRenamed")
                .hasMessageContaining("pgjdbc 42.7.10 has no field")
                .hasMessageContaining("run etl-stream with the pgjdbc version it was built with");
    }

    private static TableSchema schema(List<RelationColumn> cols) {
        return new TableSchema(new TableId("public", "reader_t"), 1, 'd', cols, 0);
    }

    /** Reads {@code sql}'s rows with {@code reader} into batches; returns "id|value|..." per row (see digest). */
    private static List<String> read(CopyOutReader reader, RootAllocator alloc, List<RelationColumn> cols, String sql,
            BatchLimits limits) throws Exception {
        List<String> rows = new ArrayList<>();
        try (ChangeBatchBuilder builder = new ChangeBatchBuilder(schema(cols), alloc, limits)) {
            reader.start(sql, builder, sql.contains("binary"), new boolean[cols.size()], 1, 2);
            boolean more;
            do {
                more = reader.next();
                try (ChangeBatch b = builder.sealCopy()) {
                    if (b != null) {
                        rows.addAll(digest(b, cols.size()).values());
                    }
                }
            } while (more);
        }
        return rows;
    }

    /** Copies one table through {@link SnapshotCopier}; returns id → "id|value|...". */
    private static Map<Integer, String> copy(PgConnector conn, RootAllocator alloc, ExportedSnapshot snap, TableId t,
            SnapshotCopier.Format f, int connections) throws Exception {
        DeliveryQueue queue = new DeliveryQueue(100_000);
        new SnapshotCopier(conn, alloc, new BatchLimits(4096, 4L << 20), connections, p -> { }, f)
                .copy(List.of(t), snap, queue);
        Map<Integer, String> rows = new TreeMap<>();
        Object item;
        while ((item = queue.poll(0)) != null) {
            if (item instanceof ChangeBatch b) {
                try (b) {
                    for (Map.Entry<Integer, String> e : digest(b, b.schema().columnCount()).entrySet()) {
                        assertThat(rows.put(e.getKey(), e.getValue())).as("row %s twice", e.getKey()).isNull();
                    }
                }
            }
        }
        return rows;
    }

    /**
     * The batch's rows as "id|v|...": text and bytea values as the MD5 of their bytes (as PostgreSQL's md5() gives),
     * timestamps as epoch microseconds, others as their Arrow value's text.
     */
    private static Map<Integer, String> digest(ChangeBatch b, int columns) throws Exception {
        VectorSchemaRoot root = b.root();
        Map<Integer, String> rows = new TreeMap<>();
        for (int r = 0; r < root.getRowCount(); r++) {
            StringBuilder sb = new StringBuilder();
            int id = 0;
            for (int c = 0; c < columns; c++) {
                FieldVector v = root.getVector(c);
                Object o = v.getObject(r);
                if (c == 0) {
                    id = ((Number) o).intValue();
                } else {
                    sb.append('|');
                }
                if (o instanceof Text text) {
                    sb.append(md5(text.copyBytes()));
                } else if (o instanceof byte[] bytes) {
                    sb.append(md5(bytes));
                } else if (o instanceof java.time.LocalDateTime) {
                    sb.append(((org.apache.arrow.vector.TimeStampVector) v).get(r));
                } else if (o instanceof java.math.BigDecimal d) {
                    sb.append(d.toPlainString());
                } else {
                    sb.append(o);
                }
            }
            rows.put(id, sb.toString());
        }
        return rows;
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }
}
