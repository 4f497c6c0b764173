package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.home.EtlHome;
import io.etlstream.logging.Logging;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The root of the headless CLI. Exit codes: 0 ok, 1 runtime failure, 2 usage error.
 * Subcommands find the shared options through {@link #of(CommandSpec)}.
 */
@Command(
        name = "etl-stream",
        mixinStandardHelpOptions = true,
        versionProvider = EtlStreamCommand.Version.class,
        description = "PostgreSQL to Snowflake change-data-capture: the headless engine and its tools.",
        subcommands = {CommandLine.HelpCommand.class, VaultCommand.class, KeyCommand.class, SourceCommand.class,
                DoctorCommand.class, DestinationCommand.class, StatusCommand.class, PipelineCommands.class,
                RunCommand.class})
public final class EtlStreamCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--home",
            scope = ScopeType.INHERIT,
            paramLabel = "DIR",
            description = "Engine home folder (default: $" + EtlHome.ENV + " or ~/.etl-stream).")
    Path home;

    /** The home folder this invocation works on. */
    public EtlHome home() {
        return EtlHome.resolve(home, System.getenv());
    }

    /** The root command of the invocation that {@code spec} belongs to. */
    public static EtlStreamCommand of(CommandSpec spec) {
        return (EtlStreamCommand) spec.root().userObject();
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** Builds the command line with the project's error conventions; tests call this too. */
    public static CommandLine commandLine() {
        CliErrors errors = new CliErrors();
        CommandLine cl = new CommandLine(new EtlStreamCommand())
                .setExecutionExceptionHandler(errors)
                .setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionStrategy(parseResult -> {
            if (needsLogFile(parseResult)) {
                try {
                    Logging.configureForCli(of(parseResult.commandSpec()).home());
                } catch (UserFacingException e) {
                    return errors.handleExecutionException(e, cl, parseResult);
                }
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        return cl;
    }

    /**
     * A subcommand that does work logs to the home's CLI log; help, version and the bare root do not
     * touch the home at all.
     */
    private static boolean needsLogFile(ParseResult parseResult) {
        List<ParseResult> chain = new ArrayList<>();
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
                return false;
            }
            chain.add(p);
        }
        if (chain.size() < 2) {
            return false;
        }
        Object leaf = chain.get(chain.size() - 1).commandSpec().userObject();
        return !(leaf instanceof CommandLine.HelpCommand) && !(leaf instanceof ConfiguresOwnLogging);
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Reads the version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"etl-stream " + version()};
        }

        static String version() {
            Properties p = new Properties();
            try (InputStream in = EtlStreamCommand.class.getResourceAsStream("/io/etlstream/version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return p.getProperty("version", "unknown");
        }
    }
}
