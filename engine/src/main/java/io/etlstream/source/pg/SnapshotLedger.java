package io.etlstream.source.pg;

import io.etlstream.batch.TableId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which tables of a pipeline have a snapshot the destination confirmed durable, so a restart copies only the others.
 * The catalog's table phases can implement this; {@link #inFile(Path)} keeps it in a small file.
 */
public interface SnapshotLedger {

    Set<TableId> completed();

    void markCompleted(TableId table);

    /**
     * Forget one table: it is copied again from scratch at the next opportunity (a resync). Done before its
     * destination is reset, so a crash in between still leads to a new copy, never to a half-empty table.
     */
    void forget(TableId table);

    /** Forget everything (a new slot means every table is copied again). */
    void clear();

    /** Where the headless engine keeps a pipeline's ledger file in its home folder. */
    static Path fileFor(Path homeDir, String pipeline) {
        return homeDir.resolve("ledgers").resolve(pipeline + ".ledger");
    }

    /** A ledger kept only in memory (tests, benchmarks). */
    static SnapshotLedger inMemory() {
        Set<TableId> done = ConcurrentHashMap.newKeySet();
        return new SnapshotLedger() {
            @Override
            public Set<TableId> completed() {
                return Set.copyOf(done);
            }

            @Override
            public void markCompleted(TableId table) {
                done.add(table);
            }

            @Override
            public void forget(TableId table) {
                done.remove(table);
            }

            @Override
            public void clear() {
                done.clear();
            }
        };
    }

    /** A ledger in a file, one {@code schema<TAB>name} per line, rewritten atomically. */
    static SnapshotLedger inFile(Path file) {
        return new SnapshotLedger() {
            @Override
            public synchronized Set<TableId> completed() {
                Set<TableId> out = new LinkedHashSet<>();
                try {
                    if (Files.exists(file)) {
                        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                            int tab = line.indexOf('\t');
                            if (tab > 0) {
                                out.add(new TableId(line.substring(0, tab), line.substring(tab + 1)));
                            }
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return out;
            }

            @Override
            public synchronized void markCompleted(TableId table) {
                Set<TableId> all = completed();
                if (all.add(table)) {
                    write(all.stream().map(t -> t.schema() + "\t" + t.name()).toList());
                }
            }

            @Override
            public synchronized void forget(TableId table) {
                Set<TableId> all = completed();
                if (all.remove(table)) {
                    write(all.stream().map(t -> t.schema() + "\t" + t.name()).toList());
                }
            }

            @Override
            public synchronized void clear() {
                write(List.of());
            }

            private void write(List<String> lines) {
                io.etlstream.home.AtomicFiles.writeLines(file, lines);
            }
        };
    }
}
