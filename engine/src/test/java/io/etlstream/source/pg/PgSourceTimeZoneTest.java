package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.source.pg.types.ColumnMapping;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Date and time values arrive exact whatever the zones around them, with the JVM and the database in two different
 * zones off the whole hour: America/St_Johns (UTC-03:30, daylight saving -02:30) and Asia/Kathmandu (+05:45), each
 * way round. pgjdbc makes the JVM's zone the session TimeZone, so the stream's text carries its offsets. Checked on
 * the snapshot (binary COPY through the source, and text COPY) and on the stream (pgoutput text), with instants on
 * both sides of St John's 2024 DST changes, at Kathmandu's 1986 offset change and before 1901 (local mean time, an
 * offset with seconds).
 */
class PgSourceTimeZoneTest {

    static final String ST_JOHNS = "America/St_Johns";
    static final String KATHMANDU = "Asia/Kathmandu";

    /** id, timestamptz, timestamp, date, time, timetz: every literal pins its own offset or has none to apply. */
    static final List<String> ROWS = List.of(
            "1, '2024-03-10 05:29:59.999999+00', '2024-03-10 02:30:00', '2024-03-10', '02:30:00', '01:30:00-02:30'",
            "2, '2024-03-10 05:30:00+00', '2024-11-03 01:30:00', '2024-11-03', '23:59:59.999999', '12:00:00+05:45'",
            "3, '2024-11-03 04:00:00+00', '1900-01-01 00:00:00', '1900-01-01', '00:00:00', '00:00:00+14'",
            "4, '2024-11-03 05:00:00+00', '2024-06-30 23:59:59.5', '2024-06-30', '12:34:56.789012', '23:59:59-12'",
            "5, '1900-01-01 00:00:00+00', '0044-03-15 12:00:00 BC', '0044-03-15 BC', '24:00:00', '01:30:00-03:30'",
            "6, '1985-12-31 18:30:00+00', '1985-12-31 23:59:59', '1986-01-01', '05:45:00', '05:45:00+05:45'");

    TimeZone saved;

    @BeforeEach
    void saveJvmZone() {
        saved = TimeZone.getDefault();
    }

    @AfterEach
    void restoreJvmZone() {
        TimeZone.setDefault(saved);
    }

    /** The values each row must carry, computed without any default zone. */
    static Map<Integer, String> expected(int idOffset) {
        Map<Integer, String> m = new TreeMap<>();
        m.put(idOffset + 1, render(instant("2024-03-10T05:29:59.999999Z"), local("2024-03-10T02:30:00"),
                LocalDate.of(2024, 3, 10), time("02:30:00"), time("01:30:00"), -9000));
        m.put(idOffset + 2, render(instant("2024-03-10T05:30:00Z"), local("2024-11-03T01:30:00"),
                LocalDate.of(2024, 11, 3), time("23:59:59.999999"), time("12:00:00"), 20700));
        m.put(idOffset + 3, render(instant("2024-11-03T04:00:00Z"), local("1900-01-01T00:00:00"),
                LocalDate.of(1900, 1, 1), 0, 0, 50400));
        m.put(idOffset + 4, render(instant("2024-11-03T05:00:00Z"), local("2024-06-30T23:59:59.5"),
                LocalDate.of(2024, 6, 30), time("12:34:56.789012"), time("23:59:59"), -43200));
        // 44 BC is proleptic year -43 in java.time.
        m.put(idOffset + 5, render(instant("1900-01-01T00:00:00Z"), local("-0043-03-15T12:00:00"),
                LocalDate.of(-43, 3, 15), 86_400_000_000L, time("01:30:00"), -12600));
        m.put(idOffset + 6, render(instant("1985-12-31T18:30:00Z"), local("1985-12-31T23:59:59"),
                LocalDate.of(1986, 1, 1), time("05:45:00"), time("05:45:00"), 20700));
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void jvmInStJohnsDatabaseInKathmandu(PgDatabase db) throws Exception {
        // Two instants that St John's prints as the same local time, an hour apart, told apart only by the offset.
        check(db, ST_JOHNS, KATHMANDU, Map.of(3, "2024-11-03 01:30:00-02:30", 4, "2024-11-03 01:30:00-03:30",
                5, "1899-12-31 20:29:08-03:30:52"));
    }

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void jvmInKathmanduDatabaseInStJohns(PgDatabase db) throws Exception {
        check(db, KATHMANDU, ST_JOHNS, Map.of(4, "2024-11-03 10:45:00+05:45", 5, "1900-01-01 05:41:16+05:41:16",
                6, "1986-01-01 00:15:00+05:45"));
    }

    /** Runs the copy and the stream with the JVM in {@code jvmZone}; {@code text} pins how that zone prints values. */
    private void check(PgDatabase db, String jvmZone, String dbZone, Map<Integer, String> text) throws Exception {
        TimeZone.setDefault(TimeZone.getTimeZone(jvmZone));
        db.execute("ALTER DATABASE \"" + db.name() + "\" SET timezone = '" + dbZone + "'",
                "CREATE TABLE tz (id int PRIMARY KEY, tstz timestamptz, ts timestamp, d date, tm time, ttz timetz)");
        for (String row : ROWS) {
            db.execute("INSERT INTO tz VALUES (" + row + ")");
        }
        // pgjdbc sends the JVM's zone as the session TimeZone, which overrides the database's setting.
        assertThat(db.queryOne("SHOW timezone")).isEqualTo(jvmZone);
        assertThat(db.queryOne("SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting s"
                + " JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()"))
                .isEqualTo("TimeZone=" + dbZone);
        text.forEach((id, printed) -> assertThat(db.queryOne("SELECT tstz::text FROM tz WHERE id = " + id))
                .isEqualTo(printed));

        TableId t = new TableId("public", "tz");
        Map<Integer, String> got = new ConcurrentHashMap<>();
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            assertThat(textCopy(conn, t)).as("text COPY").isEqualTo(expected(0));
            SnapshotLedger ledger = SnapshotLedger.inMemory();
            try (ValueSink sink = new ValueSink(got);
                    PgSource source = SourceFixture.start(conn, "tz", List.of(t), sink, ledger, fastOptions())) {
                SourceFixture.await(() -> ledger.completed().contains(t), Duration.ofSeconds(60), source::toString);
                for (String row : ROWS) {
                    db.execute("INSERT INTO tz VALUES (10" + row + ")"); // ids 101..106
                }
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
            } finally {
                PgSource.removePipeline(conn, "tz");
            }
        }
        Map<Integer, String> snapshot = new TreeMap<>();
        Map<Integer, String> stream = new TreeMap<>();
        got.forEach((id, v) -> (id > 100 ? stream : snapshot).put(id, v));
        assertThat(snapshot).as("binary COPY snapshot").isEqualTo(expected(0));
        assertThat(stream).as("pgoutput stream").isEqualTo(expected(100));
    }

