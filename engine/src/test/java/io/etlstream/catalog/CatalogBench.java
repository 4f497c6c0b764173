package io.etlstream.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.home.EtlHome;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How long one durable catalog write takes (WRITE_DELAY=0: every commit reaches the file). Run with -Pbench. */
@Tag("bench")
class CatalogBench {

    @TempDir
    Path dir;

    @Test
    void commitLatency() {
        try (Catalog catalog = Catalog.open(new EtlHome(dir))) {
            Pipeline p = catalog.pipelines().add(Pipeline.draft("bench",
                    catalog.sources().add(Source.draft("s", "h", 5432, "d", "u")).id(),
                    catalog.destinations().add(Destination.draft("d", "A", null, "U", "R", "DB", "S", "k")).id()));
            catalog.tables().add(p.id(), "public", "t");
            for (int i = 0; i < 500; i++) { // warm-up
                catalog.events().append(Event.info("bench", "warm " + i));
            }
            report("event append", time(2000, i -> catalog.events().append(Event.info("bench", "event " + i))));
            report("advanceCommittedLsn", time(2000, i -> catalog.tables().advanceCommittedLsn(p.id(), "public", "t", 1000 + i)));
            List<MetricSample> minute = new ArrayList<>();
            for (int t = 0; t < 50; t++) {
                for (String metric : List.of("rows_per_s", "bytes_per_s", "lag_ms", "batch_rows")) {
                    minute.add(new MetricSample(p.id(), "public.t" + t, metric, Instant.now(), t));
                }
            }
            report("metrics recordAll(200 samples)", time(200, i -> catalog.metrics().recordAll(minute)));
            long[] sync = time(50, i -> catalog.sync());
            report("sync (CHECKPOINT SYNC)", sync);
            assertThat(catalog.events().count()).isEqualTo(2500);
        }
    }

    interface Op {
        void run(int i);
    }

    private static long[] time(int n, Op op) {
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            op.run(i);
            nanos[i] = System.nanoTime() - t0;
        }
        return nanos;
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double totalS = Arrays.stream(nanos).sum() / 1e9;
        System.out.printf("catalog bench: %-32s n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms -> %.0f ops/s%n", what,
                nanos.length, sorted[nanos.length / 2] / 1e6, sorted[(int) (nanos.length * 0.99)] / 1e6,
                sorted[nanos.length - 1] / 1e6, nanos.length / totalS);
    }
}
