package io.etlstream.catalog;

import io.etlstream.UserFacingException;
import io.etlstream.home.EtlHome;
import io.etlstream.home.HomeLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.h2.jdbcx.JdbcConnectionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's persistent state: an embedded H2 database in {@code <home>/catalog}, schema managed by
 * Flyway. Thread-safe; each repository call borrows a pooled connection for its own transaction.
 */
public final class Catalog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Catalog.class);
    private static final int MAX_CONNECTIONS = 4;

    private final EtlHome home;
    private final CatalogDb db;
    private final HomeLock ownLock;
    private final Sources sources;
    private final Destinations destinations;
    private final Pipelines pipelines;
    private final TableSelections tables;
    private final Events events;
    private final Metrics metrics;
    private boolean closed;

    private Catalog(EtlHome home, CatalogDb db, HomeLock ownLock) {
        this.home = home;
        this.db = db;
        this.ownLock = ownLock;
        this.sources = new Sources(db);
        this.destinations = new Destinations(db);
        this.pipelines = new Pipelines(db);
        this.tables = new TableSelections(db);
        this.events = new Events(db);
        this.metrics = new Metrics(db);
    }

    /**
     * Opens (creating and migrating as needed) the catalog of {@code home}. Inside the engine process,
     * which already holds the {@link HomeLock}, it opens under that lock; anywhere else it takes the
     * lock as a CLI command for as long as the catalog stays open, so it fails with a message naming
     * the engine when one runs on this home.
     */
    public static Catalog open(EtlHome home) {
        return open(home, Clock.systemUTC());
    }

    /** As {@link #open(EtlHome)}, with the clock that stamps created/updated times and events. */
    public static Catalog open(EtlHome home, Clock clock) {
        HomeLock ownLock = HomeLock.heldByThisProcess(home).isPresent() ? null : HomeLock.acquire(home, HomeLock.CLI);
        try {
            return new Catalog(home, openDatabase(home, clock), ownLock);
        } catch (RuntimeException | Error e) {
            if (ownLock != null) {
                ownLock.close();
            }
            throw e;
        }
    }

    /** The JDBC URL of a home's catalog; public so tools (and the H2 console) can find it. */
    public static String jdbcUrl(EtlHome home) {
        Path base = home.catalogDir().resolve("catalog");
        String path = base.toString();
        if (path.indexOf(';') >= 0) {
            throw new UserFacingException("The home folder " + home.dir()
                    + " contains ';', which H2 cannot use in a database path. Use --home with another folder.");
        }
        // Durability: H2's MVStore commits into memory and a background thread writes to the file every
        // WRITE_DELAY ms (default 500), so a killed process could lose the last half second of commits
        // that callers were told had succeeded (e.g. a committed LSN). WRITE_DELAY=0 writes each commit to
        // the file before commit() returns. That survives a killed JVM (CatalogCrashTest); it is not an
        // fsync (H2 forces the file only on CHECKPOINT SYNC and clean close), so after an OS crash or power
        // loss the newest commits may be gone: see sync(). Default MVStore recovery handles the unclean
        // shutdown.
        // DB_CLOSE_ON_EXIT=FALSE: H2's own shutdown hook would close the database under the engine's
        // shutdown sequence (which still writes final events); we close it ourselves, and a JVM that dies
        // without closing is the crash case recovery already covers.
        // LOCK_TIMEOUT: writers (metrics, pipeline actors) may wait briefly for one another.
        return "jdbc:h2:file:" + path + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000";
    }

    private static CatalogDb openDatabase(EtlHome home, Clock clock) {
        try {
            home.createDir();
            Files.createDirectories(home.catalogDir());
        } catch (IOException e) {
            throw new UserFacingException("Cannot create the catalog folder " + home.catalogDir() + ": "
                    + e.getMessage() + ". Check that the folder is writable, or use --home DIR.", e);
        }
        JdbcConnectionPool pool = JdbcConnectionPool.create(jdbcUrl(home), "etl", "");
        pool.setMaxConnections(MAX_CONNECTIONS);
        try {
            // Fail early with the clear "in use" message instead of inside Flyway.
            pool.getConnection().close();
            MigrateResult migrated = Flyway.configure()
                    .dataSource(pool)
                    .locations("classpath:db/catalog")
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
            LOG.info("catalog {} open at schema version {} ({} migration(s) applied now)", home.catalogDir(),
                    migrated.targetSchemaVersion != null ? migrated.targetSchemaVersion : migrated.initialSchemaVersion,
                    migrated.migrationsExecuted);
            return new CatalogDb(pool, clock);
        } catch (SQLException e) {
            pool.dispose();
            throw CatalogDb.translate(e);
        } catch (FlywayException e) {
            pool.dispose();
            throw new CatalogException("Migrating the catalog in " + home.catalogDir() + " failed: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            pool.dispose();
            throw e;
        }
    }

    public EtlHome home() {
        return home;
    }

    public Sources sources() {
        return sources;
    }

    public Destinations destinations() {
        return destinations;
    }

    public Pipelines pipelines() {
        return pipelines;
    }

    /** Table selections of pipelines, with their replication phase and last committed LSN. */
    public TableSelections tables() {
        return tables;
    }

    public Events events() {
        return events;
    }

    public Metrics metrics() {
        return metrics;
    }

    /**
     * Forces everything committed so far onto the disk (fsync). Commits already survive a killed JVM;
     * call this after writes that must also survive an OS crash or power loss.
     */
    public void sync() {
        db.read(c -> {
            try (var st = c.createStatement()) {
                st.execute("CHECKPOINT SYNC");
            }
            return null;
        });
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            db.close();
            LOG.debug("catalog {} closed", home.catalogDir());
        } finally {
            if (ownLock != null) {
                ownLock.close();
            }
        }
    }
}
