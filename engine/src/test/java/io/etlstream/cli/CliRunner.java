package io.etlstream.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import picocli.CommandLine;

/** Runs the CLI in-process against one home, capturing what it prints. */
final class CliRunner {

    private CliRunner() {
    }

    /** {@code etl-stream --home HOME ARGS...}; returns the exit code, with stdout in {@code out}, stderr in {@code err}. */
    static int run(Path home, StringWriter out, StringWriter err, String... args) {
        CommandLine cl = EtlStreamCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 2];
        all[0] = "--home";
        all[1] = home.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return cl.execute(all);
    }
}
