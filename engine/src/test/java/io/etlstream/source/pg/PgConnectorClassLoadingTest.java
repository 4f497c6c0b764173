package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.testkit.pg.PgDatabase;
import io.etlstream.testkit.pg.PostgresExtension;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh JVM that opens source connections loads pgjdbc only: not every JDBC driver on the class path, as the first
 * {@code DriverManager.getConnection} would (the Snowflake SDK's bundled driver with BouncyCastle and a shaded
 * Jackson, H2). Checked in a child JVM, since this one has long loaded them.
 */
@ExtendWith(PostgresExtension.class)
class PgConnectorClassLoadingTest {

    @Test
    void connectingLoadsNoOtherJdbcDriver(PgDatabase db, @TempDir Path dir) throws Exception {
        Path log = dir.resolve("classes.log");
        Process p = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator
                + "java", "-Xlog:class+load=info:file=" + log, "-cp", System.getProperty("java.class.path"),
                ConnectMain.class.getName(), db.host(), String.valueOf(db.port()), db.name())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
        boolean ended = p.waitFor(2, TimeUnit.MINUTES);
        if (!ended) {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        assertThat(ended).as("child ended within 2 minutes: " + out).isTrue();
        assertThat(out).as("child output").contains("server_version_num=");
        assertThat(p.exitValue()).as(out).isZero();
        List<String> loaded = Files.readAllLines(log);
        assertThat(loaded).as("class loading log").anyMatch(l -> l.contains(" org.postgresql.Driver "));
        assertThat(loaded).as("classes of other JDBC drivers")
                .noneMatch(l -> l.contains(" net.snowflake.") || l.contains(" org.h2.") || l.contains(" org.duckdb."));
    }

    /** Child JVM: one regular and one replication connection through {@link PgConnector}. */
    public static final class ConnectMain {
        private ConnectMain() {}

        public static void main(String[] args) throws Exception {
            try (PgPassword pw = PgPassword.none()) {
                PgConnector c = new PgConnector(new PgSourceConfig(args[0], Integer.parseInt(args[1]), args[2],
                        "postgres", SslMode.DISABLE, null), pw);
                try (Connection plain = c.connect("class-loading-test");
                        Connection replication = c.connectReplication("class-loading-test");
                        Statement st = plain.createStatement();
                        ResultSet rs = st.executeQuery("SHOW server_version_num")) {
                    rs.next();
                    System.out.println("server_version_num=" + rs.getString(1) + " replication open="
                            + !replication.isClosed());
                }
            }
        }
    }
}
