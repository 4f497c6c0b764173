package io.etlstream.app;

import io.etlstream.home.EtlHome;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The console's command line: {@code --home DIR}, resolved by the same rules as the CLI. */
@Command(
        name = "etl-stream-console",
        mixinStandardHelpOptions = true,
        versionProvider = LaunchOptions.Version.class,
        description = "Opens the etl-stream console window on one engine home.")
public final class LaunchOptions {

    /** Returned by {@link #handleBeforeLaunch} when the window should open. */
    public static final int LAUNCH = -1;

    @Option(
            names = "--home",
            paramLabel = "DIR",
            description = "Engine home folder (default: $" + EtlHome.ENV + " or ~/.etl-stream).")
    Path home;

    /** The home this console works on: {@code --home}, then {@value EtlHome#ENV}, then {@code ~/.etl-stream}. */
    public EtlHome home() {
        return EtlHome.resolve(home, System.getenv());
    }

    /** Parses {@code args}; throws {@link CommandLine.ParameterException} on a usage error. */
    public static LaunchOptions parse(List<String> args) {
        LaunchOptions options = new LaunchOptions();
        new CommandLine(options).parseArgs(args.toArray(String[]::new));
        return options;
    }

    /**
     * Handles what must not open a window: {@code --help}, {@code --version} (exit 0) and usage errors (exit 2,
     * like the CLI). Returns {@link #LAUNCH} when the window should open.
     */
    public static int handleBeforeLaunch(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new LaunchOptions());
        try {
            cmd.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            err.println("error: " + e.getMessage());
            cmd.usage(err);
            err.flush();
            return 2;
        }
        if (cmd.isUsageHelpRequested()) {
            cmd.usage(out);
            out.flush();
            return 0;
        }
        if (cmd.isVersionHelpRequested()) {
            cmd.printVersionHelp(out);
            out.flush();
            return 0;
        }
        return LAUNCH;
    }

    /** The build version, as the CLI prints it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"etl-stream " + AppInfo.version()};
        }
    }
}
