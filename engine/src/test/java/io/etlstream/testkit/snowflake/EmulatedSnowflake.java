package io.etlstream.testkit.snowflake;

import io.etlstream.catalog.Destination;
import io.etlstream.emulator.EmulatorConfig;
import io.etlstream.emulator.Faults;
import io.etlstream.emulator.SnowflakeEmulator;
import io.etlstream.emulator.SqlResult;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.SinkOptions;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.source.pg.Lsn;
import io.etlstream.source.pg.PgConnector;
import io.etlstream.source.pg.PgPassword;
import io.etlstream.source.pg.PgSource;
import io.etlstream.source.pg.PgSourceConfig;
import io.etlstream.source.pg.SnapshotLedger;
import io.etlstream.source.pg.SslMode;
import io.etlstream.testkit.pg.PgDatabase;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The Snowflake emulator with a user "ETL" and its key pair, for tests that run the real sink and SDK against it:
 * the destination and {@link SnowflakeDestination} for a schema of database {@value #DATABASE}, the emulator's tables
 * read back as rows, and the waits a {@link PgSource} writing into it needs.
 *
 * <p>Per test class: {@code @RegisterExtension static final EmulatedSnowflake SF = EmulatedSnowflake.perClass("S");}
 * starts it before the first test and closes it after the last. Inside one test: {@code try (EmulatedSnowflake sf =
 * EmulatedSnowflake.start("S")) {...}}.
 */
public final class EmulatedSnowflake implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    public static final String DATABASE = "DB";
    public static final String USER = "ETL";

    /** Sink options for tests that merge with {@code mergeNow}: the hourly interval never fires during a test. */
    public static final SinkOptions MANUAL_MERGES = SinkOptions.DEFAULT.withMergeInterval(Duration.ofHours(1));

    /** Source options for tests: status every second, quick reconnects, no heartbeat writes into the database. */
    public static final PgSource.Options SOURCE_OPTIONS = PgSource.Options.defaults()
            .withStatusInterval(Duration.ofSeconds(1)).withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2))
            .withHeartbeatInterval(Duration.ZERO);

    /** How long {@link #awaitCaughtUp(PgDatabase, PgSource)} waits unless told otherwise. */
    public static final Duration CAUGHT_UP = Duration.ofSeconds(90);

    // One RSA key per JVM: each emulator registers it again, and generating one per test class only costs time.
    private static KeyPair sharedKey;

    private final boolean withUser;
    private final List<String> schemas;
    private SnowflakeEmulator emu;
    private KeyPair key;

    private EmulatedSnowflake(boolean withUser, String... schemas) {
        this.withUser = withUser;
        this.schemas = List.of(schemas);
    }

    /** Not started yet: register it with {@code @RegisterExtension} on a static field. */
    public static EmulatedSnowflake perClass(String... schemas) {
        return new EmulatedSnowflake(true, schemas);
    }

    /** As {@link #perClass}, with no user and no key (none is generated): for tests that only run SQL. */
    public static EmulatedSnowflake sqlOnly(String... schemas) {
        return new EmulatedSnowflake(false, schemas);
    }

    /** Started now, with database {@value #DATABASE} and {@code schemas} in it; the caller closes it. */
    public static EmulatedSnowflake start(String... schemas) {
        EmulatedSnowflake s = new EmulatedSnowflake(true, schemas);
        s.startNow();
        return s;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        startNow();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private void startNow() {
        if (emu != null) {
            throw new IllegalStateException("the emulator is already running");
        }
        EmulatorConfig config = EmulatorConfig.inMemory();
        if (withUser) {
            key = keyPair();
            config = config.withUser(USER, key.getPublic());
        }
        emu = SnowflakeEmulator.start(config);
        try {
            emu.sql("CREATE DATABASE IF NOT EXISTS " + DATABASE);
            schemas.forEach(this::createSchema);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static synchronized KeyPair keyPair() {
        if (sharedKey == null) {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                sharedKey = g.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return sharedKey;
    }

    @Override
    public void close() {
        if (emu != null) {
            try {
                emu.close();
            } finally {
                emu = null;
            }
        }
    }

    public SnowflakeEmulator emulator() {
        if (emu == null) {
            throw new IllegalStateException("the emulator is not running: register EmulatedSnowflake with"
                    + " @RegisterExtension on a static field, or use EmulatedSnowflake.start");
        }
        return emu;
    }

    /** The emulator's fault injection and request counters. */
    public Faults faults() {
        return emulator().faults();
    }

    /** The private half of the key registered for {@value #USER}. */
    public PrivateKey privateKey() {
        emulator();
        if (key == null) {
            throw new IllegalStateException("this emulator has no user: use EmulatedSnowflake.perClass or start");
        }
        return key.getPrivate();
    }

    public void createSchema(String schema) {
        emulator().sql("CREATE SCHEMA IF NOT EXISTS " + DATABASE + "." + schema);
    }

    /** A destination "emu" for {@code schema}, as the catalog would hold it (vault alias "k"). */
    public Destination destination(String schema) {
        return Destination.draft("emu", null, emulator().url().toString(), USER, "ACCOUNTADMIN", DATABASE, schema,
                "k");
    }

    /** The real SDK client on the emulator for {@code schema}, with default tuning and two flush permits. */
    public SnowflakeDestination open(String schema) {
        return SnowflakeDestination.open(destination(schema), privateKey(), SnowpipeTuning.DEFAULT,
                new FlushLimiter(2));
    }

    /**
     * Closes a client whose channels another client took over (a second run after a simulated crash): the SDK may
     * report the fenced channels on close, which such a test expects.
     */
    public static void closeTakenOver(SnowflakeDestination fenced) {
        try {
            fenced.close();
        } catch (Exception expected) {
            // the test already asserted what matters; the takeover is the point
        }
    }

    /** Runs {@code statement} as the sink's SQL API requests do: with the database and {@code schema} as context. */
    public SqlResult sql(String statement, String schema) {
        return emulator().sql(statement, DATABASE, schema);
    }

    /** The result's rows in the order the statement gives them, SQL NULL as "null". */
    public List<String[]> rows(String statement, String schema) {
        List<String[]> out = new ArrayList<>();
        for (List<String> row : sql(statement, schema).rows()) {
            out.add(row.stream().map(v -> v == null ? "null" : v).toArray(String[]::new));
        }
        return out;
    }

    /** {@link #rows} with each row's values joined by '|', as the tests' {@code concat_ws('|', ...)} queries give them. */
    public List<String> joined(String statement, String schema) {
        return rows(statement, schema).stream().map(r -> String.join("|", r)).toList();
    }

    // ---- the PostgreSQL side of a run into the emulator ----------------------------------------------------------

    /** A connector to {@code db} as user postgres, without TLS. */
    public static PgConnector connector(PgDatabase db, PgPassword pw) {
        return new PgConnector(new PgSourceConfig(db.host(), db.port(), db.name(), "postgres", SslMode.DISABLE, null),
                pw);
    }

    public static void await(BooleanSupplier condition, Duration timeout, Supplier<String> what)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out: " + what.get());
            }
            Thread.sleep(50);
        }
    }

    /** Waits until {@code tables} copies are in the ledger or the source failed (the caller asserts which). */
    public static void awaitCopied(PgSource source, SnapshotLedger ledger, int tables, Duration timeout)
            throws InterruptedException {
        await(() -> ledger.completed().size() == tables || source.failure().isPresent(), timeout, source::toString);
    }

    /**
     * Writes a logical message to {@code db}'s WAL and returns its LSN: once a pipeline is durable or confirmed past
     * it, every change committed before this call has reached the destination.
     */
    public static long caughtUpMark(PgDatabase db) {
        return Lsn.parse(db.queryOne("SELECT pg_logical_emit_message(true, 'etl-stream-test', 'caught up')"));
    }

    /** Waits until everything committed to {@code db} so far is durable in the sink; fails if the source failed. */
    public static void awaitCaughtUp(PgDatabase db, PgSource source) throws InterruptedException {
        awaitCaughtUp(db, source, CAUGHT_UP);
    }

    public static void awaitCaughtUp(PgDatabase db, PgSource source, Duration timeout) throws InterruptedException {
        long target = caughtUpMark(db);
        await(() -> Long.compareUnsigned(source.status().durableLsn(), target) > 0 || source.failure().isPresent(),
                timeout, () -> "caught up to " + Lsn.format(target) + ": " + source.status());
        if (source.failure().isPresent()) {
            throw new AssertionError("source failed", source.failure().get());
        }
    }
}
