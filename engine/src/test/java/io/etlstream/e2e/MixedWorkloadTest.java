package io.etlstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The workload is deterministic however it is cut into chunks, and its counts describe the committed data. */
@ExtendWith(PostgresExtension.class)
class MixedWorkloadTest {

    @Test
    void chunkedAndSingleRunsMakeTheSameDataAndCounts(PgDatabase db) throws Exception {
        PgDatabase other = db.cluster().createDatabase("MixedWorkloadTest");
        MixedWorkload w = new MixedWorkload(42);
        long chunked = 0;
        try (Connection a = db.connect(); Connection b = other.connect()) {
            MixedWorkload.create(a);
            MixedWorkload.create(b);
            w.seed(a, 100);
            w.seed(b, 100);
            long t0 = System.nanoTime();
            long single = w.run(b, 3000);
            System.out.printf("[e2e] workload: %d changes in %d ms%n", single, (System.nanoTime() - t0) / 1_000_000);
            // the same seed in three runs, as three JVMs would do it
            for (int i = 0; i < 3 && chunked < single; i++) {
                chunked += new MixedWorkload(42).run(a, Math.min(1000, single - chunked));
            }
            assertThat(chunked).isEqualTo(single);
            Map<TableId, MixedWorkload.Counts> ca = MixedWorkload.counts(a);
            assertThat(ca).isEqualTo(MixedWorkload.counts(b));
            assertThat(MixedWorkload.totalChanges(a)).isEqualTo(single);
            for (TableId t : MixedWorkload.TABLES) {
                String digest = "SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) FROM "
                        + MixedWorkload.quote(t.schema()) + "." + MixedWorkload.quote(t.name()) + " x";
                assertThat(db.queryOne(digest)).as(t.toString()).isEqualTo(other.queryOne(digest));
                MixedWorkload.Counts c = ca.get(t);
                assertThat(c.inserts()).as("inserts into " + t).isPositive();
                assertThat(c.updates()).as("updates of " + t).isPositive();
                assertThat(c.deletes()).as("deletes from " + t).isPositive();
                if (c.truncates() == 0 && !MixedWorkload.changesKeys(t)) {
                    // no key changes and no TRUNCATE: every row is a seeded or inserted row not yet deleted
                    long rows = Long.parseLong(db.queryOne("SELECT count(*) FROM " + MixedWorkload.quote(t.schema())
                            + "." + MixedWorkload.quote(t.name())));
                    assertThat(rows).as("rows of " + t).isEqualTo(c.seeded() + c.inserts() - c.deletes());
                }
            }
            // every special value the brief names appears
            assertThat(db.queryOne("SELECT count(*) FROM e2e_scalars WHERE f8 = 'NaN' OR f8 = 'Infinity'"
                    + " OR f8 = '-Infinity'")).isNotEqualTo("0");
            assertThat(db.queryOne("SELECT count(*) FROM e2e_scalars WHERE nn = 'NaN'")).isNotEqualTo("0");
            assertThat(db.queryOne("SELECT count(*) FROM e2e_docs WHERE pg_column_size(big) > 2000"))
                    .isNotEqualTo("0");
        }
    }
}
