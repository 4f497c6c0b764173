package io.etlstream.source.pg;

import io.etlstream.UserFacingException;
import java.util.Locale;

/** Slot and publication names of a pipeline: {@code etl_stream_<pipeline id>}, as PostgreSQL allows for slots. */
public record ReplicationNames(String slot, String publication) {

    public static final String PREFIX = "etl_stream_";
    private static final int MAX = 63; // NAMEDATALEN - 1

    public ReplicationNames {
        for (String n : new String[] {slot, publication}) {
            if (n == null || !n.matches("[a-z0-9_]{1," + MAX + "}")) {
                throw new IllegalArgumentException("slot and publication names are 1.." + MAX
                        + " characters of a-z, 0-9 and _, was '" + n + "'");
            }
        }
    }

    /**
     * Names derived from a pipeline id alone (the rule before catalog pipelines stored their own names, which add
     * the home's id): slots allow only lower-case letters, digits and underscores.
     */
    public static ReplicationNames forPipeline(String pipelineId) {
        String clean = pipelineId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.isEmpty() || clean.chars().allMatch(c -> c == '_')) {
            throw new UserFacingException("pipeline id '" + pipelineId + "' has no letters or digits: use a name like orders_to_sf");
        }
        String name = PREFIX + clean;
        if (name.length() > MAX) {
            // Keep it unique when truncating: a short hash of the full id goes at the end.
            String hash = Integer.toHexString(pipelineId.hashCode() & 0x7fffffff);
            name = name.substring(0, MAX - hash.length() - 1) + "_" + hash;
        }
        return new ReplicationNames(name, name);
    }
}
