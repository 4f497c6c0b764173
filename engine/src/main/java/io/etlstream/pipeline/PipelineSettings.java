package io.etlstream.pipeline;

import io.etlstream.UserFacingException;
import java.time.Duration;
import java.util.Objects;

/**
 * How a pipeline writes: history (append every change) or mirror (merge into a copy), merge interval,
 * hard or soft deletes, whether to copy existing rows first, snapshot parallelism, its priority
 * (lower-priority pipelines may be paused when a source's WAL budget turns critical) and what to do with a value too
 * large for Snowflake.
 */
public record PipelineSettings(Mode mode, Duration mergeInterval, Deletes deletes, boolean snapshot, int parallelism,
        int priority, Oversize oversize) {

    /** Append every change, or keep a merged mirror of the source table. */
    public enum Mode { HISTORY, MIRROR }

    /** Delete rows in the destination, or mark them deleted. */
    public enum Deletes { HARD, SOFT }

    /**
     * A value too large for its Snowflake column: stop that table (the others keep running; a resync brings it back),
     * or write null in its place and record an event. Never truncated.
     */
    public enum Oversize { STOP, NULL }

    public static final PipelineSettings DEFAULTS =
            new PipelineSettings(Mode.MIRROR, Duration.ofSeconds(60), Deletes.HARD, true, 4, 0, Oversize.STOP);

    /** With the default oversize policy (stop the table). */
    public PipelineSettings(Mode mode, Duration mergeInterval, Deletes deletes, boolean snapshot, int parallelism,
            int priority) {
        this(mode, mergeInterval, deletes, snapshot, parallelism, priority, Oversize.STOP);
    }

    public PipelineSettings {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(oversize, "oversize");
        Objects.requireNonNull(mergeInterval, "mergeInterval");
        Objects.requireNonNull(deletes, "deletes");
        if (mergeInterval.isNegative() || mergeInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new UserFacingException("merge interval must be at least 1s (got " + mergeInterval.toSeconds() + "s)");
        }
        if (mergeInterval.compareTo(Duration.ofHours(24)) > 0) {
            throw new UserFacingException("merge interval must be at most 24h");
        }
        if (parallelism < 1 || parallelism > 64) {
            throw new UserFacingException("parallelism must be between 1 and 64 (got " + parallelism + ")");
        }
    }

    public PipelineSettings withPriority(int p) {
        return new PipelineSettings(mode, mergeInterval, deletes, snapshot, parallelism, p, oversize);
    }

    public PipelineSettings withOversize(Oversize o) {
        return new PipelineSettings(mode, mergeInterval, deletes, snapshot, parallelism, priority, o);
    }

    /** Parses {@code stop} or {@code null}, as {@code --oversize} takes them. */
    public static Oversize parseOversize(String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "stop" -> Oversize.STOP;
            case "null" -> Oversize.NULL;
            default -> throw new UserFacingException("--oversize must be stop (stop the table) or null (write null and"
                    + " record an event), not '" + text + "'");
        };
    }

    /** Parses {@code 60s}, {@code 5m}, {@code 1h} or a plain number of seconds. */
    public static Duration parseInterval(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            char unit = t.charAt(t.length() - 1);
            if (Character.isDigit(unit)) {
                return Duration.ofSeconds(Long.parseLong(t));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (unit) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new UserFacingException("'" + text + "' is not a duration; write e.g. 60s, 5m or 1h");
        }
    }
}
