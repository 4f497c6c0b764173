package io.etlstream.cli;

import io.etlstream.catalog.Catalog;
import io.etlstream.source.pg.Doctor;
import io.etlstream.source.pg.DoctorReport;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.TableNames;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code etl-stream doctor --source NAME [--tables ...]}: exit 0 without errors, 1 with at least one. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check that a source can feed a pipeline; each finding comes with the SQL or setting that fixes it.")
public final class DoctorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--source", required = true, paramLabel = "NAME")
    String source;

    @Option(names = "--tables", paramLabel = "schema.t1,schema.t2", description = "Tables to check (quote mixed-case names).")
    String tables;

    @ArgGroup(exclusive = false)
    SourceCommand.SecretOptions secrets = new SourceCommand.SecretOptions();

    @Override
    public Integer call() {
        PgSourceConfig c;
        try (Catalog catalog = Catalog.open(EtlStreamCommand.of(spec).home())) {
            c = PgSourceConfig.of(catalog.sources().require(source));
        }
        try (PgPassword pw = SourceCommand.passwordFor(spec, c, source, secrets, SecretInput.system())) {
            DoctorReport report = new Doctor(new PgConnector(c, pw)).run(TableNames.parseList(tables));
            spec.commandLine().getOut().print(report.render());
            spec.commandLine().getOut().flush();
            return report.hasErrors() ? 1 : 0;
        }
    }
}
