package io.etlstream.source.pg.types;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * Readers for PostgreSQL's binary send format ({@code COPY ... (FORMAT binary)}), giving exactly what
 * {@link PgText} gives for the text output of the same value: epoch-based days and microseconds, the same
 * {@link SpecialValue}s for ±infinity and NaN.
 */
public final class PgBinary {

    /** Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
    public static final int PG_EPOCH_DAYS = 10_957;
    /** Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
    public static final long PG_EPOCH_MICROS = PG_EPOCH_DAYS * PgText.MICROS_PER_DAY;

    private static final int NUMERIC_NEG = 0x4000;
    private static final int NUMERIC_NAN = 0xC000;
    private static final int NUMERIC_PINF = 0xD000;
    private static final int NUMERIC_NINF = 0xF000;
    private static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    private PgBinary() {
    }

    /** Thrown for a value whose length does not fit its type. */
    public static final class BadBinaryValueException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadBinaryValueException(String type, int len) {
            super("cannot read a PostgreSQL " + type + " value of " + len + " bytes in binary format");
        }
    }

    // Plain shifts rather than a byte-array VarHandle: the first snapshot runs these in the interpreter, where a
    // VarHandle call goes through several method-handle frames and makes the JIT compile their machinery too.
    public static short int16(byte[] b, int off) {
        return (short) ((b[off] << 8) | (b[off + 1] & 0xff));
    }

    public static int int32(byte[] b, int off) {
        return (b[off] << 24) | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    public static long int64(byte[] b, int off) {
        return (long) int32(b, off) << 32 | (int32(b, off + 4) & 0xffffffffL);
    }

    static void expectLength(String type, int len, int expected) {
        if (len != expected) {
            throw new BadBinaryValueException(type, len);
        }
    }

    /** date: days since 2000-01-01; ±infinity are the int extremes. Returns null for a finite date. */
    static SpecialValue dateSpecial(int pgDays) {
        return pgDays == Integer.MAX_VALUE ? SpecialValue.POSITIVE_INFINITY
                : pgDays == Integer.MIN_VALUE ? SpecialValue.NEGATIVE_INFINITY : null;
    }

    /** timestamp[tz]: microseconds since 2000-01-01; ±infinity are the long extremes. */
    static SpecialValue timestampSpecial(long pgMicros) {
        return pgMicros == Long.MAX_VALUE ? SpecialValue.POSITIVE_INFINITY
                : pgMicros == Long.MIN_VALUE ? SpecialValue.NEGATIVE_INFINITY : null;
    }

    /** interval (PostgreSQL 17+): ±infinity have every field at its extreme. */
    static SpecialValue intervalSpecial(long micros, int days, int months) {
        if (micros == Long.MAX_VALUE && days == Integer.MAX_VALUE && months == Integer.MAX_VALUE) {
            return SpecialValue.POSITIVE_INFINITY;
        }
        if (micros == Long.MIN_VALUE && days == Integer.MIN_VALUE && months == Integer.MIN_VALUE) {
            return SpecialValue.NEGATIVE_INFINITY;
        }
        return null;
    }

    /** numeric: NaN or ±Infinity from the sign word, else null. */
    static SpecialValue numericSpecial(byte[] b, int off, int len) {
        if (len < 8) {
            throw new BadBinaryValueException("numeric", len);
        }
        int sign = int16(b, off + 4) & 0xffff;
        return switch (sign) {
            case NUMERIC_NAN -> SpecialValue.NAN;
            case NUMERIC_PINF -> SpecialValue.POSITIVE_INFINITY;
            case NUMERIC_NINF -> SpecialValue.NEGATIVE_INFINITY;
            default -> null;
        };
    }

    /**
     * A finite numeric as its unscaled value at {@code scale}: base-10000 digits, weight of the first digit, sign.
     * Returns the unscaled long when it fits, otherwise stores a BigDecimal in {@code big[0]} and returns 0.
     *
     * @throws ArithmeticException if the value has more fraction digits than {@code scale} (as the text path does)
     */
    static long numericUnscaled(byte[] b, int off, int len, int scale, BigDecimal[] big) {
        int ndigits = int16(b, off) & 0xffff;
        int weight = int16(b, off + 2);
        int sign = int16(b, off + 4) & 0xffff;
        if (len != 8 + 2 * ndigits) {
            throw new BadBinaryValueException("numeric", len);
        }
        boolean neg = sign == NUMERIC_NEG;
        big[0] = null;
        // value = digits (as one base-10000 integer) * 10^exp10
        int exp10 = 4 * (weight - ndigits + 1);
        int shift = scale + exp10;
        if (ndigits <= 4 && shift >= -4 && shift <= 2) {
            long v = 0;
            for (int i = 0; i < ndigits; i++) {
                v = v * 10_000 + int16(b, off + 8 + 2 * i);
            }
            if (shift >= 0) {
                v *= POW10[shift];
            } else {
                // constant divisors: the JIT turns them into multiplications (a long division costs ~40 cycles)
                long q = switch (shift) {
                    case -1 -> v / 10;
                    case -2 -> v / 100;
                    case -3 -> v / 1_000;
                    default -> v / 10_000;
                };
                if (q * POW10[-shift] != v) {
                    throw new ArithmeticException("numeric value has more than " + scale + " fraction digits");
                }
                v = q;
            }
            return neg ? -v : v;
        }
        BigInteger digits = BigInteger.ZERO;
        BigInteger tenThousand = BigInteger.valueOf(10_000);
        for (int i = 0; i < ndigits; i++) {
            digits = digits.multiply(tenThousand).add(BigInteger.valueOf(int16(b, off + 8 + 2 * i)));
        }
        BigDecimal v = new BigDecimal(neg ? digits.negate() : digits, -exp10).setScale(scale, RoundingMode.UNNECESSARY);
        BigInteger unscaled = v.unscaledValue();
        if (unscaled.bitLength() < 64) {
            return unscaled.longValue();
        }
        big[0] = v;
        return 0;
    }
}
