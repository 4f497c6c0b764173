package io.etlstream.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A 1M-row transaction, streamed by the server (proto 2), decoded and assembled in a child JVM with -Xmx256m.
 * Tagged bench: it takes about a minute on two cores. Prints the peak heap it measured.
 */
@Tag("bench")
@ExtendWith(PostgresExtension.class)
class LargeTransactionMemoryTest {

    static final int ROWS = 1_000_000;

    @Test
    void aMillionRowTransactionFitsIn256MegabytesOfHeap(PgDatabase db) throws Exception {
        db.execute("CREATE TABLE big (id int PRIMARY KEY, v text, n numeric(10,2), ts timestamptz)",
                "CREATE PUBLICATION big_pub FOR TABLE big",
                "SELECT pg_create_logical_replication_slot('big_slot', 'pgoutput')",
                "INSERT INTO big SELECT i, md5(i::text) || md5((i + 1)::text), i / 100.0,"
                        + " timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'"
                        + " FROM generate_series(1, " + ROWS + ") i");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
            cmd.add("-Xmx256m");
            cmd.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
            cmd.add("-Dfile.encoding=UTF-8");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(LargeTransactionDrain.class.getName());
            cmd.add(db.jdbcUrl());
            cmd.add("big_slot");
            cmd.add("big_pub");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
            Matcher m = Pattern.compile("RESULT rows=(\\d+) idSum=(\\d+) commits=(\\d+) streamStarts=(\\d+)"
                    + " peakHeapMB=(\\d+) maxHeapMB=(\\d+) peakOffHeapMB=(\\d+) ms=(\\d+)").matcher(out);
            assertThat(m.find()).as(out).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            System.out.println("[bench] 1M-row streamed transaction under -Xmx256m: " + m.group());
            assertThat(Long.parseLong(m.group(1))).isEqualTo(ROWS);
            assertThat(Long.parseLong(m.group(2))).isEqualTo((long) ROWS * (ROWS + 1) / 2);
            assertThat(Long.parseLong(m.group(3))).isEqualTo(1);
            assertThat(Integer.parseInt(m.group(4))).as("the server streamed the transaction").isGreaterThan(1);
            assertThat(Long.parseLong(m.group(5))).isLessThanOrEqualTo(256);
            // Everything was buffered off-heap until StreamCommit: the whole transaction's rows.
            assertThat(Long.parseLong(m.group(7))).isGreaterThan(50);
        } finally {
            db.execute("SELECT pg_drop_replication_slot('big_slot')");
        }
    }
}
