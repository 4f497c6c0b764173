package io.etlstream.app.wizard;

import io.etlstream.UserFacingException;
import io.etlstream.batch.TableId;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.catalog.Source;
import io.etlstream.pipeline.CatalogPipelineStore;
import io.etlstream.pipeline.EngineHost;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.source.pg.Doctor;
import io.etlstream.source.pg.DoctorReport;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What the pipeline wizard asks of the engine the console runs: the catalog's sources and destinations, the doctor,
 * the source's tables, and creating the pipeline with the same validation as {@code etl-stream pipeline create}.
 * Every method may block: the wizard calls them as background jobs.
 */
public final class WizardBackend {

    private final EngineHost host;

    public WizardBackend(EngineHost host) {
        this.host = host;
    }

    public List<String> sources() {
        return host.engine().catalog().sources().list().stream().map(Source::name).toList();
    }

    public List<String> destinations() {
        return host.engine().catalog().destinations().list().stream().map(Destination::name).toList();
    }

    /** The doctor's checks of {@code source}, for {@code tables} too when given. */
    public DoctorReport doctor(String source, List<TableId> tables) {
        return host.withSource(source, connector -> new Doctor(connector).run(tables));
    }

    /** Ordinary and partitioned tables of the source outside the system schemas, as {@code schema.table}. */
    public List<String> tables(String source) {
        return host.withSource(source, connector -> {
            try (Connection c = connector.connect("wizard"); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
                            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                            + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
                            + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                            + " AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1")) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            } catch (SQLException e) {
                throw new UserFacingException("cannot list the tables of source " + source + ": " + e.getMessage()
                        + "; run 'etl-stream doctor --source " + source + "'", e);
            }
        });
    }

    /** Validates and stores the pipeline (as {@code pipeline create} does) and hands it to the running manager. */
    public PipelineStatus create(PipelineDefinition definition) {
        Catalog catalog = host.engine().catalog();
        PipelineDefinition stored = new CatalogPipelineStore(catalog).create(definition);
        return host.engine().manager().create(stored);
    }
}
