package io.etlstream.sink.snowflake;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.TableSchema;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.IntervalMonthDayNanoVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import io.etlstream.source.pg.types.ColumnMapping;
import io.etlstream.source.pg.types.SpecialValue;

/**
 * Turns a {@link ChangeBatch} into the SDK's {@code Map<String,Object>} rows for the history table, reading every
 * vector through its typed accessor (no per-cell JSON, no generic {@code getObject}). jsonb arrives as JSON text,
 * which is exactly what a VARIANT column takes.
 */
public final class RowConverter {

    /** A value replaced by null under {@link ValuePolicy#NULL_AND_EVENT}. */
    public record NulledValue(String column, long lsn, int seq, String reason) {}

    @FunctionalInterface
    interface Reader {
        /** The value at {@code row}; only called for non-null slots. */
        Object read(int row);
    }

    private final DestinationTables tables;
    private final TableLayout layout;
    private final ValuePolicy policy;

    public RowConverter(DestinationTables tables, TableLayout layout, ValuePolicy policy) {
        this.tables = tables;
        this.layout = layout;
        this.policy = policy;
    }

    /**
     * The converted rows of one batch and the position of its last row; {@code lastTruncate}: the position of the
     * newest TRUNCATE ("T") row among the converted ones, null if none; {@code keyChanged}: some converted row is a
     * half of an update that changed its key (flagged {@link SnowflakeSql#TOAST_KEY_CHANGED}).
     */
    public record Rows(List<Map<String, Object>> rows, long lastLsn, int lastSeq, int skipped,
            OffsetToken lastTruncate, boolean keyChanged) {}

    /**
     * Converts the rows of {@code batch} that are not covered by {@code skipUpTo} (already committed in the channel;
     * null: none). {@code syncedAt} fills {@code _ETL_SYNCED_AT}; {@code nulled} hears about replaced values.
     */
    public Rows convert(ChangeBatch batch, OffsetToken skipUpTo, Instant syncedAt, Consumer<NulledValue> nulled) {
        TableSchema schema = batch.schema();
        var root = batch.root();
        int n = root.getRowCount();
        int sourceCount = schema.columnCount();
        VarCharVector op = (VarCharVector) root.getVector(ChangeBatch.OP);
        BigIntVector lsnV = (BigIntVector) root.getVector(ChangeBatch.COMMIT_LSN);
        IntVector seqV = (IntVector) root.getVector(ChangeBatch.SEQ);
        TimeStampMicroTZVector tsV = (TimeStampMicroTZVector) root.getVector(ChangeBatch.COMMIT_TS);
        ListVector toastV = (ListVector) root.getVector(ChangeBatch.UNCHANGED_TOAST);

        List<DestColumn> targets = new ArrayList<>();
        List<FieldVector> vectors = new ArrayList<>();
        List<Reader> readers = new ArrayList<>();
        List<TinyIntVector> specials = new ArrayList<>();
        int[] ordinalOfSource = new int[sourceCount];
        for (int i = 0; i < sourceCount; i++) {
            String name = schema.columns().get(i).name();
            DestColumn d = layout.column(name).orElseThrow(() -> new IllegalStateException(
                    "column " + name + " of " + schema.table() + " is not in the destination layout"));
            FieldVector v = root.getVector(i);
            targets.add(d);
            vectors.add(v);
            readers.add(reader(v, d));
            FieldVector sv = root.getVector(name + ColumnMapping.SPECIAL_SUFFIX);
            specials.add(sv instanceof TinyIntVector t ? t : null);
            ordinalOfSource[i] = d.ordinal();
        }
        OffsetDateTime synced = syncedAt.atOffset(ZoneOffset.UTC);
        List<Map<String, Object>> out = new ArrayList<>(n);
        long lastLsn = 0;
        int lastSeq = 0;
        int skipped = 0;
        OffsetToken lastTruncate = null;
        boolean keyChanged = false;
        for (int r = 0; r < n; r++) {
            long lsn = lsnV.get(r);
            int seq = seqV.get(r);
            lastLsn = lsn;
            lastSeq = seq;
            if (skipUpTo != null && skipUpTo.covers(lsn, seq)) {
                skipped++;
                continue;
            }
            Map<String, Object> row = new HashMap<>(targets.size() * 2 + 12);
            for (int c = 0; c < targets.size(); c++) {
                FieldVector v = vectors.get(c);
                DestColumn d = targets.get(c);
                if (v.isNull(r)) {
                    TinyIntVector sv = specials.get(c);
                    if (sv != null && !sv.isNull(r)) {
                        // NaN / ±infinity / past year 294247: no Snowflake NUMBER, DATE or TIMESTAMP holds them
                        refuse(d, lsn, seq, "is " + SpecialValue.ofCode(sv.get(r)).describe() + ", which "
                                + d.type().ddl() + " cannot hold", nulled);
                    }
                    continue;
                }
                Object value;
                try {
                    value = readers.get(c).read(r);
                } catch (ValueTooLarge e) {
                    value = refuse(d, lsn, seq, e.getMessage(), nulled);
                }
                if (value != null) {
                    row.put(d.name().sdk(), value);
                }
            }
            byte[] opBytes = op.get(r);
            if (opBytes.length == 1 && opBytes[0] == ChangeBatch.TRUNCATE) {
                // a TRUNCATE row: every source column is null, so the history row is the marker the merge reads
                lastTruncate = OffsetToken.partial(lsn, seq);
            }
            row.put(SnowflakeSql.OP, new String(opBytes, StandardCharsets.UTF_8));
            row.put(SnowflakeSql.LSN, Long.toUnsignedString(lsn));
            row.put(SnowflakeSql.SEQ, seq);
            if (!tsV.isNull(r)) {
                row.put(SnowflakeSql.COMMIT_TS, microsToUtc(tsV.get(r)));
            }
            row.put(SnowflakeSql.SYNCED_AT, synced);
            if (toastV != null && !toastV.isNull(r)) {
                IntVector idx = (IntVector) toastV.getDataVector();
                int start = toastV.getElementStartIndex(r);
                int end = toastV.getElementEndIndex(r);
                if (end > start) {
                    StringBuilder sb = new StringBuilder(",");
                    for (int k = start; k < end; k++) {
                        int c = idx.get(k);
                        if (c == ChangeBatch.KEY_CHANGED) {
                            sb.append(SnowflakeSql.TOAST_KEY_CHANGED).append(',');
                            keyChanged = true;
                        } else {
                            sb.append(ordinalOfSource[c]).append(',');
                        }
                    }
                    row.put(SnowflakeSql.TOAST, sb.toString());
                }
            }
            out.add(row);
        }
        return new Rows(out, lastLsn, lastSeq, skipped, lastTruncate, keyChanged);
    }

