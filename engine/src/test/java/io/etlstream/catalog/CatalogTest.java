package io.etlstream.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.home.EtlHome;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {

    @TempDir
    Path dir;

    EtlHome home;
    Catalog catalog;

    @BeforeEach
    void open() {
        home = new EtlHome(dir);
        catalog = Catalog.open(home);
    }

    @AfterEach
    void close() {
        catalog.close();
    }

    private Source addSource(String name) {
        return catalog.sources().add(Source.draft(name, "db.example.com", 5432, "shop", "etl")
                .withSsl(SslMode.VERIFY_FULL, "/etc/ssl/root.crt").withPasswordAlias("pg/" + name));
    }

    private Destination addDestination(String name) {
        return catalog.destinations().add(Destination.draft(name, "ORG-ACCT", null, "ETL_USER", "ETL_ROLE", "RAW",
                "SHOP", "sf/" + name).withWarehouse("WH"));
    }

    @Test
    void sourcesRoundTripAndSurviveReopen() {
        Source s = addSource("shop");
        assertThat(s.id()).isPositive();
        assertThat(s.createdAt()).isNotNull();
        assertThat(s.sslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(s.passwordAlias()).isEqualTo("pg/shop");

        Source moved = catalog.sources().update(s.withEndpoint("db2.example.com", 6432, "shop", "etl2").withSsl(SslMode.DISABLE, null));
        assertThat(moved.host()).isEqualTo("db2.example.com");
        assertThat(moved.port()).isEqualTo(6432);
        assertThat(moved.sslRootCert()).isNull();
        assertThat(moved.createdAt()).isEqualTo(s.createdAt());

        catalog.close();
        catalog = Catalog.open(home);
        assertThat(catalog.sources().find("shop")).contains(moved);
        assertThat(catalog.sources().find(s.id())).contains(moved);
        assertThat(catalog.sources().list()).extracting(Source::name).containsExactly("shop");
    }

    @Test
    void duplicateNamesAreRefusedWithAMessage() {
        addSource("shop");
        assertThatThrownBy(() -> addSource("shop")).isInstanceOf(UserFacingException.class)
                .hasMessageContaining("A source named 'shop' already exists");
        addDestination("sf");
        assertThatThrownBy(() -> addDestination("sf")).isInstanceOf(UserFacingException.class)
                .hasMessageContaining("A destination named 'sf' already exists");
        // The failed insert rolled back: the catalog still works and holds one of each.
        assertThat(catalog.sources().list()).hasSize(1);
        assertThat(catalog.destinations().list()).hasSize(1);
    }

    @Test
    void requireListsKnownNames() {
        addSource("a");
        addSource("b");
        assertThatThrownBy(() -> catalog.sources().require("c")).isInstanceOf(UserFacingException.class)
                .hasMessage("No source named 'c'. Known sources: a, b.");
    }

    @Test
    void pipelinesKeepTheirSettingsAndVersion() {
        Source s = addSource("shop");
        Destination d = addDestination("sf");
        Pipeline p = catalog.pipelines().add(Pipeline.draft("Shop Orders", s.id(), d.id())
                .withMode(PipelineMode.HISTORY).withDeletes(DeleteMode.SOFT).withParallelism(2)
                .withOversizePolicy(OversizePolicy.NULL_WITH_EVENT).withPriority(5));
        assertThat(p.slotName()).isEqualTo("etl_stream_" + catalog.pipelines().homeId() + "_shop_orders")
                .matches("etl_stream_[a-z0-9]{8}_shop_orders");
        assertThat(p.publicationName()).isEqualTo(p.slotName());
        assertThat(p.settingsVersion()).isEqualTo(1);
        assertThat(p.mode()).isEqualTo(PipelineMode.HISTORY);
        assertThat(p.deletes()).isEqualTo(DeleteMode.SOFT);
        assertThat(p.oversizePolicy()).isEqualTo(OversizePolicy.NULL_WITH_EVENT);
        assertThat(p.snapshot()).isTrue();
        assertThat(p.enabled()).isTrue();

        Pipeline updated = catalog.pipelines().update(p.withEnabled(false).withMergeIntervalSeconds(300));
        assertThat(updated.settingsVersion()).isEqualTo(2);
        assertThat(updated.enabled()).isFalse();
        assertThat(updated.mergeIntervalSeconds()).isEqualTo(300);

        // An update based on the stale read is refused.
        assertThatThrownBy(() -> catalog.pipelines().update(p.withPriority(1)))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("was changed elsewhere");
        assertThat(catalog.pipelines().find(p.id()).orElseThrow().priority()).isEqualTo(5);
        assertThat(catalog.pipelines().listEnabled()).isEmpty();
        assertThat(catalog.pipelines().listBySource(s.id())).extracting(Pipeline::name).containsExactly("Shop Orders");
    }

    @Test
    void pipelineReferencesAreEnforced() {
        Source s = addSource("shop");
        Destination d = addDestination("sf");
        assertThatThrownBy(() -> catalog.pipelines().add(Pipeline.draft("x", s.id(), 999)))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("does not exist");
        catalog.pipelines().add(Pipeline.draft("p1", s.id(), d.id()).withSlotName("slot_a"));
        assertThatThrownBy(() -> catalog.pipelines().add(Pipeline.draft("p2", s.id(), d.id()).withSlotName("slot_a")))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("replication slot 'slot_a'");

        assertThatThrownBy(() -> catalog.sources().remove("shop")).isInstanceOf(UserFacingException.class)
                .hasMessage("Source 'shop' is used by pipeline(s) p1. Remove those pipelines first.");
        assertThatThrownBy(() -> catalog.destinations().remove("sf")).isInstanceOf(UserFacingException.class)
                .hasMessageContaining("used by pipeline(s) p1");
        assertThat(catalog.pipelines().remove("p1")).isTrue();
        assertThat(catalog.pipelines().remove("p1")).isFalse();
        assertThat(catalog.sources().remove("shop")).isTrue();
        assertThat(catalog.destinations().remove("sf")).isTrue();
        assertThat(catalog.sources().list()).isEmpty();
    }

    @Test
    void invalidSettingsFailBeforeTheDatabase() {
        assertThatThrownBy(() -> Source.draft("s", "h", 0, "d", "u")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Pipeline.draft("p", 1, 1).withSlotName("Bad-Name"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slot name");
        assertThatThrownBy(() -> Destination.draft("d", null, " ", "u", "r", "db", "s", "k"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("account or a url");
    }

    @Test
    void tablePhasesFollowTheStateMachine() {
        Pipeline p = catalog.pipelines().add(Pipeline.draft("p", addSource("s").id(), addDestination("d").id()));
        TableSelections t = catalog.tables();
        TableSelection sel = t.add(p.id(), "public", "orders");
        assertThat(sel.phase()).isEqualTo(TablePhase.INIT);
        assertThatThrownBy(() -> t.add(p.id(), "public", "orders")).isInstanceOf(UserFacingException.class);

        assertThat(t.moveTo(p.id(), "public", "orders", TablePhase.DATA_SYNC).phase()).isEqualTo(TablePhase.DATA_SYNC);
        t.updateSnapshotProgress(p.id(), "public", "orders", 1000, 65536);
        assertThatThrownBy(() -> t.moveTo(p.id(), "public", "orders", TablePhase.READY))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("DATA_SYNC to READY");
        t.moveTo(p.id(), "public", "orders", TablePhase.FINISHED_COPY);
        t.moveTo(p.id(), "public", "orders", TablePhase.SYNC_DONE);
        TableSelection ready = t.moveTo(p.id(), "public", "orders", TablePhase.READY);
        assertThat(ready.snapshotRows()).isEqualTo(1000);
        assertThat(ready.snapshotBytes()).isEqualTo(65536);

        assertThat(t.advanceCommittedLsn(p.id(), "public", "orders", 0x16B3748L)).isTrue();
        assertThat(t.advanceCommittedLsn(p.id(), "public", "orders", 0x1000L)).isFalse();
        assertThat(t.find(p.id(), "public", "orders").orElseThrow().lastCommittedLsn()).isEqualTo(0x16B3748L);

        TableSelection errored = t.markErrored(p.id(), "public", "orders", "value too large in column note");
        assertThat(errored.phase()).isEqualTo(TablePhase.ERRORED);
        assertThat(errored.error()).isEqualTo("value too large in column note");
        assertThatThrownBy(() -> t.moveTo(p.id(), "public", "orders", TablePhase.READY))
                .isInstanceOf(IllegalStateException.class);
        TableSelection reset = t.moveTo(p.id(), "public", "orders", TablePhase.INIT);
        assertThat(reset.error()).isNull();
        assertThat(reset.snapshotRows()).isZero();

        t.add(p.id(), "audit", "log");
        assertThat(t.list(p.id())).extracting(TableSelection::qualifiedName).containsExactly("audit.log", "public.orders");
        assertThatThrownBy(() -> t.advanceCommittedLsn(p.id(), "public", "nope", 1))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("not selected");

        // Removing the pipeline removes its selections.
        catalog.pipelines().remove("p");
        assertThat(t.list(p.id())).isEmpty();
    }

    @Test
    void aTablesKeyColumnsRoundTripWithAnyCharacterAndSurviveReopen() {
        Pipeline p = catalog.pipelines().add(Pipeline.draft("p", addSource("s").id(), addDestination("d").id()));
        TableSelections t = catalog.tables();
        t.add(p.id(), "public", "orders");
        assertThat(t.keyColumns(p.id(), "public", "orders")).as("never recorded").isEmpty();
        List<String> odd = List.of("id", "a,b", "say \"hi\"", "[x]", "\\");
        assertThat(t.setKeyColumns(p.id(), "public", "orders", odd)).isTrue();
        catalog.close();
        catalog = Catalog.open(home);
        t = catalog.tables();
        assertThat(t.keyColumns(p.id(), "public", "orders")).contains(odd);
        assertThat(t.setKeyColumns(p.id(), "public", "orders", List.of())).isTrue();
        assertThat(t.keyColumns(p.id(), "public", "orders")).as("recorded: no key").contains(List.of());
        assertThat(t.setKeyColumns(p.id(), "public", "orders", null)).isTrue();
        assertThat(t.keyColumns(p.id(), "public", "orders")).as("forgotten").isEmpty();
        assertThat(t.setKeyColumns(p.id(), "public", "nope", List.of("id"))).as("not selected").isFalse();
        assertThat(t.keyColumns(p.id(), "public", "nope")).isEmpty();
    }

    @Test
    void everyPhaseHasALegalWayBackToInitExceptInitItself() {
        for (TablePhase phase : TablePhase.values()) {
            assertThat(phase.canMoveTo(phase)).as("self-move of %s", phase).isFalse();
            if (phase != TablePhase.INIT) {
                assertThat(phase.canMoveTo(TablePhase.INIT)).as("%s -> INIT", phase).isTrue();
            }
        }
        assertThat(TablePhase.ERRORED.next()).containsExactly(TablePhase.INIT);
    }

    @Test
    void eventsAppendAndTail() {
        Event first = catalog.events().append(Event.info("engine.start", "engine started"));
        Event second = catalog.events().append(Event.warn("lag", "slot is 2 GB behind").forPipeline(7).forSource(3)
                .withDetails("{\"bytes\":2147483648}"));
        Event third = catalog.events().append(Event.error("sink", "x".repeat(5000)));
        assertThat(second.id()).isGreaterThan(first.id());
        assertThat(third.message()).hasSize(4096);

        assertThat(catalog.events().recent(2)).extracting(Event::id).containsExactly(second.id(), third.id());
        assertThat(catalog.events().since(first.id(), 10)).extracting(Event::id).containsExactly(second.id(), third.id());
        assertThat(catalog.events().recentForPipeline(7, 10)).singleElement().satisfies(e -> {
            assertThat(e.level()).isEqualTo(EventLevel.WARN);
            assertThat(e.sourceId()).isEqualTo(3L);
            assertThat(e.details()).isEqualTo("{\"bytes\":2147483648}");
            assertThat(e.ts()).isEqualTo(second.ts());
        });
        assertThat(catalog.events().since(first.ts(), 10)).hasSize(3);
        assertThat(catalog.events().count()).isEqualTo(3);
    }

    @Test
    void metricsKeepOneValuePerMinuteAndPrune() {
        catalog.close();
        Instant now = Instant.parse("2026-11-26T12:00:30Z");
        catalog = Catalog.open(home, Clock.fixed(now, ZoneOffset.UTC));
        Pipeline p = catalog.pipelines().add(Pipeline.draft("p", addSource("s").id(), addDestination("d").id()));
        Metrics m = catalog.metrics();
        m.recordAll(List.of(
                new MetricSample(p.id(), null, "rows_per_s", now.minusSeconds(60), 10),
                new MetricSample(p.id(), null, "rows_per_s", now, 20),
                new MetricSample(p.id(), null, "rows_per_s", now.plusSeconds(5), 25), // same minute: replaces 20
                new MetricSample(p.id(), "public.orders", "rows_per_s", now, 7),
                new MetricSample(p.id(), null, "lag_bytes", now.minus(Duration.ofDays(31)), 1)));

        List<MetricPoint> pipelineWide = m.query(p.id(), null, "rows_per_s", now.minusSeconds(3600), now.plusSeconds(3600));
        assertThat(pipelineWide).containsExactly(
                new MetricPoint(Instant.parse("2026-11-26T11:59:00Z"), 10),
                new MetricPoint(Instant.parse("2026-11-26T12:00:00Z"), 25));
        assertThat(m.query(p.id(), "public.orders", "rows_per_s", now.minusSeconds(60), now.plusSeconds(60)))
                .containsExactly(new MetricPoint(Instant.parse("2026-11-26T12:00:00Z"), 7));
        assertThat(m.metricNames(p.id())).containsExactly("lag_bytes", "rows_per_s");

        assertThat(m.prune(now)).isEqualTo(1);
        assertThat(m.metricNames(p.id())).containsExactly("rows_per_s");

        // A removed pipeline takes its history with it.
        catalog.pipelines().remove("p");
        assertThat(m.metricNames(p.id())).isEmpty();
    }

    @Test
    void migrationsAreRecordedAndRerunCleanly() throws Exception {
        catalog.close();
        catalog = Catalog.open(home); // second open: Flyway finds V1 and V2 applied and does nothing
        catalog.close();
        try (Connection c = DriverManager.getConnection(Catalog.jdbcUrl(home), "etl", "");
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT \"version\", \"success\" FROM \"flyway_schema_history\" WHERE \"version\" IS NOT NULL "
                             + "ORDER BY \"installed_rank\"")) {
            for (String version : new String[] {"1", "2", "2.7", "2.8", "2.9"}) {
                // 2: home id and slot names, 2.7: pipeline.paused, 2.8: table_selection.copy_requested,
                // 2.9: table_selection.key_columns
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(version);
                assertThat(rs.getBoolean(2)).isTrue();
            }
            assertThat(rs.next()).isFalse();
        }
        catalog = Catalog.open(home);
    }

    @Test
    void catalogFilesLiveInTheHomeCatalogDir() {
        assertThat(home.catalogDir().resolve("catalog.mv.db")).exists();
    }

    @Test
    void syncForcesCommittedDataToDiskAndKeepsTheCatalogUsable() {
        addSource("before-sync");
        catalog.sync();
        addSource("after-sync");
        assertThat(catalog.sources().list()).extracting(Source::name).containsExactly("after-sync", "before-sync");
    }
}
