package io.etlstream.sink.snowflake;

/**
 * What to do with a value Snowflake cannot hold as is (longer than the column type allows, a numeric with more
 * digits than its NUMBER column, ...). Never silent truncation or rounding.
 */
public enum ValuePolicy {
    /** Stop that table (the other tables go on) and tell the user; resync the table after fixing the cause. */
    STOP_TABLE,
    /** Write null instead and record an event naming the table, column and position. */
    NULL_AND_EVENT
}
