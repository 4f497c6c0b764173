package io.etlstream.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the CLI in-process and captures what it prints. */
record CliRun(int exit, String out, String err) {

    static CliRun withStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = EtlStreamCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        InputStream savedIn = System.in;
        System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
        try {
            int exit = cl.execute(args);
            return new CliRun(exit, out.toString(), err.toString());
        } finally {
            System.setIn(savedIn);
        }
    }

    static CliRun run(String... args) {
        return withStdin(null, args);
    }
}
