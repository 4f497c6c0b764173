package io.etlstream.source.pg;

import io.etlstream.testkit.pg.PgDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time of the processes a benchmark compares, read from Linux's {@code /proc/<pid>/stat}: the PostgreSQL server
 * (postmaster, its live children and the children it already reaped) and the clients this JVM started and reaped
 * ({@code psql}). Clock-tick resolution (10 ms at 100 Hz); counts every backend, so the reading covers background
 * workers too, which is why benchmarks vacuum first and measure on a quiet cluster.
 */
final class ProcessCpu {

    private static final long NANOS_PER_TICK = 1_000_000_000L / 100; // CLK_TCK is 100 on Linux x86-64

    private final long postmaster;

    private ProcessCpu(long postmaster) {
        this.postmaster = postmaster;
    }

    /** The server of {@code db}: its postmaster is the parent of this session's backend. */
    static ProcessCpu serverOf(PgDatabase db) throws java.sql.SQLException {
        // read while the session is open: its backend exits with it
        try (java.sql.Connection c = db.connect(); java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            long backend = rs.getLong(1);
            long[] f = stat(backend);
            if (f == null) {
                throw new IllegalStateException("cannot read /proc/" + backend + "/stat: is PostgreSQL on this machine?");
            }
            return new ProcessCpu(f[0]);
        }
    }

    /**
     * Server CPU so far: the postmaster's own and reaped children's time plus every live child's. A child that exits
     * between two readings moves from the second sum to the first with its whole time, so differences stay exact
     * once the exited child was reaped (wait a moment after clients disconnect).
     */
    long serverNanos() {
        long[] pm = stat(postmaster);
        if (pm == null) {
            throw new IllegalStateException("postmaster " + postmaster + " is gone");
        }
        long ticks = pm[1] + pm[2] + pm[3] + pm[4];
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                long[] f = stat(Long.parseLong(name));
                if (f != null && f[0] == postmaster) {
                    ticks += f[1] + f[2];
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return ticks * NANOS_PER_TICK;
    }

    /** CPU of this JVM's children that have exited and were reaped (a finished {@code psql}). */
    static long reapedChildrenNanos() {
        long[] self = stat(ProcessHandle.current().pid());
        return (self[3] + self[4]) * NANOS_PER_TICK;
    }

    /**
     * CPU of this JVM's threads whose name starts with {@code prefix} (Linux thread names, at most 15 characters:
     * "C2 CompilerThre", "C1 CompilerThre", "GC Thread#0", "G1 Conc#0"); threads that ended are not counted.
     */
    static long jvmThreadsNanos(String... prefixes) {
        long ticks = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String s;
                try {
                    s = Files.readString(t.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended
                }
                String comm = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')'));
                for (String prefix : prefixes) {
                    if (comm.startsWith(prefix)) {
                        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                        break;
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc/self/task", e);
        }
        return ticks * NANOS_PER_TICK;
    }

    /** {ppid, utime, stime, cutime, cstime} in clock ticks, or null when the process is gone. */
    private static long[] stat(long pid) {
        String s;
        try {
            s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return null;
        }
        // the command name sits in parentheses and may contain spaces; fields 3.. follow the last ')'
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]),
                Long.parseLong(f[14])};
    }
}
