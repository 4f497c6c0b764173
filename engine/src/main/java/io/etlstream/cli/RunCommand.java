package io.etlstream.cli;

import io.etlstream.home.HomeLock;
import io.etlstream.pipeline.Engine;
import io.etlstream.pipeline.PipelineFailure;
import io.etlstream.pipeline.PipelineRuntime;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code etl-stream run}: the headless engine. Runs every enabled pipeline until SIGTERM/SIGINT, answers CLI
 * commands on the home's control socket and serves Prometheus metrics.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the engine headless until SIGTERM: every enabled pipeline, control socket, metrics.")
final class RunCommand implements Callable<Integer> {

    /** The runtime pipelines get until the PostgreSQL source is wired into the engine. */
    static volatile PipelineRuntime runtime = (plan, listener) -> {
        throw PipelineFailure.permanent("this build of the engine has no PostgreSQL source wired in yet",
                "run the pipeline with a build that includes the source integration");
    };

    @Spec
    CommandSpec spec;

    @Option(names = "--metrics-port", defaultValue = "-1", paramLabel = "PORT",
            description = "Serve Prometheus text metrics at http://HOST:PORT/metrics (0 = any free port; default off).")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Engine engine = Engine.start(EtlStreamCommand.of(spec).home(),
                Engine.Options.of(HomeLock.RUN, runtime).withMetricsPort(metricsPort));
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            try {
                engine.close();
            } finally {
                stopped.countDown();
            }
        }, "engine-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("engine running on " + EtlStreamCommand.of(spec).home().dir() + " with "
                + engine.manager().statuses().size() + " pipeline(s)"
                + (engine.metricsPort() >= 0 ? "; metrics on port " + engine.metricsPort() : "")
                + "; stop with SIGTERM or Ctrl-C");
        out.flush();
        stopped.await();
        return 0;
    }
}