    private Object refuse(DestColumn d, long lsn, int seq, String reason, Consumer<NulledValue> nulled) {
        String where = tables.source() + "." + d.sourceName() + " at " + OffsetToken.partial(lsn, seq);
        if (policy == ValuePolicy.STOP_TABLE) {
            throw new UnrepresentableValueException("Stopped table " + tables.source() + ": the value of " + where
                    + " " + reason + ". Change the table's value policy to 'null' to write null instead, or fix the"
                    + " source value, then resync the table.");
        }
        nulled.accept(new NulledValue(d.sourceName(), lsn, seq, reason));
        return null;
    }

    /** Signals a value the column type cannot hold; turned into the policy's outcome by the caller. */
    static final class ValueTooLarge extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ValueTooLarge(String message) {
            super(message, null, false, false);
        }
    }

    static Reader reader(FieldVector v, DestColumn d) {
        SnowflakeType t = d.type();
        return switch (t.kind()) {
            case VARCHAR -> textReader(v, t.length() == SnowflakeType.UNBOUNDED ? Integer.MAX_VALUE : t.length());
            case VARIANT, ARRAY -> {
                if (v instanceof ListVector list) {
                    Reader element = elementReader(list.getDataVector());
                    FieldVector data = list.getDataVector();
                    yield row -> {
                        int start = list.getElementStartIndex(row);
                        int end = list.getElementEndIndex(row);
                        if (data instanceof BaseVariableWidthVector text && end > start) {
                            // The elements' text alone past Snowflake's limit: the SDK would refuse the whole row
                            // (stopping the table whatever the policy), so the policy decides here.
                            long bytes = (long) text.getStartOffset(end) - text.getStartOffset(start);
                            if (bytes > SnowflakeType.MAX_VARCHAR_BYTES) {
                                throw new ValueTooLarge("holds " + bytes + " bytes of element text, more than Snowflake's "
                                        + SnowflakeType.MAX_VARCHAR_BYTES + "-byte limit for ARRAY/VARIANT");
                            }
                        }
                        List<Object> l = new ArrayList<>(end - start);
                        for (int k = start; k < end; k++) {
                            l.add(list.getDataVector().isNull(k) ? null : element.read(k));
                        }
                        return l;
                    };
                }
                Reader text = textReader(v, Integer.MAX_VALUE);
                yield text;
            }
            case NUMBER -> numberReader(v, t);
            case FLOAT -> {
                if (v instanceof Float8Vector f) {
                    yield f::get;
                }
                if (v instanceof Float4Vector f) {
                    yield f::get;
                }
                throw unsupported(v, d);
            }
            case BOOLEAN -> {
                if (v instanceof BitVector b) {
                    yield row -> b.get(row) != 0;
                }
                throw unsupported(v, d);
            }
            case BINARY -> {
                if (v instanceof VarBinaryVector b) {
                    yield row -> {
                        byte[] bytes = b.get(row);
                        if (bytes.length > SnowflakeType.MAX_BINARY_BYTES) {
                            throw new ValueTooLarge("is " + bytes.length + " bytes, more than BINARY's "
                                    + SnowflakeType.MAX_BINARY_BYTES);
                        }
                        return bytes;
                    };
                }
                throw unsupported(v, d);
            }
            case DATE -> {
                if (v instanceof DateDayVector dv) {
                    yield row -> {
                        LocalDate date = LocalDate.ofEpochDay(dv.get(row));
                        if (date.getYear() < MIN_YEAR || date.getYear() > MAX_YEAR) {
                            throw outOfRange(date, t);
                        }
                        return date;
                    };
                }
                throw unsupported(v, d);
            }
            case TIME -> {
                if (v instanceof TimeMicroVector tv) {
                    yield row -> LocalTime.ofNanoOfDay(tv.get(row) * 1000L);
                }
                throw unsupported(v, d);
            }
            case TIMESTAMP_NTZ -> {
                if (v instanceof TimeStampMicroVector tv) {
                    yield row -> {
                        long micros = tv.get(row);
                        LocalDateTime ts = LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                                (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC);
                        if (ts.getYear() < MIN_YEAR || ts.getYear() > MAX_YEAR) {
                            throw outOfRange(ts, t);
                        }
                        return ts;
                    };
                }
                throw unsupported(v, d);
            }
            case TIMESTAMP_TZ -> {
                if (v instanceof TimeStampMicroTZVector tv) {
                    yield row -> {
                        OffsetDateTime ts = microsToUtc(tv.get(row));
                        if (ts.getYear() < MIN_YEAR || ts.getYear() > MAX_YEAR) {
                            throw outOfRange(ts, t);
                        }
                        return ts;
                    };
                }
                throw unsupported(v, d);
            }
        };
    }

    /**
     * Snowflake's DATE and TIMESTAMP types hold the years 1 to 9999 (and the SDK refuses others); PostgreSQL goes from
     * 4713 BC to 294276 AD (dates to 5874897 AD).
     */
    static final int MIN_YEAR = 1;
    static final int MAX_YEAR = 9999;

    private static ValueTooLarge outOfRange(Object value, SnowflakeType t) {
        return new ValueTooLarge("is " + value + " (ISO, proleptic Gregorian, astronomical year numbering), outside the"
                + " years 1 to 9999 that Snowflake's " + t.ddl() + " holds");
    }

    private static OffsetDateTime microsToUtc(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L)
                .atOffset(ZoneOffset.UTC);
    }

    private static Reader textReader(FieldVector v, int maxChars) {
        if (v instanceof VarCharVector s) {
            return row -> checkedText(s.get(row), maxChars);
        }
        if (v instanceof LargeVarCharVector s) {
            return row -> checkedText(s.get(row), maxChars);
        }
        if (v instanceof FixedSizeBinaryVector f && f.getByteWidth() == 16) {
            // uuid carried as its 16 bytes
            return row -> {
                ByteBuffer b = ByteBuffer.wrap(f.get(row));
                return new UUID(b.getLong(), b.getLong()).toString();
            };
        }
        if (v instanceof IntervalMonthDayNanoVector iv) {
            return row -> IsoInterval.format(IntervalMonthDayNanoVector.getMonths(iv.getDataBuffer(), row),
                    IntervalMonthDayNanoVector.getDays(iv.getDataBuffer(), row),
                    IntervalMonthDayNanoVector.getNanoseconds(iv.getDataBuffer(), row));
        }
        if (v instanceof BigIntVector b) {
            return row -> Long.toString(b.get(row));
        }
        if (v instanceof StructVector st && st.getChild(ColumnMapping.TIMETZ_TIME) instanceof TimeMicroVector tv
                && st.getChild(ColumnMapping.TIMETZ_OFFSET) instanceof IntVector off) {
            // timetz: Snowflake has no time with zone; ISO 8601 text keeps the offset
            return row -> LocalTime.ofNanoOfDay(tv.get(row) * 1000L)
                    .atOffset(ZoneOffset.ofTotalSeconds(off.get(row))).toString();
        }
        if (v instanceof IntVector b) {
            return row -> Integer.toString(b.get(row));
        }
        throw new IllegalStateException("no text conversion from Arrow " + v.getField().getType());
    }

    private static String checkedText(byte[] utf8, int maxChars) {
        if (utf8.length > SnowflakeType.MAX_VARCHAR_BYTES) {
            throw new ValueTooLarge("is " + utf8.length + " bytes, more than Snowflake's "
                    + SnowflakeType.MAX_VARCHAR_BYTES + "-byte limit for VARCHAR/VARIANT");
        }
        String s = new String(utf8, StandardCharsets.UTF_8);
        if (maxChars != Integer.MAX_VALUE && s.codePointCount(0, s.length()) > maxChars) {
            throw new ValueTooLarge("has more than " + maxChars + " characters");
        }
        return s;
    }

    private static Reader numberReader(FieldVector v, SnowflakeType t) {
        if (v instanceof BigIntVector b) {
            return b::get;
        }
        if (v instanceof IntVector b) {
            return b::get;
        }
        if (v instanceof SmallIntVector b) {
            return b::get;
        }
        if (v instanceof TinyIntVector b) {
            return b::get;
        }
        if (v instanceof UInt1Vector b) {
            return b::get;
        }
        if (v instanceof DecimalVector dv) {
            return row -> fits(dv.getObject(row), t);
        }
        if (v instanceof Decimal256Vector dv) {
            return row -> fits(dv.getObject(row), t);
        }
        if (v instanceof VarCharVector s) {
            return row -> {
                String text = new String(s.get(row), StandardCharsets.UTF_8);
                try {
                    return fits(new BigDecimal(text), t);
                } catch (NumberFormatException e) {
                    throw new ValueTooLarge("'" + text + "' is not a finite number");
                }
            };
        }
        throw new IllegalStateException("no NUMBER conversion from Arrow " + v.getField().getType());
    }

    /** The value unchanged if NUMBER(p,s) holds it exactly; never rounds. */
    static BigDecimal fits(BigDecimal value, SnowflakeType t) {
        BigDecimal stripped = value.stripTrailingZeros();
        int scale = Math.max(stripped.scale(), 0);
        int integerDigits = Math.max(stripped.precision() - stripped.scale(), 0);
        if (scale > t.scale() || integerDigits > t.precision() - t.scale()) {
            throw new ValueTooLarge(value.toPlainString() + " does not fit " + t.ddl() + " without rounding");
        }
        return value;
    }

    private static Reader elementReader(FieldVector v) {
        if (v instanceof BigIntVector b) {
            return b::get;
        }
        if (v instanceof IntVector b) {
            return b::get;
        }
        if (v instanceof SmallIntVector b) {
            return b::get;
        }
        if (v instanceof Float8Vector b) {
            return b::get;
        }
        if (v instanceof Float4Vector b) {
            return b::get;
        }
        if (v instanceof BitVector b) {
            return row -> b.get(row) != 0;
        }
        if (v instanceof DecimalVector b) {
            return b::getObject;
        }
        if (v instanceof TimeStampMicroTZVector tv) {
            return row -> microsToUtc(tv.get(row)).toString();
        }
        if (v instanceof DateDayVector dv) {
            return row -> LocalDate.ofEpochDay(dv.get(row)).toString();
        }
        return textReader(v, Integer.MAX_VALUE);
    }

    private static IllegalStateException unsupported(FieldVector v, DestColumn d) {
        return new IllegalStateException("no conversion from Arrow " + v.getField().getType() + " to " + d.type().ddl()
                + " for column " + d.sourceName());
    }
}
