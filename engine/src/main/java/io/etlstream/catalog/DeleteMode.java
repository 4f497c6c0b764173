package io.etlstream.catalog;

/** What a source DELETE does in a mirror: remove the row, or mark it deleted. */
public enum DeleteMode {
    HARD, SOFT
}
