/**
 * PostgreSQL types into Arrow, one conversion path for the replication stream (pgoutput text tuples) and the
 * snapshot (COPY text, read by {@link io.etlstream.source.pg.types.CopyText}).
 *
 * <p>Representation choices (details in {@link io.etlstream.source.pg.types.ColumnMapping}):
 * <ul>
 * <li>Values that Arrow types cannot hold — numeric NaN (a constrained numeric cannot hold ±Infinity), date,
 *     timestamp(tz) and (PostgreSQL 17+) interval ±infinity — are never dropped or replaced by a sentinel: the value slot is null and a companion
 *     int8 column {@code <column>__special} holds a {@link io.etlstream.source.pg.types.SpecialValue} code.</li>
 * <li>Unconstrained numeric (no typmod), numeric wider than 38 digits or with a negative scale: Utf8 holding the
 *     server's decimal text, exact at any size ('NaN', 'Infinity', '-Infinity' spelled out). A Decimal256 would
 *     still not cover PostgreSQL's 131072 digits.</li>
 * <li>timestamptz is read with the offset the server printed, so the walsender session's TimeZone (pgjdbc sends
 *     the JVM's zone) does not change the instant. Arrays of timestamptz keep the element text, offset
 *     included; arrays of numeric, date, timestamp and interval also keep element text, because an element
 *     has no companion column for its special values.</li>
 * <li>Types without a typed mapping are carried as their text; {@code ColumnMapping.isLosslessMapping(oid)} is
 *     false for them so the doctor can flag them.</li>
 * </ul>
 * Parsers read digits straight from the bytes; float text uses an exact fast path and falls back to
 * {@code Double.parseDouble} for long mantissas.
 */
package io.etlstream.source.pg.types;
