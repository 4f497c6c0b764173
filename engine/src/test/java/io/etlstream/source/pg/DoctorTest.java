package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.source.pg.DoctorCheck.Status;
import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;
import io.etlstream.testkit.pg.PostgresExtension;

@ExtendWith(PostgresExtension.class)
class DoctorTest {

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void reportsEachProblemWithItsFix(PgDatabase db) {
        String role = "doc_" + db.name();
        db.createRole(role, "pw-doctor", false);
        db.execute("CREATE SCHEMA app",
                "CREATE TABLE app.with_pk (id int PRIMARY KEY, v text)",
                "CREATE TABLE app.no_key (id int, v text)",
                "CREATE TABLE app.nothing (id int PRIMARY KEY) ",
                "ALTER TABLE app.nothing REPLICA IDENTITY NOTHING",
                "CREATE TABLE app.full_ident (id int PRIMARY KEY, v text)",
                "ALTER TABLE app.full_ident REPLICA IDENTITY FULL",
                "CREATE TYPE app.mood AS ENUM ('ok', 'meh')",
                "CREATE TYPE app.pair AS (a int, b text)",
                "CREATE TABLE app.\"Mixed Tåble\" (id bigint PRIMARY KEY, big numeric(50,2), cash money, p point,"
                        + " n numeric(12,2), tags text[], u numeric, moods app.mood[], pairs app.pair[], tz timetz)",
                "CREATE TABLE app.events (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                "CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "INSERT INTO app.with_pk SELECT g, 'x' FROM generate_series(1, 1000) g",
                "ANALYZE app.with_pk",
                "GRANT USAGE ON SCHEMA app TO " + role,
                "GRANT SELECT ON ALL TABLES IN SCHEMA app TO " + role,
                "SELECT pg_create_logical_replication_slot('etl_stream_doctor_" + db.major() + "', 'pgoutput')");
        try {
            DoctorReport report = doctor(db, role, "app.with_pk,app.no_key,app.nothing,app.full_ident,"
                    + "app.\"Mixed Tåble\",app.missing,app.events");
            String text = report.render();
            assertThat(report.find("connection").status()).isEqualTo(Status.OK);
            assertThat(report.find("server version").status())
                    .isEqualTo(db.major() >= 14 ? Status.OK : Status.WARNING); // 10-13: works with listed limits
            assertThat(report.find("wal_level").status()).isEqualTo(Status.OK);
            assertThat(report.find("max_replication_slots").status()).isEqualTo(Status.OK);
            assertThat(report.find("max_wal_senders").status()).isEqualTo(Status.OK);
            DoctorCheck repl = report.find("replication privilege");
            assertThat(repl.status()).isEqualTo(Status.ERROR);
            assertThat(repl.fix()).contains("ALTER ROLE \"" + role + "\" WITH REPLICATION;");
            DoctorCheck create = report.find("CREATE on database");
            assertThat(create.status()).isEqualTo(Status.ERROR);
            assertThat(create.fix()).isEqualTo("GRANT CREATE ON DATABASE \"" + db.name() + "\" TO \"" + role + "\";");

            assertThat(report.find("table \"app\".\"with_pk\" replica identity").status()).isEqualTo(Status.OK);
            assertThat(report.find("table \"app\".\"with_pk\" size").detail()).contains("~1000 rows");
            DoctorCheck noKey = report.find("table \"app\".\"no_key\" replica identity");
            assertThat(noKey.status()).isEqualTo(Status.ERROR);
            assertThat(noKey.fix()).contains("ALTER TABLE \"app\".\"no_key\" ADD PRIMARY KEY");
            assertThat(report.find("table \"app\".\"nothing\" replica identity").status()).isEqualTo(Status.ERROR);
            DoctorCheck full = report.find("table \"app\".\"full_ident\" replica identity");
            assertThat(full.status()).isEqualTo(Status.WARNING);
            assertThat(full.detail()).contains("whole old row to WAL").contains("mirror table is kept by the primary key");
            String mixed = "table \"app\".\"Mixed Tåble\"";
            DoctorCheck types = report.find(mixed + " types");
            assertThat(types.status()).isEqualTo(Status.WARNING);
            // Arrays of enums arrive as lists (Snowflake ARRAY); arrays of composites stay text.
            assertThat(types.detail()).contains("\"cash\" money").contains("\"p\" point").contains("\"pairs\" app.pair[]")
                    .contains("VARCHAR").doesNotContain("tags").doesNotContain("moods").doesNotContain("\"n\"");
            // The findings are the sink's: numeric(50,2) becomes exact text, nothing fails.
            DoctorCheck big = report.find(mixed + " column \"big\"");
            assertThat(big.status()).isEqualTo(Status.WARNING);
            assertThat(big.detail()).contains("numeric(50,2)").contains("→ Snowflake VARCHAR").contains("exact decimal text")
                    .contains("no value stops the table").doesNotContain("fail");
            assertThat(big.fix()).startsWith("ALTER TABLE \"app\".\"Mixed Tåble\" ALTER COLUMN \"big\" TYPE numeric(38,2);");
            // Unconstrained numeric: NUMBER(38,9), and what happens to a value with more decimals.
            DoctorCheck u = report.find(mixed + " column \"u\"");
            assertThat(u.status()).isEqualTo(Status.WARNING);
            assertThat(u.detail()).contains("\"u\" numeric → Snowflake NUMBER(38,9)").contains("more than 9 decimal places")
                    .contains("never rounded").contains("oversize policy").contains("the table stops");
            assertThat(u.fix()).startsWith("ALTER TABLE \"app\".\"Mixed Tåble\" ALTER COLUMN \"u\" TYPE numeric(38,9);");
            assertThat(report.find(mixed + " column \"tz\"").detail()).contains("VARCHAR");
            assertThat(report.find(mixed + " column \"n\"")).as("numeric(12,2) maps exactly").isNull();
            assertThat(report.find(mixed + " column \"moods\"")).isNull();
            assertThat(report.find("table \"app\".\"with_pk\" types").status()).isEqualTo(Status.OK);
            assertThat(report.find("table \"app\".\"missing\"").status()).isEqualTo(Status.ERROR);
            // Published through its root, a partition's own TRUNCATE is never sent: say so and what to do instead.
            DoctorCheck trunc = report.find("table \"app\".\"events\" partition truncate");
            if (db.major() >= 13) {
                assertThat(trunc.status()).isEqualTo(Status.WARNING);
                assertThat(trunc.detail()).contains("TRUNCATE of a single partition (e.g. TRUNCATE app.events_2024)")
                        .contains("not replicated").contains("stay in Snowflake");
                assertThat(trunc.fix()).contains("TRUNCATE \"app\".\"events\";")
                        .contains("etl-stream pipeline resync <pipeline> --table '\"app\".\"events\"'");
            } else {
                assertThat(trunc).as("before 13 the partitions themselves are selected").isNull();
            }
            assertThat(report.find("table \"app\".\"with_pk\" partition truncate")).isNull();
            assertThat(report.find("slot etl_stream_doctor_" + db.major()).detail()).contains("behind").contains("inactive");
            assertThat(report.find("table \"app\".\"with_pk\" owner").status()).isEqualTo(Status.WARNING);
            assertThat(report.hasErrors()).isTrue();
            assertThat(text).contains("ERROR").contains("fix: ALTER ROLE");

            db.execute("ALTER ROLE " + role + " WITH REPLICATION", "GRANT CREATE ON DATABASE " + db.name() + " TO " + role,
                    "ALTER TABLE app.no_key ADD PRIMARY KEY (id)", "ALTER TABLE app.nothing REPLICA IDENTITY DEFAULT");
            DoctorReport fixed = doctor(db, role, "app.with_pk,app.no_key,app.nothing");
            assertThat(fixed.hasErrors()).as(fixed.render()).isFalse();
            assertThat(fixed.find("replication connection").status()).isEqualTo(Status.OK);
        } finally {
            db.execute("SELECT pg_drop_replication_slot('etl_stream_doctor_" + db.major() + "')");
        }
    }

    @Test
    void aWrongPasswordIsOneErrorNotAnException(PgDatabase db) {
        db.createRole("doc_wrong_pw", "right", false);
        try (PgPassword pw = PgPassword.of("wrong".toCharArray())) {
            DoctorReport r = new Doctor(new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(),
                    "doc_wrong_pw", SslMode.DISABLE, null), pw)).run(TableNames.parseList("t"));
            assertThat(r.checks()).hasSize(1);
            assertThat(r.find("connection").status()).isEqualTo(Status.ERROR);
            assertThat(r.find("connection").detail()).contains("rejected the password");
        }
    }

    private static DoctorReport doctor(PgDatabase db, String role, String tables) {
        try (PgPassword pw = PgPassword.of("pw-doctor".toCharArray())) {
            return new Doctor(new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), role,
                    SslMode.DISABLE, null), pw)).run(TableNames.parseList(tables));
        }
    }
}
