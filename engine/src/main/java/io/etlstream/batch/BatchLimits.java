package io.etlstream.batch;

/** Bounds of one change batch: rows and approximate bytes (whichever is reached first seals it). */
public record BatchLimits(int maxRows, long maxBytes) {
    public static final BatchLimits DEFAULT = new BatchLimits(8192, 8L * 1024 * 1024);

    public BatchLimits {
        if (maxRows < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("batch limits must be positive");
        }
    }
}
