package io.etlstream.cli;

import io.etlstream.pipeline.control.ControlApi;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code etl-stream status}: every pipeline's state, from the running engine or, without one, from the catalog. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the pipelines' state, lag and throughput (live when an engine runs on this home).")
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    JsonOption json;

    @Parameters(arity = "0..1", paramLabel = "PIPELINE", description = "Only this pipeline.")
    String pipeline;

    @Option(names = "--watch", description = "Refresh until interrupted.")
    boolean watch;

    @Option(names = "--interval", defaultValue = "2s", paramLabel = "DURATION",
            description = "Refresh interval with --watch (default ${DEFAULT-VALUE}).")
    String interval;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Duration every = io.etlstream.pipeline.PipelineSettings.parseInterval(interval);
        do {
            Map<String, Object> answer = EngineCalls.call(EtlStreamCommand.of(spec).home(),
                    ControlApi.statusRequest(pipeline));
            if (watch && !json.enabled()) {
                out.print("\033[H\033[2J");
            }
            var list = EngineCalls.pipelines(answer);
            if (pipeline != null && list.size() == 1) {
                StatusPrinter.detail(out, list.get(0), json.enabled());
            } else {
                StatusPrinter.table(out, list, json.enabled(), json.enabled() ? null : (String) answer.get("engine"));
            }
            out.flush();
            if (watch) {
                Thread.sleep(every.toMillis());
            }
        } while (watch);
        return 0;
    }
}
