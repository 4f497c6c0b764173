package io.etlstream.pipeline.bench;

import io.etlstream.UserFacingException;
import io.etlstream.pipeline.PipelineCommand;
import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.TableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One measured run: N pipelines streaming from a replay source, reader threads reading status at a steady pace,
 * and a churn driver sending pause/resume/stop/start commands at a fixed rate. Records the latency of every status
 * read and every command.
 */
final class ConcurrencyRun {

    /** Latency figures of one kind of operation, in microseconds. */
    record Figures(String what, int count, double p50, double p99, double max) {
        static Figures of(String what, long[] nanos, int n) {
            long[] a = Arrays.copyOf(nanos, n);
            Arrays.sort(a);
            if (n == 0) {
                return new Figures(what, 0, Double.NaN, Double.NaN, Double.NaN);
            }
            return new Figures(what, n, a[(int) (n * 0.50)] / 1e3, a[Math.min(n - 1, (int) (n * 0.99))] / 1e3,
                    a[n - 1] / 1e3);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-28s n=%-8d p50=%9.1f us  p99=%9.1f us  max=%10.1f us", what, count,
                    p50, p99, max);
        }
    }

    /**
     * @param command every command that took effect
     * @param stopCommand pause and stop only: they wait for the source to stop (5 ms stand-in plus scheduling)
     * @param startCommand resume and start only: no waiting on the source, so this is the registry's own overhead
     */
    record Result(String design, Figures singleRead, Figures listRead, Figures command, Figures stopCommand,
            Figures startCommand, Figures untilStopAsked, Figures sourceStop, Figures afterStopReport, long rejected,
            long unexpected, long readsWithWrongCount) {}

    static Result run(String design, Registry registry, int pipelines, int commandsPerSecond, Duration duration,
            int readers, StopTimings timings) throws Exception {
        for (int i = 0; i < pipelines; i++) {
            registry.create(new PipelineDefinition(String.format("p%04d", i), "src", "dst",
                    List.of(TableRef.parse("public.t" + (i % 10))), PipelineSettings.DEFAULTS.withPriority(i % 3),
                    false));
        }
        ExecutorService starters = Executors.newFixedThreadPool(4);
        List<Future<?>> starts = new ArrayList<>();
        for (int i = 0; i < pipelines; i++) {
            String n = String.format("p%04d", i);
            starts.add(starters.submit(() -> registry.command(n, new PipelineCommand.Start())));
        }
        for (Future<?> f : starts) {
            f.get(60, TimeUnit.SECONDS);
        }
        starters.shutdown();

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong wrongCount = new AtomicLong();
        int cap = 4_000_000;
        long[][] single = new long[readers][cap / readers];
        long[][] list = new long[readers][cap / readers];
        int[] singleN = new int[readers];
        int[] listN = new int[readers];
        List<Thread> readerThreads = new ArrayList<>();
        for (int r = 0; r < readers; r++) {
            int me = r;
            Thread t = new Thread(() -> {
                Random rnd = new Random(me);
                int i = 0;
                while (running.get()) {
                    if ((i++ & 7) == 0) {
                        long t0 = System.nanoTime();
                        List<PipelineStatus> all = registry.statuses();
                        long dt = System.nanoTime() - t0;
                        if (listN[me] < list[me].length) {
                            list[me][listN[me]++] = dt;
                        }
                        if (all.size() != pipelines) {
                            wrongCount.incrementAndGet();
                        }
                    } else {
                        String n = String.format("p%04d", rnd.nextInt(pipelines));
                        long t0 = System.nanoTime();
                        PipelineStatus s = registry.status(n);
                        long dt = System.nanoTime() - t0;
                        if (singleN[me] < single[me].length) {
                            single[me][singleN[me]++] = dt;
                        }
                        if (s == null) {
                            wrongCount.incrementAndGet();
                        }
                    }
                    // A steady pace like a console refreshing, not a spin that measures the CPU scheduler.
                    LockSupport.parkNanos(200_000);
                }
            }, "reader-" + r);
            readerThreads.add(t);
            t.start();
        }

        ScheduledExecutorService churn = Executors.newSingleThreadScheduledExecutor();
        ExecutorService commandThreads = Executors.newFixedThreadPool(8);
        long[] cmdNanos = new long[(int) (commandsPerSecond * duration.toSeconds() * 2 + 100)];
        long[] stopNanos = new long[cmdNanos.length];
        long[] startNanos = new long[cmdNanos.length];
        AtomicLong cmdN = new AtomicLong();
        AtomicLong stopN = new AtomicLong();
        AtomicLong startN = new AtomicLong();
        long[][] phases = new long[3][cmdNanos.length];
        AtomicLong phaseN = new AtomicLong();
        AtomicLong rejected = new AtomicLong();
        AtomicLong unexpected = new AtomicLong();
        Random rnd = new Random(7);
        long periodNanos = 1_000_000_000L / commandsPerSecond;
        Runnable oneCommand = () -> {
            String n;
            synchronized (rnd) {
                n = String.format("p%04d", rnd.nextInt(pipelines));
            }
            PipelineStatus s = registry.status(n);
            int dice = (int) (System.nanoTime() % 10);
            PipelineCommand c = s.state() == PipelineState.PAUSED ? new PipelineCommand.Resume()
                    : s.state() == PipelineState.STOPPED ? new PipelineCommand.Start()
                    : dice == 0 ? new PipelineCommand.Stop() : new PipelineCommand.Pause(null);
            long t0 = System.nanoTime();
            try {
                registry.command(n, c);
                long dt = System.nanoTime() - t0;
                long i = cmdN.getAndIncrement();
                if (i < cmdNanos.length) {
                    cmdNanos[(int) i] = dt;
                }
                boolean stops = c instanceof PipelineCommand.Stop || c instanceof PipelineCommand.Pause;
                long j = (stops ? stopN : startN).getAndIncrement();
                if (j < cmdNanos.length) {
                    (stops ? stopNanos : startNanos)[(int) j] = dt;
                }
                StopTimings.Stop st = stops ? timings.last(n) : null;
                if (st != null && st.requested() >= t0 && st.reported() >= st.requested()) {
                    long k = phaseN.getAndIncrement();
                    if (k < cmdNanos.length) {
                        phases[0][(int) k] = st.requested() - t0;
                        phases[1][(int) k] = st.reported() - st.requested();
                        phases[2][(int) k] = t0 + dt - st.reported();
                    }
                }
            } catch (UserFacingException e) {
                rejected.incrementAndGet(); // a racing command changed the state first: a valid refusal
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UserFacingException) {
                    rejected.incrementAndGet();
                } else {
                    unexpected.incrementAndGet();
                    e.printStackTrace();
                }
            } catch (Exception e) {
                unexpected.incrementAndGet();
                e.printStackTrace();
            }
        };
        // The ticker only dispatches, so a slow command delays no other command.
        churn.scheduleAtFixedRate(() -> commandThreads.execute(oneCommand), periodNanos, periodNanos,
                TimeUnit.NANOSECONDS);

        Thread.sleep(duration.toMillis());
        churn.shutdown();
        churn.awaitTermination(60, TimeUnit.SECONDS);
        commandThreads.shutdown();
        commandThreads.awaitTermination(60, TimeUnit.SECONDS);
        running.set(false);
        for (Thread t : readerThreads) {
            t.join();
        }
        long[] allSingle = merge(single, singleN);
        long[] allList = merge(list, listN);
        int cmds = (int) Math.min(cmdN.get(), cmdNanos.length);
        return new Result(design, Figures.of(design + " status(name)", allSingle, allSingle.length),
                Figures.of(design + " statuses() [" + pipelines + "]", allList, allList.length),
                Figures.of(design + " command", cmdNanos, cmds),
                Figures.of(design + "   pause/stop", stopNanos, (int) Math.min(stopN.get(), stopNanos.length)),
                Figures.of(design + "   resume/start", startNanos, (int) Math.min(startN.get(), startNanos.length)),
                Figures.of(design + "     send -> stop asked", phases[0], (int) Math.min(phaseN.get(), cmdNanos.length)),
                Figures.of(design + "     source stopping", phases[1], (int) Math.min(phaseN.get(), cmdNanos.length)),
                Figures.of(design + "     stopped -> answer", phases[2], (int) Math.min(phaseN.get(), cmdNanos.length)),
                rejected.get(), unexpected.get(), wrongCount.get());
    }

    private static long[] merge(long[][] parts, int[] ns) {
        int total = 0;
        for (int n : ns) {
            total += n;
        }
        long[] out = new long[total];
        int at = 0;
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, out, at, ns[i]);
            at += ns[i];
        }
        return out;
    }

    private ConcurrencyRun() {}
}
