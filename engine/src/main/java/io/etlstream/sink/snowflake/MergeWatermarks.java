package io.etlstream.sink.snowflake;

import io.etlstream.batch.TableId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How far each of a pipeline's mirrors has folded its history table in: every history row (TRUNCATE markers included)
 * at or below the watermark is in the mirror. On start the sink compares it with the channel's committed offset token,
 * which Snowpipe Streaming reports without a warehouse: equal means the mirror is up to date and an idle pipeline runs
 * no MERGE; higher (a crash after rows or a TRUNCATE marker committed but before the merge) means one catch-up merge;
 * no watermark means the sink cannot tell and merges once. Kept outside Snowflake, so reading it costs nothing.
 */
public interface MergeWatermarks {

    /** The position the mirror of {@code table} has folded in, or null when unknown. */
    OffsetToken load(TableId table);

    /** Records that the mirror of {@code table} now holds every history row at or below {@code upTo}. */
    void save(TableId table, OffsetToken upTo);

    /** The table's Snowflake tables were dropped (a copy starts): its watermark no longer says anything. */
    void forget(TableId table);

    /** Kept for the life of the object only: after a restart every mirror is merged once. */
    static MergeWatermarks inMemory() {
        Map<TableId, OffsetToken> map = new ConcurrentHashMap<>();
        return new MergeWatermarks() {
            @Override
            public OffsetToken load(TableId table) {
                return map.get(table);
            }

            @Override
            public void save(TableId table, OffsetToken upTo) {
                map.put(table, upTo);
            }

            @Override
            public void forget(TableId table) {
                map.remove(table);
            }
        };
    }

    /** Where the headless engine keeps a pipeline's watermarks, beside its snapshot ledger. */
    static Path fileFor(Path homeDir, String pipeline) {
        return homeDir.resolve("ledgers").resolve(pipeline + ".merged");
    }

    /** In a file, one {@code schema<TAB>name<TAB>token} per line, rewritten atomically on every change. */
    static MergeWatermarks inFile(Path file) {
        return new MergeWatermarks() {
            private Map<TableId, OffsetToken> cache;

            private Map<TableId, OffsetToken> all() {
                if (cache == null) {
                    cache = new TreeMap<>(java.util.Comparator.comparing(TableId::toString));
                    try {
                        if (Files.exists(file)) {
                            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                                String[] f = line.split("\t");
                                if (f.length == 3) {
                                    cache.put(new TableId(f[0], f[1]), OffsetToken.parse(f[2]));
                                }
                            }
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return cache;
            }

            @Override
            public synchronized OffsetToken load(TableId table) {
                return all().get(table);
            }

            @Override
            public synchronized void save(TableId table, OffsetToken upTo) {
                if (!upTo.equals(all().put(table, upTo))) {
                    write();
                }
            }

            @Override
            public synchronized void forget(TableId table) {
                if (all().remove(table) != null) {
                    write();
                }
            }

            private void write() {
                List<String> lines = new ArrayList<>();
                cache.forEach((t, token) -> lines.add(t.schema() + "\t" + t.name() + "\t" + token));
                io.etlstream.home.AtomicFiles.writeLines(file, lines);
            }
        };
    }
}
