package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.Pg;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The replication connection stays alive and current: a blocked sink, an idle source. */
@ExtendWith(PostgresExtension.class)
@Pg(version = 17)
class PgSourceLivenessTest {

    /** Blocks for {@code block} on the first batch, then behaves like a null sink. */
    static final class BlockingSink implements ChangeSink {
        final NullSink inner = new NullSink();
        final AtomicBoolean blocked = new AtomicBoolean();
        private final Duration block;

        BlockingSink(Duration block) {
            this.block = block;
        }

        @Override
        public void open(Durability d) {
            inner.open(d);
        }

        @Override
        public void accept(ChangeEvent e) throws InterruptedException {
            if (e instanceof ChangeBatch && blocked.compareAndSet(false, true)) {
                Thread.sleep(block.toMillis());
            }
            inner.accept(e);
        }

        @Override
        public void snapshotCompleted(TableId t) {
            inner.snapshotCompleted(t);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void aSinkBlocking30sDoesNotGetTheWalsenderKilledAt10s(PgDatabase db) throws Exception {
        db.cluster().setConfig("wal_sender_timeout", "10s");
        db.execute("CREATE TABLE slow_t (id int PRIMARY KEY, pad text)");
        TableId t = new TableId("public", "slow_t");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            BlockingSink sink = new BlockingSink(Duration.ofSeconds(30));
            try (PgSource source = SourceFixture.start(conn, "slow", List.of(t), sink, SnapshotLedger.inMemory(),
                    fastOptions().withQueueCapacity(2))) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                String pid = db.queryOne("SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'etl_stream_slow'");
                for (int i = 0; i < 40; i++) {
                    db.execute("INSERT INTO slow_t SELECT g, repeat('p', 100) FROM generate_series(" + (i * 500 + 1) + ", "
                            + (i * 500 + 500) + ") g");
                }
                long t0 = System.nanoTime();
                SourceFixture.await(sink.blocked::get, Duration.ofSeconds(10), () -> "sink never got a batch");
                awaitCaughtUp(db, source, Duration.ofSeconds(120));
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofSeconds(25));
                assertThat(source.status().reconnects()).as(source.status().toString()).isZero();
                assertThat(db.queryOne("SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'etl_stream_slow'"))
                        .as("the same walsender served the whole time").isEqualTo(pid);
                assertThat(sink.inner.rows()).isEqualTo(20_000);
            } finally {
                PgSource.removePipeline(conn, "slow");
            }
        } finally {
            db.cluster().setConfig("wal_sender_timeout", "60s");
        }
    }

    /**
     * A heartbeat the server refuses (here: a function earlier on the search path that raises, like a standby's
     * "cannot execute during recovery") must not leave its new connection open: one a heartbeat interval would
     * exhaust max_connections.
     */
    @Test
    void aHeartbeatTheServerRefusesClosesItsConnection(PgDatabase db) throws Exception {
        db.execute("CREATE SCHEMA hb_fail",
                "CREATE FUNCTION hb_fail.pg_logical_emit_message(boolean, text, text) RETURNS pg_lsn LANGUAGE plpgsql"
                        + " AS $$BEGIN RAISE EXCEPTION 'refused heartbeat'; END$$",
                "ALTER DATABASE " + db.name() + " SET search_path = hb_fail, pg_catalog, public");
        try (PgPassword pw = PgPassword.none()) {
            PgSource source = new PgSource(connector(db, pw), "hbleak", List.of(new TableId("public", "x")),
                    new NullSink(), SnapshotLedger.inMemory(), fastOptions());
            for (int i = 0; i < 3; i++) {
                assertThat(source.heartbeat(null)).as("a refused heartbeat gives no connection back").isNull();
            }
            String count = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'etl-stream:heartbeat'"
                    + " AND datname = '" + db.name() + "'";
            // A closed connection's backend exits a moment after the close.
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!db.queryOne(count).equals("0") && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(db.queryOne(count)).as("heartbeat connections left open").isEqualTo("0");
        } finally {
            db.execute("ALTER DATABASE " + db.name() + " RESET search_path");
        }
    }

    @Test
    void anIdleSourceKeepsSlotLagNearZero(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE idle_pub (id int PRIMARY KEY)", "CREATE TABLE idle_other (id int, pad text)");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            NullSink sink = new NullSink();
            try (PgSource source = SourceFixture.start(conn, "idle_lag", List.of(new TableId("public", "idle_pub")), sink,
                    SnapshotLedger.inMemory(), fastOptions())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                // WAL keeps growing from a table the pipeline does not publish: nothing reaches the sink.
                db.execute("INSERT INTO idle_other SELECT g, repeat('x', 500) FROM generate_series(1, 40000) g");
                long written = Long.parseLong(db.queryOne("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
                        + " FROM pg_replication_slots WHERE slot_name = 'etl_stream_idle_lag'"));
                assertThat(written).as("the test wrote enough WAL to matter").isGreaterThan(10_000_000);
                SourceFixture.await(() -> Long.parseLong(db.queryOne("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(),"
                        + " confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = 'etl_stream_idle_lag'"))
                        < 64 * 1024, Duration.ofSeconds(20), () -> "slot lag stayed high");
                assertThat(sink.rows()).isZero();
            } finally {
                PgSource.removePipeline(conn, "idle_lag");
            }
        }
    }

    @Test
    void heartbeatsFlowThroughTheSinkAndAdvanceTheSlotOnAnIdleSource(PgDatabase db, @org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        db.execute("CREATE TABLE hb_t (id int PRIMARY KEY)");
        java.nio.file.Path rec = dir.resolve("hb.rec");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "heartbeat", List.of(new TableId("public", "hb_t")), sink,
                            SnapshotLedger.inMemory(), fastOptions().withHeartbeatInterval(Duration.ofMillis(500)))) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                long before = source.status().durableLsn();
                SourceFixture.await(() -> RecordingSink.lines(rec).stream().filter(l -> l.startsWith("H\t")).count() >= 2
                        && source.status().durableLsn() > before, Duration.ofSeconds(20), source::toString);
            } finally {
                PgSource.removePipeline(conn, "heartbeat");
            }
        }
    }
    /** Takes 100 ms per batch: far slower than the stream. */
    static final class SlowSink implements ChangeSink {
        final NullSink inner = new NullSink();
        final java.util.concurrent.atomic.AtomicInteger batches = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void open(Durability d) {
            inner.open(d);
        }

        @Override
        public void accept(ChangeEvent e) throws InterruptedException {
            if (e instanceof ChangeBatch) {
                Thread.sleep(100);
                batches.incrementAndGet();
            }
            inner.accept(e);
        }

        @Override
        public void snapshotCompleted(TableId t) {
            inner.snapshotCompleted(t);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void aStopDrainsOnlyForTheCallersBudget(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE drain_t (id int PRIMARY KEY)");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            SlowSink sink = new SlowSink();
            PgSource.Options options = fastOptions().withQueueCapacity(256).withStopTimeout(Duration.ofSeconds(2));
            assertThat(options.drainBudget()).isEqualTo(Duration.ofSeconds(1));
            assertThat(PgSource.Options.defaults().drainBudget()).isEqualTo(Duration.ofSeconds(15));
            PgSource source = SourceFixture.start(conn, "drain", List.of(new TableId("public", "drain_t")), sink,
                    SnapshotLedger.inMemory(), options);
            try {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                String[] inserts = new String[200]; // one batch each: 20 s of work for the sink
                for (int i = 0; i < inserts.length; i++) {
                    inserts[i] = "INSERT INTO drain_t VALUES (" + i + ")";
                }
                db.execute(inserts);
                SourceFixture.await(() -> sink.batches.get() >= 3 && source.status().queued() > 20,
                        Duration.ofSeconds(30), source::toString);
            } finally {
                long t0 = System.nanoTime();
                source.close();
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                // 1 s of draining plus the goodbye; the old fixed budget alone was 10 s.
                assertThat(took).isLessThan(Duration.ofSeconds(7));
                assertThat(sink.batches.get()).as("the stop did not wait for everything").isLessThan(150);
                PgSource.removePipeline(conn, "drain");
            }
        }
    }
}
