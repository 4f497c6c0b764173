package io.etlstream.pipeline.bench;

import io.etlstream.pipeline.PipelineRuntime;
import io.etlstream.pipeline.RunPlan;
import io.etlstream.pipeline.RunnerListener;
import io.etlstream.pipeline.SourceRunner;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wraps a runtime to time the two halves of a stop per pipeline: when the registry asked the runner to stop, and when
 * the runner reported it had. A command's latency minus these shows what the registry itself added.
 */
final class StopTimings implements PipelineRuntime {

    /** nanoTime of the last requestStop() and of the stopped() report that followed it, per pipeline. */
    record Stop(long requested, long reported) {}

    private final PipelineRuntime delegate;
    private final Map<String, long[]> last = new ConcurrentHashMap<>();

    StopTimings(PipelineRuntime delegate) {
        this.delegate = delegate;
    }

    Stop last(String pipeline) {
        long[] t = last.get(pipeline);
        return t == null ? null : new Stop(t[0], t[1]);
    }

    @Override
    public SourceRunner open(RunPlan plan, RunnerListener listener) {
        String name = plan.definition().name();
        long[] times = new long[2];
        SourceRunner inner = delegate.open(plan, new RunnerListener() {
            @Override
            public void tableProgress(TableRef table, TablePhase phase, long rowsCopied, long rowsTotal) {
                listener.tableProgress(table, phase, rowsCopied, rowsTotal);
            }

            @Override
            public void streaming() {
                listener.streaming();
            }

            @Override
            public void progress(long lsn, long rows, long bytes, long lagB, double lagS, double latency) {
                listener.progress(lsn, rows, bytes, lagB, lagS, latency);
            }

            @Override
            public void tableStreamed(TableRef table, long rows, long bytes) {
                listener.tableStreamed(table, rows, bytes);
            }

            @Override
            public void failed(Throwable cause) {
                listener.failed(cause);
            }

            @Override
            public void stopped(long confirmedLsn) {
                times[1] = System.nanoTime();
                last.put(name, times.clone());
                listener.stopped(confirmedLsn);
            }
        });
        return new SourceRunner() {
            @Override
            public void start() {
                inner.start();
            }

            @Override
            public void requestStop() {
                times[0] = System.nanoTime();
                inner.requestStop();
            }
        };
    }
}
