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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL is down when the source starts: the source says it cannot connect (it never did), with the connection
 * error that says what to check, and keeps trying on the same backoff as after a lost connection; once it has
 * connected, a later outage is a lost connection. Every look at the status pairs a failure with the next attempt
 * set after that failure, never with the one before it (already past).
 */
@ExtendWith(PostgresExtension.class)
class PgSourceUnreachableTest {

    private static final Duration INITIAL = Duration.ofMillis(25);
    private static final Duration CAP = Duration.ofMillis(200);

    @TempDir
    Path dir;

    @Test
    void aServerDownAtTheStartIsNotReachableNotLostAndTheSourceConnectsOnceItIsUp(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE ur (id int PRIMARY KEY)");
        TableId t = new TableId("public", "ur");
        // No jitter: the next attempts the status announces are checked against the exact schedule.
        ReconnectBackoff policy = new ReconnectBackoff(INITIAL, CAP, 0, Duration.ofSeconds(30));
        Looks looks = new Looks();
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = SourceFixture.connector(db, pw);
            db.cluster().stop();
            try (RecordingSink sink = new RecordingSink(dir.resolve("ur.rec"));
                    PgSource source = SourceFixture.start(conn, "unreachable", List.of(t), sink,
                            SnapshotLedger.inMemory(), fastOptions().withBackoff(policy))) {
                looks.start(source, 1);
                SourceFixture.await(() -> source.status().reconnects() >= 6, Duration.ofSeconds(20),
                        source::toString);
                PgSource.Status down = source.status();
                looks.stop();
                assertThat(down.state()).as(down.toString()).isIn(SourceState.RECONNECTING, SourceState.STARTING);
                assertThat(down.neverConnected()).as("nothing was lost: it never connected; " + down).isTrue();
                assertThat(down.lastError()).as("the connection error that says what to check")
                        .startsWith("connection to " + db.host() + ":" + db.port() + " was refused: check the port")
                        .contains("that PostgreSQL is running");
                assertThat(looks.seen).as("looks while waiting").isNotEmpty();
                looks.assertEachFailureHasItsOwnLaterNextAttempt();
                // the same capped doubling as after a lost connection: failure n+1 came no earlier than the attempt
                // announced after failure n, and announced its own after waiting min(cap, initial * 2^n) more
                Map<Integer, Instant> next = looks.nextByFailure();
                for (Map.Entry<Integer, Instant> e : next.entrySet()) {
                    Instant following = next.get(e.getKey() + 1);
                    if (following != null) {
                        assertThat(Duration.between(e.getValue(), following))
                                .as("after failure %d of %s", e.getKey() + 1, next)
                                .isGreaterThanOrEqualTo(policy.ceiling(e.getKey() + 1));
                    }
                }

                db.cluster().startAgain();
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                assertThat(source.status().neverConnected()).isFalse();
                db.execute("INSERT INTO ur SELECT generate_series(1, 10)");
                awaitCaughtUp(db, source, Duration.ofSeconds(30));

                int before = source.status().reconnects();
                db.cluster().stop();
                SourceFixture.await(() -> source.status().reconnects() > before, Duration.ofSeconds(20),
                        source::toString);
                PgSource.Status lost = source.status();
                assertThat(lost.neverConnected()).as("connected once: now it lost the connection; " + lost).isFalse();
            } finally {
                looks.stop();
                if (!db.cluster().isRunning()) {
                    db.cluster().startAgain();
                }
                PgSource.removePipeline(SourceFixture.connector(db, pw), "unreachable");
            }
        }
    }

    @Test
    void noLookShowsTheNextAttemptOfTheFailureBeforeTheOneItCounts(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE ur2 (id int PRIMARY KEY)");
        // Refused attempts a millisecond or two apart, looked at by more threads than cores, so that a look is often
        // cut off by the scheduler between its reads while the source records a further failure. With the next
        // attempt read before the state (as before), about one failure in a hundred was shown with the previous one's.
        ReconnectBackoff policy = new ReconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(2), 0,
                Duration.ofSeconds(30));
        Looks looks = new Looks();
        try (PgPassword pw = PgPassword.none()) {
            db.cluster().stop();
            try (RecordingSink sink = new RecordingSink(dir.resolve("ur2.rec"));
                    PgSource source = SourceFixture.start(SourceFixture.connector(db, pw), "unreachable2",
                            List.of(new TableId("public", "ur2")), sink, SnapshotLedger.inMemory(),
                            fastOptions().withBackoff(policy))) {
                looks.start(source, Math.max(3, Runtime.getRuntime().availableProcessors() + 1));
                SourceFixture.await(() -> source.status().reconnects() >= 800, Duration.ofSeconds(40),
                        source::toString);
                looks.stop();
                assertThat(looks.nextByFailure()).as("failures seen waiting").hasSizeGreaterThan(100);
                looks.assertEachFailureHasItsOwnLaterNextAttempt();
            } finally {
                looks.stop();
                if (!db.cluster().isRunning()) {
                    db.cluster().startAgain();
                }
                PgSource.removePipeline(SourceFixture.connector(db, pw), "unreachable2");
            }
        }
    }

    /** Threads that look at a source's status without pause and keep, per failure count, the next attempts shown. */
    private static final class Looks {
        final Map<Integer, Set<Instant>> seen = new ConcurrentHashMap<>();
        private final AtomicBoolean running = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();

        void start(PgSource source, int count) {
            running.set(true);
            for (int i = 0; i < count; i++) {
                Thread th = new Thread(() -> {
                    while (running.get()) {
                        PgSource.Status s = source.status();
                        if (s.state() == SourceState.RECONNECTING) {
                            seen.computeIfAbsent(s.reconnects(), k -> ConcurrentHashMap.newKeySet())
                                    .add(s.nextAttemptAt());
                        }
                    }
                }, "status-look-" + i);
                th.setDaemon(true);
                th.start();
                threads.add(th);
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread th : threads) {
                th.join(5000);
            }
            threads.clear();
        }

        Map<Integer, Instant> nextByFailure() {
            Map<Integer, Instant> out = new TreeMap<>();
            seen.forEach((n, at) -> out.put(n, at.iterator().next()));
            return out;
        }

        /**
         * One next attempt per failure count, and a later one for each further failure: a look that paired failure
         * n with failure n-1's next attempt (when attempt n had already been made) breaks one or the other.
         */
        void assertEachFailureHasItsOwnLaterNextAttempt() {
            Map<Integer, Set<Instant>> sorted = new TreeMap<>(seen);
            Instant previous = null;
            for (Map.Entry<Integer, Set<Instant>> e : sorted.entrySet()) {
                assertThat(e.getValue()).as("next attempts shown after failure %d", e.getKey()).hasSize(1)
                        .doesNotContainNull();
                Instant at = e.getValue().iterator().next();
                if (previous != null) {
                    assertThat(at).as("next attempt after failure %d", e.getKey()).isAfter(previous);
                }
                previous = at;
            }
        }
    }
}
