package io.etlstream.bench;

import io.etlstream.batch.TableId;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.testkit.pg.PgDatabase;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** What the end-to-end benchmarks share: the 10-column workload table, client tools, clocks and waits. */
final class BenchSupport {

    /** The PgSourceBench workload table: 10 columns of the common types. */
    static final String TABLE_DDL = "(id bigint PRIMARY KEY, a int, b bigint, c text, d text, e numeric(12,2),"
            + " f timestamptz, g boolean, h double precision, i uuid)";

    /** Rows {@code from..to} of the workload, as one INSERT (one transaction in autocommit). */
    static String insertRows(String table, long from, long to) {
        return "INSERT INTO " + table + " SELECT g, g % 1000, g * 7, md5(g::text), 'row ' || g, g / 100.0,"
                + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g % 2 = 0, g * 0.5,"
                + " md5(g::text)::uuid FROM generate_series(" + from + ", " + to + ") g";
    }

    static TableId table(String name) {
        return new TableId("public", name);
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static String conninfo(PgDatabase db) {
        return "host=" + db.host() + " port=" + db.port() + " dbname=" + db.name() + " user=postgres";
    }

    /** CPU seconds this JVM used so far (engine, SDK and the in-process emulator together). */
    static double processCpuSeconds() {
        return ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class).getProcessCpuTime()
                / 1e9;
    }

    /** Load average and cores, printed with every figure: the machine is shared. */
    static String machine() {
        return String.format(Locale.ROOT, "cores %d, load average %.2f", Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /** Rows visible in the table; 0 while the sink has not created it yet. */
    static long count(SnowflakeEmulator emu, String qualifiedTable) {
        try {
            return Long.parseLong(emu.sql("SELECT COUNT(*) FROM " + qualifiedTable).rows().get(0).get(0));
        } catch (RuntimeException e) {
            if (String.valueOf(e.getMessage()).contains("does not exist")) {
                return 0;
            }
            throw e;
        }
    }

    static void await(BooleanSupplier done, long timeoutSeconds, Supplier<String> what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out: " + what.get());
            }
            Thread.sleep(20);
        }
    }

    /** The client tool from PATH (Debian's postgresql-client; installed when missing). */
    static String clientTool(String name) throws Exception {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        run(List.of("apt-get", "install", "-y", "-q", "postgresql-client"));
        File f = new File("/usr/bin", name);
        if (!f.canExecute()) {
            throw new IllegalStateException(name + " still missing after apt-get install postgresql-client");
        }
        return f.getPath();
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + err + out);
        }
        return out;
    }

    private BenchSupport() {}
}
