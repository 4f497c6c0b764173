package io.etlstream.cli;

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
    SourceCommand.PasswordOptions password = new SourceCommand.PasswordOptions();

    @Override
    public Integer call() {
        PgSourceConfig c = SourceCommand.registry(spec).get(source);
        try (PgPassword pw = (password == null ? new SourceCommand.PasswordOptions() : password).read(spec, source)) {
            DoctorReport report = new Doctor(new PgConnector(c, pw)).run(TableNames.parseList(tables));
            spec.commandLine().getOut().print(report.render());
            spec.commandLine().getOut().flush();
            return report.hasErrors() ? 1 : 0;
        }
    }
}
