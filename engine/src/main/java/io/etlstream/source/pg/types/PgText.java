package io.etlstream.source.pg.types;

import java.nio.charset.StandardCharsets;

/**
 * Parsers for PostgreSQL's text output format, straight from UTF-8 bytes without a String per value where the
 * format allows. Dates and times expect {@code DateStyle = ISO} (pgjdbc and the snapshot's COPY both use it),
 * intervals {@code IntervalStyle = postgres} or {@code iso_8601}.
 */
public final class PgText {

    public static final long MICROS_PER_SECOND = 1_000_000L;
    public static final long MICROS_PER_DAY = 86_400L * MICROS_PER_SECOND;

    private PgText() {
    }

    /** Thrown for text that does not have the expected format; the message names the value's type. */
    public static final class BadValueException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadValueException(String type, byte[] b, int off, int len) {
            // The value itself is not included: row values can be sensitive.
            super("cannot read a PostgreSQL " + type + " value of " + len + " bytes"
                    + (len > 0 ? " starting with '" + (char) b[off] + "'" : "")
                    + "; the walsender/COPY session must use DateStyle=ISO and IntervalStyle=postgres");
        }
    }

    public static boolean parseBool(byte[] b, int off, int len) {
        if (len == 1 && b[off] == 't') {
            return true;
        }
        if (len == 1 && b[off] == 'f') {
            return false;
        }
        throw new BadValueException("bool", b, off, len);
    }

    public static long parseLong(byte[] b, int off, int len) {
        if (len == 0) {
            throw new BadValueException("integer", b, off, len);
        }
        int i = off;
        int end = off + len;
        boolean neg = false;
        if (b[i] == '-') {
            neg = true;
            i++;
        } else if (b[i] == '+') {
            i++;
        }
        if (i == end || end - i > 19) {
            throw new BadValueException("integer", b, off, len);
        }
        // Accumulate negatively so Long.MIN_VALUE parses without overflow.
        long v = 0;
        for (; i < end; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                throw new BadValueException("integer", b, off, len);
            }
            long next = v * 10 - d;
            if (v < Long.MIN_VALUE / 10 || next > v) {
                throw new BadValueException("integer", b, off, len);
            }
            v = next;
        }
        if (!neg) {
            if (v == Long.MIN_VALUE) {
                throw new BadValueException("integer", b, off, len);
            }
            return -v;
        }
        return v;
    }

    public static int parseInt(byte[] b, int off, int len) {
        long v = parseLong(b, off, len);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new BadValueException("int4", b, off, len);
        }
        return (int) v;
    }

    private static final double[] POW10 = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
        1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

    public static double parseDouble(byte[] b, int off, int len) {
        // Exact fast path (Clinger): up to 15 significant digits and a power of ten up to 22 are both exact
        // doubles, so one division or multiplication rounds correctly.
        int end = off + len;
        int p = off;
        boolean neg = false;
        if (p < end && b[p] == '-') {
            neg = true;
            p++;
        }
        long mant = 0;
        int digits = 0;
        int scale = 0;
        boolean dot = false;
        boolean simple = p < end;
        for (; p < end; p++) {
            byte c = b[p];
            if (c >= '0' && c <= '9') {
                if (mant != 0 || c != '0') {
                    digits++;
                }
                mant = mant * 10 + (c - '0');
                if (dot) {
                    scale++;
                }
                if (digits > 15) {
                    simple = false;
                    break;
                }
            } else if (c == '.' && !dot) {
                dot = true;
            } else {
                simple = false;
                break;
            }
        }
        if (simple && scale <= 22 && !(neg && mant == 0)) {
            double v = scale == 0 ? mant : mant / POW10[scale];
            return neg ? -v : v;
        }
        // NaN, Infinity and -Infinity are spelled the same in PostgreSQL and Java.
        return Double.parseDouble(new String(b, off, len, StandardCharsets.ISO_8859_1));
    }

    public static float parseFloat(byte[] b, int off, int len) {
        return Float.parseFloat(new String(b, off, len, StandardCharsets.ISO_8859_1));
    }

    /** Returns the special value spelled by this text, or null: 'NaN', 'Infinity'/'infinity', '-Infinity'/'-infinity'. */
    public static SpecialValue special(byte[] b, int off, int len) {
        if (len == 0) {
            return null;
        }
        byte c = b[off];
        if (c != 'N' && c != 'I' && c != 'i' && c != '-' && c != '+') {
            return null;
        }
        String s = new String(b, off, len, StandardCharsets.ISO_8859_1);
        switch (s) {
            case "NaN":
                return SpecialValue.NAN;
            case "Infinity":
            case "infinity":
            case "+infinity":
            case "+Infinity":
                return SpecialValue.POSITIVE_INFINITY;
            case "-Infinity":
            case "-infinity":
                return SpecialValue.NEGATIVE_INFINITY;
            default:
                return null;
        }
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (astronomical year numbering: 1 BC = year 0). */
    public static long epochDay(long year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yoe = y - era * 400;
        long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    /** Cursor over one value's bytes, for the date/time parsers. */
    static final class Cursor {
        final byte[] b;
        final int start;
        final int end;
        final String type;
        int pos;

        Cursor(byte[] b, int off, int len, String type) {
            this.b = b;
            this.start = off;
            this.pos = off;
            this.end = off + len;
            this.type = type;
        }

        BadValueException bad() {
            return new BadValueException(type, b, start, end - start);
        }

        boolean atEnd() {
            return pos >= end;
        }

        byte peek() {
            return pos < end ? b[pos] : 0;
        }

        void expect(char c) {
            if (pos >= end || b[pos] != c) {
                throw bad();
            }
            pos++;
        }

        long digits(int min, int max) {
            int s = pos;
            long v = 0;
            while (pos < end && b[pos] >= '0' && b[pos] <= '9' && pos - s < max) {
                v = v * 10 + (b[pos] - '0');
                pos++;
            }
            if (pos - s < min) {
                throw bad();
            }
            return v;
        }

        /** Optional ".ffffff" → microseconds (up to 6 digits; PostgreSQL never prints more). */
        long fractionMicros() {
            if (peek() != '.') {
                return 0;
            }
            pos++;
            int s = pos;
            long v = 0;
            while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
                if (pos - s < 6) {
                    v = v * 10 + (b[pos] - '0');
                } else if (b[pos] != '0') {
                    throw bad();
                }
                pos++;
            }
            int n = Math.min(pos - s, 6);
            if (n == 0) {
                throw bad();
            }
            for (int i = n; i < 6; i++) {
                v *= 10;
            }
            return v;
        }

        boolean suffixBc() {
            if (end - pos == 3 && b[pos] == ' ' && b[pos + 1] == 'B' && b[pos + 2] == 'C') {
                pos += 3;
                return true;
            }
            return false;
        }
    }

    /** ISO date "YYYY-MM-DD[ BC]" → epoch day. Infinity must be checked by the caller. */
    public static long parseDate(byte[] b, int off, int len) {
        Cursor c = new Cursor(b, off, len, "date");
        long days = date(c);
        c.suffixBc();
        if (!c.atEnd()) {
            throw c.bad();
        }
        return days;
    }

    private static long date(Cursor c) {
        long year = c.digits(4, 9);
        c.expect('-');
        int month = (int) c.digits(2, 2);
        c.expect('-');
        int day = (int) c.digits(2, 2);
        if (month < 1 || month > 12 || day < 1 || day > 31) {
            throw c.bad();
        }
        // " BC" ends the whole value; look ahead so that the caller's remaining parse is unaffected.
        if (c.end - 3 >= c.pos && c.b[c.end - 3] == ' ' && c.b[c.end - 2] == 'B' && c.b[c.end - 1] == 'C') {
            year = 1 - year;
        }
        return epochDay(year, month, day);
    }

    private static long timeOfDay(Cursor c) {
        long h = c.digits(2, 2);
        c.expect(':');
        long m = c.digits(2, 2);
        c.expect(':');
        long s = c.digits(2, 2);
        long micros = ((h * 60 + m) * 60 + s) * MICROS_PER_SECOND + c.fractionMicros();
        if (m > 59 || s > 60 || micros > MICROS_PER_DAY) {
            throw c.bad();
        }
        return micros;
    }

    /** "+HH[:MM[:SS]]" or "-..." → seconds east of UTC. */
    private static int offsetSeconds(Cursor c) {
        byte sign = c.peek();
        if (sign != '+' && sign != '-') {
            throw c.bad();
        }
        c.pos++;
        long secs = c.digits(2, 2) * 3600;
        if (c.peek() == ':') {
            c.pos++;
            secs += c.digits(2, 2) * 60;
            if (c.peek() == ':') {
                c.pos++;
                secs += c.digits(2, 2);
            }
        }
        return (int) (sign == '-' ? -secs : secs);
    }

    /** "HH:MM:SS[.ffffff]" → microseconds since midnight (24:00:00 allowed). */
    public static long parseTime(byte[] b, int off, int len) {
        Cursor c = new Cursor(b, off, len, "time");
        long v = timeOfDay(c);
        if (!c.atEnd()) {
            throw c.bad();
        }
        return v;
    }

    /** Result holder for timetz: time of day in microseconds and the zone offset in seconds east of UTC. */
    public static final class TimeTz {
        public long micros;
        public int offsetSeconds;
    }

    public static void parseTimeTz(byte[] b, int off, int len, TimeTz out) {
        Cursor c = new Cursor(b, off, len, "timetz");
        out.micros = timeOfDay(c);
        out.offsetSeconds = offsetSeconds(c);
        if (!c.atEnd()) {
            throw c.bad();
        }
    }

    /** "YYYY-MM-DD HH:MM:SS[.ffffff][ BC]" → microseconds since 1970-01-01 00:00 (no zone). */
    public static long parseTimestamp(byte[] b, int off, int len) {
        Cursor c = new Cursor(b, off, len, "timestamp");
        long days = date(c);
        c.expect(' ');
        long micros = timeOfDay(c);
        c.suffixBc();
        if (!c.atEnd()) {
            throw c.bad();
        }
        return epochMicros(c, days, micros, 0);
    }

    /** Arrow's microseconds since 1970 end in 294247 AD; PostgreSQL's timestamps go to 294276 AD. */
    private static long epochMicros(Cursor c, long days, long micros, int offsetSeconds) {
        try {
            return Math.subtractExact(Math.addExact(Math.multiplyExact(days, MICROS_PER_DAY), micros),
                    offsetSeconds * MICROS_PER_SECOND);
        } catch (ArithmeticException e) {
            throw outOfRange(c.type);
        }
    }

    // Caught where values are written (they become SpecialValue.BEYOND_RANGE): no user reads this message.
    static BeyondRange outOfRange(String type) {
        return new BeyondRange(type + " after 294247-01-10 AD");
    }

    /** A valid PostgreSQL timestamp after 294247-01-10 AD: Arrow's microseconds since 1970 cannot hold it. */
    public static final class BeyondRange extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BeyondRange(String message) {
            super(message);
        }
    }

    /** "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]][ BC]" → microseconds since the Unix epoch, UTC. */
    public static long parseTimestampTz(byte[] b, int off, int len) {
        Cursor c = new Cursor(b, off, len, "timestamptz");
        long days = date(c);
        c.expect(' ');
        long micros = timeOfDay(c);
        int offset = offsetSeconds(c);
        c.suffixBc();
        if (!c.atEnd()) {
            throw c.bad();
        }
        return epochMicros(c, days, micros, offset);
    }

    /** Result holder for interval: Arrow's month-day-nano triple. */
    public static final class Interval {
        public int months;
        public int days;
        public long nanos;
    }

    /**
     * Interval in IntervalStyle {@code postgres} ("1 year -2 mons +3 days -04:05:06.5") or {@code iso_8601}
     * ("P1Y-2M3DT-4H-5M-6.5S").
     */
    public static void parseInterval(byte[] b, int off, int len, Interval out) {
        Cursor c = new Cursor(b, off, len, "interval");
        long months = 0;
        long days = 0;
        long micros = 0;
        if (c.peek() == 'P') {
            c.pos++;
            boolean inTime = false;
            while (!c.atEnd()) {
                if (c.peek() == 'T') {
                    c.pos++;
                    inTime = true;
                    continue;
                }
                boolean neg = sign(c);
                long n = c.digits(1, 18);
                long frac = c.fractionMicros();
                byte unit = c.peek();
                c.pos++;
                long sgn = neg ? -1 : 1;
                if (!inTime && unit == 'Y' && frac == 0) {
                    months += sgn * n * 12;
                } else if (!inTime && unit == 'M' && frac == 0) {
                    months += sgn * n;
                } else if (!inTime && unit == 'W' && frac == 0) {
                    days += sgn * n * 7;
                } else if (!inTime && unit == 'D' && frac == 0) {
                    days += sgn * n;
                } else if (inTime && unit == 'H' && frac == 0) {
                    micros += sgn * n * 3600 * MICROS_PER_SECOND;
                } else if (inTime && unit == 'M' && frac == 0) {
                    micros += sgn * n * 60 * MICROS_PER_SECOND;
                } else if (inTime && unit == 'S') {
                    micros += sgn * (n * MICROS_PER_SECOND + frac);
                } else {
                    throw c.bad();
                }
            }
        } else {
            while (!c.atEnd()) {
                if (c.peek() == ' ') {
                    c.pos++;
                    continue;
                }
                boolean neg = sign(c);
                int numStart = c.pos;
                long n = c.digits(1, 18);
                if (c.peek() == ':') {
                    // [-]HH:MM:SS[.f], hours may exceed 24 and have more than two digits
                    c.pos++;
                    long m = c.digits(2, 2);
                    c.expect(':');
                    long s = c.digits(2, 2);
                    long t = ((n * 60 + m) * 60 + s) * MICROS_PER_SECOND + c.fractionMicros();
                    micros += neg ? -t : t;
                    continue;
                }
                if (c.pos == numStart) {
                    throw c.bad();
                }
                c.expect(' ');
                int u = c.pos;
                while (!c.atEnd() && c.peek() != ' ') {
                    c.pos++;
                }
                String unit = new String(b, u, c.pos - u, StandardCharsets.US_ASCII);
                long v = neg ? -n : n;
                switch (unit) {
                    case "year", "years" -> months += v * 12;
                    case "mon", "mons" -> months += v;
                    case "day", "days" -> days += v;
                    default -> throw c.bad();
                }
            }
        }
        if (months != (int) months || days != (int) days) {
            throw c.bad();
        }
        out.months = (int) months;
        out.days = (int) days;
        out.nanos = Math.multiplyExact(micros, 1000L);
    }

    private static boolean sign(Cursor c) {
        byte s = c.peek();
        if (s == '-') {
            c.pos++;
            return true;
        }
        if (s == '+') {
            c.pos++;
        }
        return false;
    }

    /** UUID text (8-4-4-4-12 hex) → 16 bytes into {@code out}. */
    public static void parseUuid(byte[] b, int off, int len, byte[] out) {
        int j = 0;
        int hi = -1;
        for (int i = off; i < off + len; i++) {
            byte ch = b[i];
            if (ch == '-') {
                continue;
            }
            int d = Character.digit(ch, 16);
            if (d < 0 || j >= 16) {
                throw new BadValueException("uuid", b, off, len);
            }
            if (hi < 0) {
                hi = d;
            } else {
                out[j++] = (byte) (hi << 4 | d);
                hi = -1;
            }
        }
        if (j != 16 || hi >= 0) {
            throw new BadValueException("uuid", b, off, len);
        }
    }

    /**
     * bytea text ("\x0a1b" hex output, or the legacy escape output) → bytes in {@code out}, which is grown as
     * needed; returns the number of bytes.
     */
    public static int parseBytea(byte[] b, int off, int len, byte[][] out) {
        if (len >= 2 && b[off] == '\\' && b[off + 1] == 'x') {
            int n = (len - 2) / 2;
            if ((len & 1) != 0) {
                throw new BadValueException("bytea", b, off, len);
            }
            byte[] dst = ensure(out, n);
            for (int i = 0; i < n; i++) {
                int h = Character.digit(b[off + 2 + 2 * i], 16);
                int l = Character.digit(b[off + 3 + 2 * i], 16);
                if (h < 0 || l < 0) {
                    throw new BadValueException("bytea", b, off, len);
                }
                dst[i] = (byte) (h << 4 | l);
            }
            return n;
        }
        byte[] dst = ensure(out, len);
        int n = 0;
        int end = off + len;
        for (int i = off; i < end; i++) {
            byte ch = b[i];
            if (ch != '\\') {
                dst[n++] = ch;
            } else if (i + 1 < end && b[i + 1] == '\\') {
                dst[n++] = '\\';
                i++;
            } else if (i + 3 < end) {
                dst[n++] = (byte) ((b[i + 1] - '0') << 6 | (b[i + 2] - '0') << 3 | (b[i + 3] - '0'));
                i += 3;
            } else {
                throw new BadValueException("bytea", b, off, len);
            }
        }
        return n;
    }

    static byte[] ensure(byte[][] holder, int n) {
        if (holder[0] == null || holder[0].length < n) {
            holder[0] = new byte[Math.max(n, 64)];
        }
        return holder[0];
    }
}
