package io.etlstream.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.home.EtlHome;
import io.etlstream.source.pg.ReplicationNames;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slot and publication names carry the home's id, so two homes' pipelines of the same name do not share a slot on one
 * PostgreSQL server; pipelines stored before the home id existed keep the names their slots already have.
 */
class CatalogHomeIdTest {

    @TempDir
    Path dir;

    @Test
    void twoHomesGiveTheSamePipelineNameDifferentSlots() {
        String a;
        String b;
        String homeA;
        try (Catalog one = Catalog.open(new EtlHome(dir.resolve("a")))) {
            homeA = one.pipelines().homeId();
            a = add(one, "orders").slotName();
        }
        try (Catalog two = Catalog.open(new EtlHome(dir.resolve("b")))) {
            b = add(two, "orders").slotName();
        }
        assertThat(homeA).matches("[a-z0-9]{8}");
        assertThat(a).isEqualTo("etl_stream_" + homeA + "_orders");
        assertThat(b).matches("etl_stream_[a-z0-9]{8}_orders").isNotEqualTo(a);
        // The id is created once: reopening the home gives the same one.
        try (Catalog again = Catalog.open(new EtlHome(dir.resolve("a")))) {
            assertThat(again.pipelines().homeId()).isEqualTo(homeA);
            assertThat(again.pipelines().require("orders").slotName()).isEqualTo(a);
        }
    }

    @Test
    void longNamesStayWithinPostgresLimitAndApart() {
        String base = "x".repeat(60);
        String n1 = Pipeline.pgNameFor(base + "_one", "abcd1234");
        String n2 = Pipeline.pgNameFor(base + "_two", "abcd1234");
        assertThat(n1).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9_]+").startsWith("etl_stream_abcd1234_xxx");
        assertThat(n2).hasSizeLessThanOrEqualTo(63).isNotEqualTo(n1);
        assertThat(new ReplicationNames(n1, n1).slot()).isEqualTo(n1);
    }

    @Test
    void pipelinesFromBeforeTheHomeIdKeepTheirSlotNames() throws Exception {
        EtlHome home = new EtlHome(dir.resolve("old"));
        java.nio.file.Files.createDirectories(home.catalogDir());
        String longName = "Orders-" + "y".repeat(56); // folded name past 63 bytes: the old rule cut it and hashed
        Flyway.configure().dataSource(Catalog.jdbcUrl(home), "etl", "").locations("classpath:db/catalog").target("1")
                .load().migrate();
        try (Connection c = DriverManager.getConnection(Catalog.jdbcUrl(home), "etl", "");
                Statement st = c.createStatement()) {
            st.execute("INSERT INTO source (name, host, port, database_name, user_name, created_at, updated_at)"
                    + " VALUES ('s', 'h', 5432, 'd', 'u', now(), now())");
            st.execute("INSERT INTO destination (name, account, user_name, role_name, database_name, schema_name, key_alias,"
                    + " created_at, updated_at) VALUES ('d', 'ORG-ACCT', 'u', 'r', 'db', 'sc', 'k', now(), now())");
            for (String name : new String[] {"shop", longName}) {
                String stored = Pipeline.pgNameFor(name); // what V1 stored (the engine ignored it)
                st.execute("INSERT INTO pipeline (name, source_id, destination_id, mode, merge_interval_seconds,"
                        + " deletes, snapshot, parallelism, enabled, priority, slot_name, publication_name,"
                        + " oversize_policy, settings_version, created_at, updated_at) VALUES ('" + name + "', 1, 1,"
                        + " 'mirror', 60, 'hard', true, 4, true, 0, '" + stored + "', '" + stored + "', 'stop', 1,"
                        + " now(), now())");
            }
        }
        try (Catalog catalog = Catalog.open(home)) {
            for (String name : new String[] {"shop", longName}) {
                Pipeline p = catalog.pipelines().require(name);
                String slotTheEngineCreated = ReplicationNames.forPipeline(name).slot();
                assertThat(p.slotName()).isEqualTo(slotTheEngineCreated);
                assertThat(p.publicationName()).isEqualTo(ReplicationNames.forPipeline(name).publication());
            }
            assertThat(catalog.pipelines().require("shop").slotName()).isEqualTo("etl_stream_shop");
            assertThat(catalog.pipelines().require(longName).slotName()).hasSize(63)
                    .isNotEqualTo(Pipeline.pgNameFor(longName));
            // A pipeline added now gets the home's names.
            Pipeline fresh = add(catalog, "fresh");
            assertThat(fresh.slotName()).isEqualTo("etl_stream_" + catalog.pipelines().homeId() + "_fresh");
        }
    }

    private static Pipeline add(Catalog c, String name) {
        long src = c.sources().list().stream().findFirst().map(Source::id).orElseGet(() -> c.sources()
                .add(Source.draft("s", "localhost", 5432, "db", "u")).id());
        long dst = c.destinations().list().stream().findFirst().map(Destination::id).orElseGet(() -> c.destinations()
                .add(Destination.draft("d", "ORG-ACCT", null, "U", "R", "DB", "SC", "sf/d").withWarehouse("WH")).id());
        return c.pipelines().add(Pipeline.draft(name, src, dst));
    }
}
