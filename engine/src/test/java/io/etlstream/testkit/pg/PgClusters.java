package io.etlstream.testkit.pg;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared cluster per PostgreSQL major version per JVM, started on first use and stopped when the JVM exits.
 * The start-up cost is printed once per version.
 */
public final class PgClusters {

    private static final Map<Integer, PgCluster> CLUSTERS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CLUSTERS.values().forEach(PgCluster::close),
                "pg-harness-shutdown"));
    }

    private PgClusters() {}

    /** The shared cluster of this major version. */
    public static PgCluster shared(int major) {
        return CLUSTERS.computeIfAbsent(major, m -> {
            long t0 = System.nanoTime();
            PgCluster c = PgCluster.start(m);
            System.out.printf("[pg-harness] %s started in %d ms (data %s)%n", c, (System.nanoTime() - t0) / 1_000_000,
                    c.dataDir());
            return c;
        });
    }

    /** The versions tests run on: system property {@code etl.test.pg.versions} (default 14,17). */
    public static List<Integer> configuredVersions() {
        String prop = System.getProperty("etl.test.pg.versions", "14,17");
        List<Integer> out = new ArrayList<>();
        for (String s : prop.split(",")) {
            if (!s.isBlank()) {
                out.add(Integer.parseInt(s.trim()));
            }
        }
        return out;
    }
}
