package io.etlstream.source.pg;

import static io.etlstream.source.pg.SourceFixture.awaitCaughtUp;
import static io.etlstream.source.pg.SourceFixture.connector;
import static io.etlstream.source.pg.SourceFixture.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL restarts under a running source: it backs off, reconnects and resumes from the confirmed position. */
@ExtendWith(PostgresExtension.class)
class PgSourceRestartTest {

    @TempDir
    Path dir;

    @Test
    void reconnectsAfterAServerRestartAndLosesNothing(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE rs (id int PRIMARY KEY)");
        TableId t = new TableId("public", "rs");
        Path rec = dir.resolve("restart.rec");
        try (PgPassword pw = PgPassword.none()) {
            PgConnector conn = connector(db, pw);
            try (RecordingSink sink = new RecordingSink(rec);
                    PgSource source = SourceFixture.start(conn, "restart", List.of(t), sink, SnapshotLedger.inMemory(),
                            fastOptions())) {
                SourceFixture.await(() -> source.status().state() == SourceState.STREAMING, Duration.ofSeconds(30),
                        source::toString);
                db.execute("INSERT INTO rs SELECT generate_series(1, 100)");
                db.cluster().stop();
                SourceFixture.await(() -> source.status().state() == SourceState.RECONNECTING, Duration.ofSeconds(20),
                        source::toString);
                Thread.sleep(3000); // several failed attempts while the server is down
                db.cluster().startAgain();
                db.execute("INSERT INTO rs SELECT generate_series(101, 200)");
                awaitCaughtUp(db, source, Duration.ofSeconds(60));
                assertThat(source.status().reconnects()).isGreaterThanOrEqualTo(2);
                assertThat(source.status().state()).isEqualTo(SourceState.STREAMING);
            } finally {
                if (!db.cluster().isRunning()) {
                    db.cluster().startAgain();
                }
                PgSource.removePipeline(conn, "restart");
            }
        }
        Set<Integer> ids = RecordingSink.read(rec).stream().map(r -> Integer.parseInt(r.values().get("id")))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(ids).hasSize(200).first().isEqualTo(1);
        assertThat(ids).last().isEqualTo(200);
    }
}
