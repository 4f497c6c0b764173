package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stops under a running source for about two seconds: the source's connection attempts, seen on the wire
 * through a {@link TcpProxy}, are spaced by the capped doubling of its backoff; its status names the next attempt's
 * time while it waits; once the server is back it resumes from the confirmed position, losing and repeating nothing.
 */
@ExtendWith(PostgresExtension.class)
class PgSourceRestartTest {

    private static final Duration INITIAL = Duration.ofMillis(25);
    private static final Duration CAP = Duration.ofMillis(200);

    @TempDir
    Path dir;

    /** One look at the source's status; {@code at} is the clock read just after it. */
    private record Sample(Instant at, PgSource.Status status) {
    }

    @Test
    void whileTheServerIsDownAttemptsBackOffByDoublingUpToTheCapAndTheStreamResumesExactly(PgDatabase db)
            throws Exception {
        db.execute("CREATE TABLE rs (id int PRIMARY KEY)");
        TableId t = new TableId("public", "rs");
        Path rec = dir.resolve("restart.rec");
        // No jitter: the spacing below is checked against the exact schedule (the unit test covers jitter).
        PgSource.Options options = fastOptions().withBackoff(new ReconnectBackoff(INITIAL, CAP, 0,
                Duration.ofSeconds(30)));
        List<Long> arrivals;
        long stopBegin;
        long restartBegin;
        List<Sample> samples = new CopyOnWriteArrayList<>();
        try (PgPassword pw = PgPassword.none(); TcpProxy proxy = new TcpProxy(db.host(), db.port())) {
            PgConnector conn = SourceFixture.throughProxy(proxy, db, pw, 10);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "restart", List.of(t), sink, SnapshotLedger.inMemory(),
                            options)) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("INSERT INTO rs SELECT generate_series(1, 100)");
                awaitCaughtUp(db, source, Duration.ofSeconds(30));
                db.execute("INSERT INTO rs SELECT generate_series(101, 150)"); // maybe still on its way at the stop
                Thread sampler = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        PgSource.Status s = source.status();
                        samples.add(new Sample(Instant.now(), s));
                        try {
                            Thread.sleep(5);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "status-sampler");
                sampler.setDaemon(true);
                stopBegin = System.nanoTime();
                sampler.start();
                try {
                    db.cluster().stop();
                    // The source notices the server gone within about a quarter second (its end-of-stream probe,
                    // see PgSourceDeadConnectionTest); the two seconds count from then.
                    SourceFixture.await(() -> source.status().reconnects() > 0, Duration.ofSeconds(20),
                            source::toString);
                    Thread.sleep(2000);
                    restartBegin = System.nanoTime();
                    db.cluster().startAgain();
                    SourceFixture.await(() -> source.status().state() == SourceState.STREAMING,
                            Duration.ofSeconds(30), source::toString);
                } finally {
                    sampler.interrupt();
                    sampler.join(2000);
                }
                db.execute("INSERT INTO rs SELECT generate_series(151, 200)");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
                arrivals = proxy.arrivals();
                PgSource.Status end = source.status();
                assertThat(end.state()).isEqualTo(SourceState.STREAMING);
                assertThat(end.nextAttemptAt()).as("no retry pending once streaming").isNull();
                long failedWhileDown = arrivals.stream().filter(a -> a > stopBegin && a < restartBegin).count();
                // the lost stream, then every attempt while the server was down
                assertThat(end.reconnects()).as(end.toString()).isGreaterThanOrEqualTo((int) failedWhileDown + 1);
            } finally {
                if (!db.cluster().isRunning()) {
                    db.cluster().startAgain();
                }
                PgSource.removePipeline(new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(),
                        "postgres", SslMode.DISABLE, null), pw), "restart");
            }
        }

        // Every connection after the stop began, until the restart began, is one failed attempt (the source opens no
        // other connection while it streams): the k-th came after a wait of min(cap, initial * 2^(k-1)) from the
        // end of the one before, so the gap before it is at least that (less a margin for when the proxy noticed).
        List<Long> attempts = arrivals.stream().filter(a -> a > stopBegin && a < restartBegin).toList();
        assertThat(attempts).as("attempts while the server was down (~2 s): " + millisBetween(attempts))
                .hasSizeGreaterThanOrEqualTo(6);
        List<Long> gaps = millisBetween(attempts);
        ReconnectBackoff policy = options.backoff();
        for (int i = 0; i < gaps.size(); i++) {
            long expected = policy.ceiling(i + 2).toMillis(); // gap i ends at attempt i + 2 (1-based)
            assertThat(gaps.get(i)).as("gap %d of %s: the wait before attempt %d is %d ms", i, gaps, i + 2, expected)
                    .isGreaterThanOrEqualTo(expected * 3 / 4 - 15);
        }
        // The cap holds: once reached, the typical gap stays near it instead of doubling on (200, 400, 800, ...).
        // The median shrugs off a single stall of a loaded machine.
        List<Long> atCap = new ArrayList<>(gaps.subList(2, gaps.size()));
        atCap.sort(null);
        long median = atCap.get(atCap.size() / 2);
        assertThat(median).as("median gap once at the cap, of " + gaps).isLessThan(CAP.toMillis() * 3 / 2);

        // While it waits, the status says when the next attempt comes: never later than the cap from the look, at
        // some look well ahead of it, and only while RECONNECTING.
        List<Sample> waiting = samples.stream().filter(s -> s.status().state() == SourceState.RECONNECTING).toList();
        assertThat(waiting).as("looks at a waiting source").isNotEmpty();
        long furthestAhead = 0;
        for (Sample s : waiting) {
            Instant next = s.status().nextAttemptAt();
            assertThat(next).as(s.toString()).isNotNull();
            assertThat(next).as(s.toString()).isBeforeOrEqualTo(s.at().plus(CAP));
            furthestAhead = Math.max(furthestAhead, Duration.between(s.at(), next).toMillis());
        }
        assertThat(furthestAhead).as("the longest announced wait ahead").isGreaterThanOrEqualTo(CAP.toMillis() / 2);
        assertThat(samples).filteredOn(s -> s.status().state() != SourceState.RECONNECTING)
                .allMatch(s -> s.status().nextAttemptAt() == null);

        // A sink may see a transaction again after a reconnect (it dedupes by commit LSN and seq, see package-info):
        // after that, every change exactly once, in commit order, and nothing else.
        java.util.Map<String, Integer> changes = new java.util.LinkedHashMap<>();
        for (RecordingSink.Row r : RecordingSink.read(rec)) {
            Integer id = Integer.parseInt(r.values().get("id"));
            Integer before = changes.putIfAbsent(r.lsn() + ":" + r.seq(), id);
            assertThat(before == null || before.equals(id)).as("a change delivered again is the same change").isTrue();
        }
        assertThat(List.copyOf(changes.values())).as("every change once, in commit order")
                .isEqualTo(IntStream.rangeClosed(1, 200).boxed().toList());
    }

    private static List<Long> millisBetween(List<Long> nanos) {
        List<Long> out = new ArrayList<>();
        for (int i = 1; i < nanos.size(); i++) {
            out.add((nanos.get(i) - nanos.get(i - 1)) / 1_000_000);
        }
        return out;
    }
}
