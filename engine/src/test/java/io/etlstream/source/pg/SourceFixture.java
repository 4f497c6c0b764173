package io.etlstream.source.pg;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.PgDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Helpers shared by the PgSource integration tests. */
final class SourceFixture {
    private SourceFixture() {}

    static PgConnector connector(PgDatabase db, PgPassword pw) {
        return new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres", SslMode.DISABLE, null), pw);
    }

    /** A connector to {@code db} as postgres, through {@code proxy}; {@code connectTimeoutSeconds} as PgConnector's. */
    static PgConnector throughProxy(TcpProxy proxy, PgDatabase db, PgPassword pw, int connectTimeoutSeconds) {
        return new PgConnector(new PgSourceConfig(proxy.host(), proxy.port(), db.name(), "postgres", SslMode.DISABLE,
                null), pw, connectTimeoutSeconds);
    }

    static PgSource.Options fastOptions() {
        return PgSource.Options.defaults().withStatusInterval(Duration.ofSeconds(1))
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)).withHeartbeatInterval(Duration.ZERO);
    }

    static PgSource start(PgConnector c, String pipeline, List<TableId> tables, ChangeSink sink, SnapshotLedger ledger,
            PgSource.Options options) throws Exception {
        PgSource s = new PgSource(c, pipeline, tables, sink, ledger, options);
        s.start();
        return s;
    }

    static long currentLsn(PgDatabase db) {
        return Lsn.parse(db.queryOne("SELECT pg_current_wal_lsn()"));
    }

    /**
     * Waits until the sink made durable everything committed so far: a transactional logical message (PG14+,
     * delivered with messages=true) commits after all of it.
     */
    static void awaitCaughtUp(PgDatabase db, PgSource source, Duration timeout) {
        long target = Lsn.parse(db.queryOne("SELECT pg_logical_emit_message(true, 'etl-stream-test', 'caught up')"));
        await(() -> source.status().durableLsn() > target || source.failure().isPresent(), timeout,
                () -> "source did not catch up to " + Lsn.format(target) + ": " + source.status());
        if (source.failure().isPresent()) {
            throw new AssertionError("source failed", source.failure().get());
        }
    }

    static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out: " + what.get());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static Path file(Path dir, String name) {
        return dir.resolve(name);
    }
}
