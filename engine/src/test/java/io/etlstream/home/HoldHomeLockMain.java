package io.etlstream.home;

import java.nio.file.Path;

/** Child JVM for {@link HomeLockTest}: takes the engine lock on a home, reports, then holds it until killed or stdin closes. */
public final class HoldHomeLockMain {
    public static void main(String[] args) throws Exception {
        try (HomeLock lock = HomeLock.acquireEngine(new EtlHome(Path.of(args[0])), args[1])) {
            System.out.println("LOCKED " + ProcessHandle.current().pid());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until the parent closes our stdin
            }
        }
        System.out.println("RELEASED");
    }
}
