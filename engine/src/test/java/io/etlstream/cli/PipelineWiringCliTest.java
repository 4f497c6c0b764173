package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.TableId;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.OversizePolicy;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import io.etlstream.home.EtlHome;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.ReplicationNames;
import io.etlstream.source.pg.SlotManager;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pipeline create --oversize}, the check that two selected tables do not share a Snowflake table (create and
 * add-table), and {@code pipeline remove-table} without an engine, which drops the table from the stored publication.
 */
@ExtendWith(PostgresExtension.class)
class PipelineWiringCliTest {

    @TempDir
    Path dir;

    StringWriter out;
    StringWriter err;

    int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return CliRunner.run(dir, out, err, args);
    }

    private void sourceAndDestination(String host, int port, String db) {
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            c.sources().add(Source.draft("pg1", host, port, db, "postgres")
                    .withSsl(io.etlstream.catalog.SslMode.DISABLE, null));
            c.destinations().add(Destination.draft("sf1", "acct", "http://127.0.0.1:1", "u", "r", "DB", "SC", "key"));
        }
    }

    private Pipeline stored(String name) {
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            return c.pipelines().require(name);
        }
    }

    @Test
    void oversizeIsChosenAtCreateStoredForTheSinkAndShown() {
        sourceAndDestination("127.0.0.1", 5432, "shop");
        assertThat(run("pipeline", "create", "big", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.docs", "--oversize", "null")).as(err.toString()).isEqualTo(0);
        assertThat(stored("big").oversizePolicy()).isEqualTo(OversizePolicy.NULL_WITH_EVENT);
        assertThat(run("pipeline", "show", "big")).isEqualTo(0);
        assertThat(out.toString()).contains("oversize null");

        assertThat(run("pipeline", "create", "strict", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.docs")).isEqualTo(0);
        assertThat(stored("strict").oversizePolicy()).isEqualTo(OversizePolicy.STOP);
        assertThat(run("pipeline", "show", "strict", "--json")).isEqualTo(0);
        assertThat(out.toString()).contains("\"oversize\"").contains("\"stop\"");

        assertThat(run("pipeline", "create", "bad", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.docs", "--oversize", "truncate")).isEqualTo(1);
        assertThat(err.toString()).contains("--oversize must be stop").contains("null");
        assertThat(run("pipeline", "create", "--help")).isEqualTo(0);
        assertThat(out.toString()).contains("--oversize=stop|null").contains("write null in its place");
    }

    @Test
    void tablesThatShareASnowflakeNameAreRefusedAtCreateAndAddTable() {
        sourceAndDestination("127.0.0.1", 5432, "shop");
        assertThat(run("pipeline", "create", "clash", "--source", "pg1", "--destination", "sf1", "--tables",
                "s1.t,s2.t")).isEqualTo(1);
        assertThat(err.toString()).contains("s1.t and s2.t would both be written to the Snowflake table T")
                .contains("Select only one of them");
        try (Catalog c = Catalog.open(new EtlHome(dir))) {
            assertThat(c.pipelines().find("clash")).isEmpty();
        }
        assertThat(run("pipeline", "create", "hist", "--source", "pg1", "--destination", "sf1", "--tables",
                "s1.t,s1.t_history")).isEqualTo(1);
        assertThat(err.toString()).contains("T_HISTORY");

        assertThat(run("pipeline", "create", "one", "--source", "pg1", "--destination", "sf1", "--tables",
                "s1.t,s1.u")).as(err.toString()).isEqualTo(0);
        assertThat(run("pipeline", "add-table", "one", "--table", "s2.t")).isEqualTo(1);
        assertThat(err.toString()).contains("would both be written");
        assertThat(run("pipeline", "add-table", "one", "--table", "s2.v")).as(err.toString()).isEqualTo(0);
    }

    @Test
    void removeTableWithoutAnEngineDropsTheTableFromTheStoredPublication(PgDatabase db) {
        db.execute("CREATE TABLE cr_a (id int PRIMARY KEY)", "CREATE TABLE cr_b (id int PRIMARY KEY)",
                "CREATE TABLE cr_c (id int PRIMARY KEY)");
        sourceAndDestination(db.host(), db.port(), db.name());
        assertThat(run("pipeline", "create", "cr", "--source", "pg1", "--destination", "sf1", "--tables",
                "public.cr_a,public.cr_b,public.cr_c")).as(err.toString()).isEqualTo(0);
        Pipeline p = stored("cr");
        ReplicationNames names = new ReplicationNames(p.slotName(), p.publicationName());
        TableId a = new TableId("public", "cr_a");
        TableId b = new TableId("public", "cr_b");
        TableId c = new TableId("public", "cr_c");
        try (PgPassword pw = PgPassword.none()) {
            SlotManager slots = new SlotManager(new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(),
                    "postgres", SslMode.DISABLE, null), pw), names);
            slots.ensurePublication(List.of(a, b, c));

            assertThat(run("pipeline", "remove-table", "cr", "--table", "public.cr_b", "--no-password"))
                    .as(err.toString()).isEqualTo(0);
            assertThat(out.toString()).contains("dropped it from publication " + names.publication())
                    .contains("destination tables stay in Snowflake");
            assertThat(slots.publishedTables()).containsExactlyInAnyOrder(a, c);

            assertThat(run("pipeline", "remove-table", "cr", "--table", "public.cr_c")).as(err.toString())
                    .isEqualTo(0);
            assertThat(out.toString()).contains("leaves the publication when the pipeline next starts");
            assertThat(run("pipeline", "show", "cr")).isEqualTo(0);
            assertThat(out.toString()).contains("public.cr_a").doesNotContain("public.cr_b")
                    .doesNotContain("public.cr_c");
            slots.dropAll();
        }
    }
}
