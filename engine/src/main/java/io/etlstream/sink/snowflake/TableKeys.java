package io.etlstream.sink.snowflake;

import io.etlstream.batch.TableId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The key columns (source names, in order) each of a pipeline's Snowflake tables was last built and merged on. Snowflake
 * does not say (DESCRIBE carries no key flags), and after a restart the source's first Relation message shows only the
 * key as it is now; comparing the two is how a key changed while the engine was stopped stops its table, as a live
 * key change does. Kept outside Snowflake so that every restart reads it without a warehouse.
 */
public interface TableKeys {

    /** The key {@code table}'s destination was last merged on, or null when unknown (never recorded). */
    List<String> load(TableId table);

    /** Records the key {@code table}'s destination is merged on from now on. */
    void save(TableId table, List<String> keyColumns);

    /** The table's Snowflake tables were dropped (a copy starts): the recorded key no longer says anything. */
    void forget(TableId table);

    /** Kept for the life of the object only: after a restart every key is unknown and taken as the source says. */
    static TableKeys inMemory() {
        Map<TableId, List<String>> map = new ConcurrentHashMap<>();
        return new TableKeys() {
            @Override
            public List<String> load(TableId table) {
                return map.get(table);
            }

            @Override
            public void save(TableId table, List<String> keyColumns) {
                map.put(table, List.copyOf(keyColumns));
            }

            @Override
            public void forget(TableId table) {
                map.remove(table);
            }
        };
    }
}
