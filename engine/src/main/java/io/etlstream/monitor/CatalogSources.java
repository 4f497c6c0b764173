package io.etlstream.monitor;

import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Pipeline;
import io.etlstream.catalog.Source;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSourceConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The catalog's sources as WAL-monitor targets: connection settings from the source row, the password from
 * {@code passwords} (the vault), and each pipeline's slot attributed to it.
 */
public final class CatalogSources implements MonitoredSources {

    private final Catalog catalog;
    private final Function<PgSourceConfig, PgPassword> passwords;

    public CatalogSources(Catalog catalog, Function<PgSourceConfig, PgPassword> passwords) {
        this.catalog = catalog;
        this.passwords = passwords;
    }

    @Override
    public List<ProbeTarget> current() {
        List<ProbeTarget> out = new ArrayList<>();
        List<Pipeline> pipelines = catalog.pipelines().list();
        for (Source s : catalog.sources().list()) {
            Map<String, String> bySlot = new HashMap<>();
            for (Pipeline p : pipelines) {
                if (p.sourceId() == s.id()) {
                    bySlot.put(p.slotName(), p.name());
                }
            }
            PgSourceConfig config = PgSourceConfig.of(s);
            String key = s.host() + ":" + s.port() + "/" + s.databaseName() + " " + s.userName() + " "
                    + s.sslMode() + " " + s.passwordAlias() + " " + s.updatedAt();
            out.add(new ProbeTarget(s.name(), key, app -> {
                try (PgPassword pw = passwords.apply(config)) {
                    return new PgConnector(config, pw).connectAs(app);
                }
            }, bySlot));
        }
        return out;
    }
}
