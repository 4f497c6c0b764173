package io.etlstream.source.pg.pgoutput;

import java.util.List;

/** Public access to the captured pgoutput fixtures for tests in other packages. */
public final class PgOutputFixtures {
    /** The raw messages of fixture {@code scenario} captured on PostgreSQL {@code major}. */
    public static List<byte[]> read(int major, String scenario) {
        return PgOutputCapture.read(major, scenario);
    }

    private PgOutputFixtures() {
    }
}
