package io.etlstream.batch;

import java.nio.file.Path;

/** Child JVM of {@link SpillDirectoryInstancesTest}: opens a spill instance with one file, then waits to be killed. */
public final class SpillInstanceHolder {
    private SpillInstanceHolder() {}

    public static void main(String[] args) throws Exception {
        SpillDirectory d = SpillDirectory.openInstance(Path.of(args[0]), 1, true);
        TransactionSpill f = d.newFile(7);
        System.out.println("READY " + d.path());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // holds the lock and the file until SIGKILL
        f.close();
    }
}
