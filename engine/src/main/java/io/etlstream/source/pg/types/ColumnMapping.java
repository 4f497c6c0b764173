package io.etlstream.source.pg.types;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.IntervalMonthDayNanoVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.IntervalUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * How one PostgreSQL column type (OID + typmod) is represented in Arrow, and the writer that fills it from text.
 *
 * <p>Representations (all exact unless {@link #lossless()} is false):
 * <ul>
 * <li>bool → Bool; int2/int4/int8 → Int16/32/64; float4/float8 → Float32/64 (NaN, ±Infinity native).</li>
 * <li>numeric(p,s) with 1 ≤ p ≤ 38 and 0 ≤ s ≤ p → Decimal128(p,s); NaN/±Infinity → null value plus a
 *     {@link SpecialValue} code in the companion column. numeric without typmod (or wider, or a negative scale) →
 *     Utf8 holding PostgreSQL's own decimal text, which is exact at any size ('NaN', 'Infinity' spelled out).</li>
 * <li>date → Date32 days; timestamp → Timestamp(us) without zone; timestamptz → Timestamp(us, "UTC") parsed
 *     with the offset printed by the server (the session zone does not matter). ±infinity → null value plus a
 *     {@link SpecialValue} code in the companion column.</li>
 * <li>time → Time64(us); timetz → Struct{time_us: Time64(us), offset_s: Int32 seconds east of UTC};
 *     interval → Interval(MONTH_DAY_NANO), its ±infinity (PostgreSQL 17+) in the companion column.</li>
 * <li>text, varchar, bpchar (with its padding), name, "char", json, jsonb, inet, cidr → Utf8 (the exact text);
 *     bytea → Binary; uuid → FixedSizeBinary(16).</li>
 * <li>one-dimensional arrays of the above → List of the element representation, except arrays of numeric, date,
 *     timestamp, timestamptz and interval whose elements are Utf8 text (no companion column exists per element).
 *     Multi-dimensional arrays and arrays with explicit bounds are rejected with an error. Arrays of enums and of
 *     domains over these types have per-database OIDs: the source resolves them to text[] or the base type's array
 *     ({@code io.etlstream.source.pg.UserArrayTypes}) before a mapping is chosen.</li>
 * <li>anything else (enums, domains, geometric types, ranges, user types) → Utf8 text.
 *     {@link #isLosslessMapping(int)} is false for those (enums are exact as text: see
 *     {@link #isLosslessMapping(int, char)}).</li>
 * </ul>
 * Every field carries metadata {@code pg.type_oid}, {@code pg.typmod} and {@code pg.type}.
 */
public final class ColumnMapping {

    /** Field metadata keys. */
    public static final String META_TYPE_OID = "pg.type_oid";
    public static final String META_TYPMOD = "pg.typmod";
    public static final String META_TYPE = "pg.type";

    /** Suffix of companion columns that carry {@link SpecialValue} codes. */
    public static final String SPECIAL_SUFFIX = "__special";

    public static final String TIMETZ_TIME = "time_us";
    public static final String TIMETZ_OFFSET = "offset_s";

    private final int typeOid;
    private final int typmod;
    private final ArrowType arrowType;
    private final Field elementField; // arrays only
    private final boolean hasSpecial;
    private final boolean lossless;

    private ColumnMapping(int typeOid, int typmod, ArrowType arrowType, Field elementField, boolean hasSpecial,
            boolean lossless) {
        this.typeOid = typeOid;
        this.typmod = typmod;
        this.arrowType = arrowType;
        this.elementField = elementField;
        this.hasSpecial = hasSpecial;
        this.lossless = lossless;
    }

    /** The mapping for a column of this type OID and type modifier (-1 when none). */
    public static ColumnMapping of(int typeOid, int typmod) {
        int element = PgType.elementOf(typeOid);
        if (element != 0) {
            ArrowType et = scalarType(element, typmod, true);
            Field ef = new Field("element", FieldType.nullable(et), childrenOf(element, et));
            return new ColumnMapping(typeOid, typmod, ArrowType.List.INSTANCE, ef, false, true);
        }
        ArrowType t = scalarType(typeOid, typmod, false);
        boolean special = t instanceof ArrowType.Decimal || t instanceof ArrowType.Date
                || t instanceof ArrowType.Timestamp || t instanceof ArrowType.Interval;
        return new ColumnMapping(typeOid, typmod, t, null, special, isLosslessMapping(typeOid));
    }

    /**
     * True if values of this type OID arrive in Arrow exactly and typed. False means the column is carried as text
     * (the doctor flags it); text is still the server's exact output.
     */
    public static boolean isLosslessMapping(int typeOid) {
        int element = PgType.elementOf(typeOid);
        return switch (element != 0 ? element : typeOid) {
            case PgType.BOOL, PgType.INT2, PgType.INT4, PgType.INT8, PgType.FLOAT4, PgType.FLOAT8, PgType.NUMERIC,
                    PgType.TEXT, PgType.VARCHAR, PgType.BPCHAR, PgType.NAME, PgType.CHAR, PgType.BYTEA, PgType.UUID,
                    PgType.DATE, PgType.TIME, PgType.TIMETZ, PgType.TIMESTAMP, PgType.TIMESTAMPTZ, PgType.INTERVAL,
                    PgType.JSON, PgType.JSONB, PgType.INET, PgType.CIDR -> true;
            default -> false;
        };
    }

    /** As {@link #isLosslessMapping(int)}, also accepting user types whose text is their value: enums ('e'). */
    public static boolean isLosslessMapping(int typeOid, char typtype) {
        return isLosslessMapping(typeOid) || typtype == 'e';
    }

    private static ArrowType scalarType(int oid, int typmod, boolean inArray) {
        switch (oid) {
            case PgType.BOOL:
                return ArrowType.Bool.INSTANCE;
            case PgType.INT2:
                return new ArrowType.Int(16, true);
            case PgType.INT4:
                return new ArrowType.Int(32, true);
            case PgType.INT8:
                return new ArrowType.Int(64, true);
            case PgType.FLOAT4:
                return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case PgType.FLOAT8:
                return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case PgType.NUMERIC: {
                if (!inArray && typmod >= 4) {
                    int p = ((typmod - 4) >> 16) & 0xffff;
                    int s = (short) ((typmod - 4) & 0xffff); // PG 15+ allows negative scales
                    if (p >= 1 && p <= 38 && s >= 0 && s <= p) {
                        return new ArrowType.Decimal(p, s, 128);
                    }
                }
                return ArrowType.Utf8.INSTANCE;
            }
            case PgType.BYTEA:
                return ArrowType.Binary.INSTANCE;
            case PgType.UUID:
                return new ArrowType.FixedSizeBinary(16);
            case PgType.DATE:
                return inArray ? ArrowType.Utf8.INSTANCE : new ArrowType.Date(DateUnit.DAY);
            case PgType.TIME:
                return new ArrowType.Time(TimeUnit.MICROSECOND, 64);
            case PgType.TIMETZ:
                return ArrowType.Struct.INSTANCE;
            case PgType.TIMESTAMP:
                return inArray ? ArrowType.Utf8.INSTANCE : new ArrowType.Timestamp(TimeUnit.MICROSECOND, null);
            case PgType.TIMESTAMPTZ:
                return inArray ? ArrowType.Utf8.INSTANCE : new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
            case PgType.INTERVAL:
                // PostgreSQL 17 has ±infinity intervals; elements have no companion column, so arrays keep text.
                return inArray ? ArrowType.Utf8.INSTANCE : new ArrowType.Interval(IntervalUnit.MONTH_DAY_NANO);
            default:
                return ArrowType.Utf8.INSTANCE;
        }
    }

    private static List<Field> childrenOf(int oid, ArrowType t) {
        if (oid == PgType.TIMETZ && t instanceof ArrowType.Struct) {
            return List.of(new Field(TIMETZ_TIME, FieldType.nullable(new ArrowType.Time(TimeUnit.MICROSECOND, 64)), null),
                    new Field(TIMETZ_OFFSET, FieldType.nullable(new ArrowType.Int(32, true)), null));
        }
        return null;
    }

    public int typeOid() {
        return typeOid;
    }

    public int typmod() {
        return typmod;
    }

    /** True if this column gets a companion int8 column of {@link SpecialValue} codes. */
    public boolean hasSpecialValues() {
        return hasSpecial;
    }

    public boolean lossless() {
        return lossless;
    }

    /**
     * True if the snapshot may read this column in binary format ({@link ValueWriter#writeBinary}): scalar types
     * whose binary form maps to the same Arrow value as their text output. Everything else (arrays, enums, inet,
     * "char", unconstrained numeric, user types) is read as the text of its output function.
     */
    public boolean readsBinary() {
        if (elementField != null) {
            return false;
        }
        return switch (typeOid) {
            case PgType.BOOL, PgType.INT2, PgType.INT4, PgType.INT8, PgType.FLOAT4, PgType.FLOAT8, PgType.TEXT,
                    PgType.VARCHAR, PgType.BPCHAR, PgType.NAME, PgType.BYTEA, PgType.UUID, PgType.DATE, PgType.TIME,
                    PgType.TIMETZ, PgType.TIMESTAMP, PgType.TIMESTAMPTZ, PgType.INTERVAL, PgType.JSON,
                    PgType.JSONB -> true;
            case PgType.NUMERIC -> arrowType instanceof ArrowType.Decimal;
            default -> false;
        };
    }

    /** The Arrow field for a column of this type named {@code name}; nullable (pgoutput does not say NOT NULL). */
    public Field field(String name) {
        Map<String, String> meta = new HashMap<>();
        meta.put(META_TYPE_OID, Integer.toString(typeOid));
        meta.put(META_TYPMOD, Integer.toString(typmod));
        meta.put(META_TYPE, PgType.name(typeOid));
        FieldType ft = new FieldType(true, arrowType, null, meta);
        List<Field> children = elementField != null ? List.of(elementField) : childrenOf(typeOid, arrowType);
        return new Field(name, ft, children);
    }

    /** The companion field for {@link SpecialValue} codes of column {@code name}. */
    public static Field specialField(String name) {
        return new Field(name + SPECIAL_SUFFIX, FieldType.nullable(new ArrowType.Int(8, true)), null);
    }

    /** A writer for {@code vector} (created from {@link #field}); {@code special} is the companion vector or null. */
    public ValueWriter writer(FieldVector vector, TinyIntVector special) {
        if (elementField != null) {
            ListVector list = (ListVector) vector;
            return new ArrayWriter(list, scalarWriter(PgType.elementOf(typeOid), (FieldVector) list.getDataVector(),
                    null));
        }
        return scalarWriter(typeOid, vector, special);
    }

    private static ValueWriter scalarWriter(int oid, FieldVector v, TinyIntVector special) {
        if (v instanceof VarCharVector text) {
            // jsonb's binary form is a version byte (1) before the same text jsonb_out prints
            return new TextWriter(text, oid == PgType.JSONB ? 1 : 0);
        }
        switch (oid) {
            case PgType.BOOL: {
                BitVector bv = (BitVector) v;
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        bv.setSafe(i, PgText.parseBool(b, off, len) ? 1 : 0);
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("bool", len, 1);
                        bv.setSafe(i, b[off] != 0 ? 1 : 0);
                    }
                };
            }
            case PgType.INT2: {
                SmallIntVector sv = (SmallIntVector) v;
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        long x = PgText.parseLong(b, off, len);
                        if (x != (short) x) {
                            throw new IllegalArgumentException("int2 out of range");
                        }
                        sv.setSafe(i, (short) x);
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("int2", len, 2);
                        sv.setSafe(i, PgBinary.int16(b, off));
                    }
                };
            }
            case PgType.INT4: {
                IntVector iv = (IntVector) v;
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        iv.setSafe(i, PgText.parseInt(b, off, len));
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("int4", len, 4);
                        iv.setSafe(i, PgBinary.int32(b, off));
                    }
                };
            }
            case PgType.INT8: {
                BigIntVector lv = (BigIntVector) v;
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        lv.setSafe(i, PgText.parseLong(b, off, len));
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("int8", len, 8);
                        lv.setSafe(i, PgBinary.int64(b, off));
                    }
                };
            }
            case PgType.FLOAT4: {
                Float4Vector fv = (Float4Vector) v;
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        fv.setSafe(i, PgText.parseFloat(b, off, len));
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("float4", len, 4);
                        fv.setSafe(i, Float.intBitsToFloat(PgBinary.int32(b, off)));
                    }
                };
            }
            case PgType.FLOAT8: {
                Float8Vector dv = (Float8Vector) v;
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        dv.setSafe(i, PgText.parseDouble(b, off, len));
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("float8", len, 8);
                        dv.setSafe(i, Double.longBitsToDouble(PgBinary.int64(b, off)));
                    }
                };
            }
            case PgType.NUMERIC:
                return new DecimalWriter((DecimalVector) v, special);
            case PgType.BYTEA: {
                VarBinaryVector bv = (VarBinaryVector) v;
                byte[][] scratch = new byte[1][];
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        int n = PgText.parseBytea(b, off, len, scratch);
                        bv.setSafe(i, scratch[0], 0, n);
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        bv.setSafe(i, b, off, len);
                    }
                };
            }
            case PgType.UUID: {
                FixedSizeBinaryVector uv = (FixedSizeBinaryVector) v;
                byte[] scratch = new byte[16];
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        PgText.parseUuid(b, off, len, scratch);
                        uv.setSafe(i, scratch);
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("uuid", len, 16);
                        System.arraycopy(b, off, scratch, 0, 16);
                        uv.setSafe(i, scratch);
                    }
                };
            }
            case PgType.DATE: {
                DateDayVector dv = (DateDayVector) v;
                return new SpecialAware(v, special) {
                    @Override
                    void writeValue(int i, byte[] b, int off, int len) {
                        dv.setSafe(i, Math.toIntExact(PgText.parseDate(b, off, len)));
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("date", len, 4);
                        int pgDays = PgBinary.int32(b, off);
                        SpecialValue s = PgBinary.dateSpecial(pgDays);
                        if (s != null) {
                            writeSpecial(i, s);
                            return;
                        }
                        dv.setSafe(i, Math.addExact(pgDays, PgBinary.PG_EPOCH_DAYS));
                        clearSpecial(i);
                    }
                };
            }
            case PgType.TIME: {
                TimeMicroVector tv = (TimeMicroVector) v;
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        tv.setSafe(i, PgText.parseTime(b, off, len));
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("time", len, 8);
                        tv.setSafe(i, PgBinary.int64(b, off));
                    }
                };
            }
            case PgType.TIMETZ: {
                StructVector sv = (StructVector) v;
                TimeMicroVector tv = sv.getChild(TIMETZ_TIME, TimeMicroVector.class);
                IntVector ov = sv.getChild(TIMETZ_OFFSET, IntVector.class);
                PgText.TimeTz tz = new PgText.TimeTz();
                return new Base(v) {
                    @Override
                    public void write(int i, byte[] b, int off, int len) {
                        PgText.parseTimeTz(b, off, len, tz);
                        sv.setIndexDefined(i);
                        tv.setSafe(i, tz.micros);
                        ov.setSafe(i, tz.offsetSeconds);
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("timetz", len, 12);
                        sv.setIndexDefined(i);
                        tv.setSafe(i, PgBinary.int64(b, off));
                        ov.setSafe(i, -PgBinary.int32(b, off + 8)); // sent as seconds west of UTC
                    }

                    @Override
                    public void writeNull(int i) {
                        sv.setNull(i);
                        tv.setNull(i);
                        ov.setNull(i);
                    }
                };
            }
            case PgType.TIMESTAMP: {
                TimeStampMicroVector tv = (TimeStampMicroVector) v;
                return new SpecialAware(v, special) {
                    @Override
                    void writeValue(int i, byte[] b, int off, int len) {
                        tv.setSafe(i, PgText.parseTimestamp(b, off, len));
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        writeTimestampBinary(tv, i, b, off, len);
                    }
                };
            }
            case PgType.TIMESTAMPTZ: {
                TimeStampMicroTZVector tv = (TimeStampMicroTZVector) v;
                return new SpecialAware(v, special) {
                    @Override
                    void writeValue(int i, byte[] b, int off, int len) {
                        tv.setSafe(i, PgText.parseTimestampTz(b, off, len));
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        writeTimestampBinary(tv, i, b, off, len);
                    }
                };
            }
            case PgType.INTERVAL: {
                IntervalMonthDayNanoVector iv = (IntervalMonthDayNanoVector) v;
                PgText.Interval out = new PgText.Interval();
                return new SpecialAware(v, special) {
                    @Override
                    void writeValue(int i, byte[] b, int off, int len) {
                        PgText.parseInterval(b, off, len, out);
                        iv.setSafe(i, out.months, out.days, out.nanos);
                    }

                    @Override
                    public void writeBinary(int i, byte[] b, int off, int len) {
                        PgBinary.expectLength("interval", len, 16);
                        long micros = PgBinary.int64(b, off);
                        int days = PgBinary.int32(b, off + 8);
                        int months = PgBinary.int32(b, off + 12);
                        SpecialValue s = PgBinary.intervalSpecial(micros, days, months);
                        if (s != null) {
                            writeSpecial(i, s);
                            return;
                        }
                        iv.setSafe(i, months, days, Math.multiplyExact(micros, 1000L));
                        clearSpecial(i);
                    }
                };
            }
            default:
                throw new IllegalStateException("no writer for " + PgType.name(oid) + " into " + v.getField());
        }
    }

    private abstract static class Base implements ValueWriter {
        final FieldVector vector;

        Base(FieldVector vector) {
            this.vector = vector;
        }

        @Override
        public void writeNull(int index) {
            vector.setNull(index);
        }
    }

    private static final class TextWriter extends Base {
        private final VarCharVector v;
        private final int binaryPrefix;

        TextWriter(VarCharVector v, int binaryPrefix) {
            super(v);
            this.v = v;
            this.binaryPrefix = binaryPrefix;
        }

        @Override
        public void write(int i, byte[] b, int off, int len) {
            v.setSafe(i, b, off, len);
        }

        @Override
        public void writeBinary(int i, byte[] b, int off, int len) {
            if (binaryPrefix > 0 && (len < binaryPrefix || b[off] != 1)) {
                throw new IllegalArgumentException("unknown jsonb binary version in column " + v.getField().getName());
            }
            v.setSafe(i, b, off + binaryPrefix, len - binaryPrefix);
        }
    }

    /** Writers for types with ±infinity (and NaN): those go to the companion column, the value slot stays null. */
    private abstract static class SpecialAware extends Base {
        private final TinyIntVector special;

        SpecialAware(FieldVector v, TinyIntVector special) {
            super(v);
            this.special = special;
        }

        abstract void writeValue(int i, byte[] b, int off, int len);

        final void writeSpecial(int i, SpecialValue s) {
            if (special == null) {
                throw new IllegalStateException("no companion column for " + vector.getField().getName());
            }
            vector.setNull(i);
            special.setSafe(i, s.code);
        }

        final void clearSpecial(int i) {
            if (special != null) {
                special.setNull(i);
            }
        }

        final void writeTimestampBinary(TimeStampVector tv, int i, byte[] b, int off, int len) {
            PgBinary.expectLength("timestamp", len, 8);
            long pgMicros = PgBinary.int64(b, off);
            SpecialValue s = PgBinary.timestampSpecial(pgMicros);
            if (s != null) {
                writeSpecial(i, s);
                return;
            }
            if (pgMicros > Long.MAX_VALUE - PgBinary.PG_EPOCH_MICROS) {
                writeSpecial(i, SpecialValue.BEYOND_RANGE); // the sink's value policy decides, as for ±infinity
                return;
            }
            tv.setSafe(i, pgMicros + PgBinary.PG_EPOCH_MICROS);
            clearSpecial(i);
        }

        @Override
        public final void write(int i, byte[] b, int off, int len) {
            // Digits start every ordinary value; only specials start with a letter or a sign.
            byte c = len > 0 ? b[off] : 0;
            if (c < '0' || c > '9') {
                SpecialValue s = PgText.special(b, off, len);
                if (s != null) {
                    writeSpecial(i, s);
                    return;
                }
            }
            try {
                writeValue(i, b, off, len);
            } catch (PgText.BeyondRange e) {
                writeSpecial(i, SpecialValue.BEYOND_RANGE); // the sink's value policy decides, as for ±infinity
                return;
            }
            clearSpecial(i);
        }

        @Override
        public void writeNull(int index) {
            super.writeNull(index);
            if (special != null) {
                special.setNull(index);
            }
        }
    }

    private static final class DecimalWriter extends SpecialAware {
        private final DecimalVector dv;
        private final int scale;
        private final java.math.BigDecimal[] big = new java.math.BigDecimal[1];

        DecimalWriter(DecimalVector dv, TinyIntVector special) {
            super(dv, special);
            this.dv = dv;
            this.scale = dv.getScale();
        }

        @Override
        void writeValue(int i, byte[] b, int off, int len) {
            // PostgreSQL prints numeric(p,s) with exactly s fraction digits; up to 18 digits fit a long.
            int end = off + len;
            int p = off;
            boolean neg = false;
            if (p < end && (b[p] == '-' || b[p] == '+')) {
                neg = b[p] == '-';
                p++;
            }
            long unscaled = 0;
            int digits = 0;
            int fraction = -1;
            for (; p < end; p++) {
                byte c = b[p];
                if (c == '.' && fraction < 0) {
                    fraction = 0;
                    continue;
                }
                if (c < '0' || c > '9') {
                    fraction = -2;
                    break;
                }
                unscaled = unscaled * 10 + (c - '0');
                digits++;
                if (fraction >= 0) {
                    fraction++;
                }
            }
            if (fraction == -2 || digits > 18 || Math.max(fraction, 0) != scale) {
                String text = new String(b, off, len, java.nio.charset.StandardCharsets.ISO_8859_1);
                dv.setSafe(i, new java.math.BigDecimal(text).setScale(scale, java.math.RoundingMode.UNNECESSARY));
                return;
            }
            dv.setSafe(i, neg ? -unscaled : unscaled);
        }

        @Override
        public void writeBinary(int i, byte[] b, int off, int len) {
            SpecialValue s = PgBinary.numericSpecial(b, off, len);
            if (s != null) {
                writeSpecial(i, s);
                return;
            }
            long unscaled = PgBinary.numericUnscaled(b, off, len, scale, big);
            if (big[0] != null) {
                dv.setSafe(i, big[0]);
            } else {
                dv.setSafe(i, unscaled);
            }
            clearSpecial(i);
        }
    }

    /** One-dimensional array text "{a,"b c",NULL}" → list of elements written by the element writer. */
    private static final class ArrayWriter extends Base {
        private final ListVector list;
        private final ValueWriter element;
        private byte[] scratch = new byte[64];

        ArrayWriter(ListVector list, ValueWriter element) {
            super(list);
            this.list = list;
            this.element = element;
        }

        @Override
        public void write(int i, byte[] b, int off, int len) {
            int end = off + len;
            if (len < 2 || b[off] != '{' || b[end - 1] != '}') {
                throw new IllegalArgumentException("array value in column " + list.getField().getName()
                        + " is multi-dimensional or has explicit bounds; etl-stream maps one-dimensional arrays only:"
                        + " change the column or leave the table out of the publication");
            }
            int start = list.startNewValue(i);
            int n = 0;
            int p = off + 1;
            int last = end - 1;
            if (p == last) {
                list.endValue(i, 0);
                return;
            }
            while (p <= last) {
                byte c = b[p];
                if (c == '{') {
                    throw new IllegalArgumentException("array value in column " + list.getField().getName()
                            + " is multi-dimensional; etl-stream maps one-dimensional arrays only:"
                            + " change the column or leave the table out of the publication");
                }
                if (c == '"') {
                    int k = 0;
                    p++;
                    while (p < last && b[p] != '"') {
                        if (b[p] == '\\') {
                            p++;
                        }
                        if (k == scratch.length) {
                            scratch = java.util.Arrays.copyOf(scratch, k * 2);
                        }
                        scratch[k++] = b[p++];
                    }
                    p++; // closing quote
                    element.write(start + n, scratch, 0, k);
                } else {
                    int s = p;
                    while (p < last && b[p] != ',') {
                        p++;
                    }
                    int l = p - s;
                    if (l == 4 && (b[s] == 'N' || b[s] == 'n') && (b[s + 1] | 0x20) == 'u' && (b[s + 2] | 0x20) == 'l'
                            && (b[s + 3] | 0x20) == 'l') {
                        element.writeNull(start + n);
                    } else {
                        element.write(start + n, b, s, l);
                    }
                }
                n++;
                p++; // the delimiter, or past the closing brace
            }
            list.endValue(i, n);
        }
    }
}
