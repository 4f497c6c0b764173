package io.etlstream.installers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One finished external command (a built launcher, dpkg-deb, ...): exit code and what it printed. */
record Run(List<String> command, int exitCode, String out, String err) {

    /** Runs {@code command} to completion with {@code stdin} fed and closed; fails the test after {@code seconds}. */
    static Run of(List<String> command, String stdin, Map<String, String> env, long seconds) {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (env != null) {
            env.forEach((k, v) -> {
                if (v == null) {
                    pb.environment().remove(k);
                } else {
                    pb.environment().put(k, v);
                }
            });
        }
        try {
            Process p = pb.start();
            Drain out = new Drain(p.getInputStream());
            Drain err = new Drain(p.getErrorStream());
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(command + " did not finish within " + seconds + " s; stdout so far: "
                        + out.text() + " stderr: " + err.text());
            }
            return new Run(command, p.exitValue(), out.text(), err.text());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    static Run of(String... command) {
        return of(List.of(command), null, null, 120);
    }

    static Run of(Path executable, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(executable.toString());
        cmd.addAll(List.of(args));
        return of(cmd, null, null, 120);
    }

    /** For assertion messages: the whole exchange. */
    String describe() {
        return String.join(" ", command) + " -> exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }

    /** Collects a stream on its own thread, so a chatty child never blocks on a full pipe. */
    static final class Drain {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final Thread thread;

        Drain(InputStream in) {
            thread = new Thread(() -> {
                try (in) {
                    in.transferTo(new Sink());
                } catch (IOException ignored) {
                    // The child went away; what was read so far is kept.
                }
            }, "drain");
            thread.setDaemon(true);
            thread.start();
        }

        String text() {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return snapshot();
        }

        String snapshot() {
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }

        private final class Sink extends java.io.OutputStream {
            @Override
            public void write(int b) {
                synchronized (buf) {
                    buf.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (buf) {
                    buf.write(b, off, len);
                }
            }
        }
    }
}
