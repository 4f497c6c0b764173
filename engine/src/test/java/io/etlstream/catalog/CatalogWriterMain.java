package io.etlstream.catalog;

import io.etlstream.home.EtlHome;
import java.nio.file.Path;

/**
 * Child JVM for {@link CatalogCrashTest}: writes to the catalog in a loop and prints "committed N" after
 * each write returned, until killed.
 */
public final class CatalogWriterMain {
    public static void main(String[] args) {
        EtlHome home = new EtlHome(Path.of(args[0]));
        Catalog catalog = Catalog.open(home); // never closed: the process is killed mid-loop
        Pipeline p = catalog.pipelines().find("crash").orElseGet(() -> {
            Source s = catalog.sources().add(Source.draft("crash-src", "localhost", 5432, "db", "u"));
            Destination d = catalog.destinations().add(Destination.draft("crash-dst", "ACCT", null, "U", "R", "DB", "S", "k"));
            Pipeline created = catalog.pipelines().add(Pipeline.draft("crash", s.id(), d.id()));
            catalog.tables().add(created.id(), "public", "t");
            return created;
        });
        System.out.println("READY");
        System.out.flush();
        for (long i = Long.parseLong(args[1]); ; i++) {
            catalog.sources().add(Source.draft("s-" + i, "host-" + i, 5432, "db", "u"));
            catalog.events().append(Event.info("crash.test", "e-" + i).forPipeline(p.id()));
            catalog.tables().advanceCommittedLsn(p.id(), "public", "t", i + 1);
            System.out.println("committed " + i);
            System.out.flush();
        }
    }
}