    private static Map<Integer, String> textCopy(PgConnector conn, TableId t) throws Exception {
        Map<Integer, String> out = new TreeMap<>();
        SlotManager slots = new SlotManager(conn, ReplicationNames.forPipeline("tz_text"));
        try (RootAllocator alloc = new RootAllocator(); ExportedSnapshot snap = slots.createBackfillSnapshot()) {
            DeliveryQueue queue = new DeliveryQueue(100);
            new SnapshotCopier(conn, alloc, BatchLimits.DEFAULT, 1, p -> { }, SnapshotCopier.Format.TEXT)
                    .copy(List.of(t), snap, queue);
            Object item;
            while ((item = queue.poll(0)) != null) {
                if (item instanceof ChangeBatch b) {
                    try (b) {
                        collect(b, out);
                    }
                }
            }
        }
        return out;
    }

    static void collect(ChangeBatch b, Map<Integer, String> out) {
        VectorSchemaRoot root = b.root();
        IntVector id = (IntVector) root.getVector("id");
        TimeStampMicroTZVector tstz = (TimeStampMicroTZVector) root.getVector("tstz");
        assertThat(tstz.getTimeZone()).isEqualTo("UTC");
        TimeStampMicroVector ts = (TimeStampMicroVector) root.getVector("ts");
        DateDayVector d = (DateDayVector) root.getVector("d");
        TimeMicroVector tm = (TimeMicroVector) root.getVector("tm");
        StructVector ttz = (StructVector) root.getVector("ttz");
        TimeMicroVector ttzTime = ttz.getChild(ColumnMapping.TIMETZ_TIME, TimeMicroVector.class);
        IntVector ttzOffset = ttz.getChild(ColumnMapping.TIMETZ_OFFSET, IntVector.class);
        for (int r = 0; r < root.getRowCount(); r++) {
            out.put(id.get(r), "tstz=" + tstz.get(r) + " ts=" + ts.get(r) + " d=" + d.get(r) + " tm=" + tm.get(r)
                    + " ttz=" + ttzTime.get(r) + "@" + ttzOffset.get(r));
        }
    }

    static String render(Instant tstz, LocalDateTime ts, LocalDate d, long tmMicros, long ttzMicros, int ttzOffset) {
        long tsMicros = Math.multiplyExact(ts.toEpochSecond(ZoneOffset.UTC), 1_000_000L) + ts.getNano() / 1000;
        return "tstz=" + micros(tstz) + " ts=" + tsMicros + " d=" + d.toEpochDay() + " tm=" + tmMicros + " ttz="
                + ttzMicros + "@" + ttzOffset;
    }

    static long micros(Instant i) {
        return Math.multiplyExact(i.getEpochSecond(), 1_000_000L) + i.getNano() / 1000;
    }

    static Instant instant(String s) {
        return Instant.parse(s);
    }

    static LocalDateTime local(String s) {
        return LocalDateTime.parse(s);
    }

    static long time(String s) {
        return LocalTime.parse(s).toNanoOfDay() / 1000;
    }

    /** Keeps the raw Arrow values of each row by id; durable at once. */
    static final class ValueSink implements ChangeSink {
        private final Map<Integer, String> out;
        private Durability durability;

        ValueSink(Map<Integer, String> out) {
            this.out = out;
        }

        @Override
        public void open(Durability d) {
            this.durability = d;
        }

        @Override
        public void accept(ChangeEvent event) {
            if (event instanceof ChangeBatch b) {
                try (b) {
                    Map<Integer, String> rows = new TreeMap<>();
                    collect(b, rows);
                    rows.forEach((id, v) -> assertThat(out.put(id, v)).as("row %d twice", id).isNull());
                }
            } else if (event instanceof TransactionCommitted c) {
                durability.durable(c.endLsn());
            }
        }

        @Override
        public void snapshotCompleted(TableId table) {
            durability.snapshotDurable(table);
        }

        @Override
        public void close() {
        }
    }
}
