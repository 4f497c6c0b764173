package io.etlstream.pipeline.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.pipeline.PipelineDefinition;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.RunPlan;
import io.etlstream.pipeline.RunnerListener;
import io.etlstream.pipeline.SourceRunner;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.source.pg.pgoutput.PgOutputDecoder;
import io.etlstream.source.pg.pgoutput.PgOutputFixtures;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReplaySourceTest {

    @Test
    void rowsAreCountedAgainstTheTableTheyWereRecordedForNotAllOnTheFirst() throws Exception {
        List<byte[]> messages = new ArrayList<>(PgOutputFixtures.read(17, "basic"));
        messages.addAll(PgOutputFixtures.read(17, "toast"));
        ReplayRecording recording = ReplayRecording.of(messages);
        Set<String> recordedTables = new HashSet<>();
        PgOutputDecoder decoder = new PgOutputDecoder();
        for (byte[] m : messages) {
            if (decoder.decode(ByteBuffer.wrap(m)) instanceof PgOutputMessage.Relation r) {
                recordedTables.add(r.namespace() + "." + r.name());
            }
        }
        List<TableRef> tables = List.of(TableRef.parse("public.a"), TableRef.parse("public.b"),
                TableRef.parse("public.c"));
        Map<TableRef, Long> perTable = new ConcurrentHashMap<>();
        AtomicLong total = new AtomicLong();
        CountDownLatch stopped = new CountDownLatch(1);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            SourceRunner runner = new ReplaySource(recording, scheduler, messages.size(), 1).open(
                    new RunPlan(new PipelineDefinition("r", "s", "d", tables, PipelineSettings.DEFAULTS, true), tables,
                            Set.of(), 0, 0), new RunnerListener() {
                        @Override
                        public void tableProgress(TableRef t, TablePhase p, long c, long n) {
                        }

                        @Override
                        public void streaming() {
                        }

                        @Override
                        public void tableStreamed(TableRef t, long rows, long bytes) {
                            perTable.put(t, rows);
                        }

                        @Override
                        public void progress(long lsn, long rows, long bytes, long lagB, double lagS, double l) {
                            total.set(rows);
                        }

                        @Override
                        public void failed(Throwable cause) {
                            stopped.countDown();
                        }

                        @Override
                        public void stopped(long lsn) {
                            stopped.countDown();
                        }
                    });
            runner.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (total.get() < 3 * recording.rowChanges()) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(5);
            }
            runner.requestStop();
            assertThat(stopped.await(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            scheduler.shutdownNow();
        }
        // Each recorded table stands in for one pipeline table; none is folded into the first.
        int used = Math.min(recordedTables.size(), tables.size());
        assertThat(perTable.values().stream().filter(n -> n > 0).count()).isEqualTo(used);
        assertThat(perTable.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(total.get());
        if (recordedTables.size() > 1) {
            assertThat(perTable.get(tables.get(0))).isLessThan(total.get());
        }
    }
}
