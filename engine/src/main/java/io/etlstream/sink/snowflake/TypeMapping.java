package io.etlstream.sink.snowflake;

import io.etlstream.sink.snowflake.SnowflakeType.Kind;
import io.etlstream.source.pg.types.PgType;
import java.util.Optional;

/**
 * PostgreSQL column type (oid + typmod, as in a Relation message) → Snowflake column type. Pure.
 *
 * <p>The doctor's per-column findings come from {@link #mapWithFinding}: one source of truth for what a column
 * becomes. Choices: values are never silently rounded or cut. {@code numeric(p,s)} maps to {@code NUMBER(p,s)} when
 * p ≤ 38; a wider numeric becomes VARCHAR (exact text) and is flagged for the doctor. An unconstrained
 * {@code numeric} maps to NUMBER(38,9) with a warning: a value that does not fit exactly is refused at write time
 * (the table's unrepresentable-value policy), not rounded. jsonb/json become VARIANT, arrays ARRAY, timestamptz
 * TIMESTAMP_TZ, timestamp TIMESTAMP_NTZ, bytea BINARY; uuid, inet, enum, interval (ISO 8601) and every other type
 * Snowflake has no equal for become VARCHAR.
 */
public final class TypeMapping {

    /** Unconstrained numeric: 38 digits with 9 after the point (29 before). */
    public static final SnowflakeType UNCONSTRAINED_NUMERIC = SnowflakeType.number(38, 9);

    private TypeMapping() {}

    /**
     * A mapped column, with a finding for the doctor when the mapping needs the user's attention: what will happen
     * to the values, and ({@code betterSourceType}) a PostgreSQL type for the column that would map without it.
     */
    public record Mapped(SnowflakeType type, Optional<String> finding, Optional<String> betterSourceType) {
        Mapped(SnowflakeType type, Optional<String> finding) {
            this(type, finding, Optional.empty());
        }
    }

    public static SnowflakeType map(int typeOid, int typmod) {
        return mapWithFinding(typeOid, typmod).type();
    }

    public static Mapped mapWithFinding(int typeOid, int typmod) {
        switch (typeOid) {
            case 16: return ok(SnowflakeType.of(Kind.BOOLEAN));
            case 21: return ok(SnowflakeType.number(5, 0));
            case 23: return ok(SnowflakeType.number(10, 0));
            case 20: return ok(SnowflakeType.number(19, 0));
            case 26: return ok(SnowflakeType.number(10, 0)); // oid: unsigned 32-bit
            case 28: return ok(SnowflakeType.number(10, 0)); // xid
            case 5069: return ok(SnowflakeType.number(20, 0)); // xid8: unsigned 64-bit
            case 700, 701: return ok(SnowflakeType.of(Kind.FLOAT));
            case 1700: return numeric(typmod);
            case 25: return ok(SnowflakeType.varchar(SnowflakeType.UNBOUNDED));
            case 1043, 1042: return ok(SnowflakeType.varchar(typmod >= 4 ? typmod - 4 : SnowflakeType.UNBOUNDED));
            case 18: return ok(SnowflakeType.varchar(1)); // "char"
            case 19: return ok(SnowflakeType.varchar(63)); // name
            case 17: return ok(SnowflakeType.of(Kind.BINARY));
            case 1082: return ok(SnowflakeType.of(Kind.DATE));
            case 1083: return ok(SnowflakeType.withPrecision(Kind.TIME, fractional(typmod)));
            case 1114: return ok(SnowflakeType.withPrecision(Kind.TIMESTAMP_NTZ, fractional(typmod)));
            case 1184: return ok(SnowflakeType.withPrecision(Kind.TIMESTAMP_TZ, fractional(typmod)));
            case 114, 3802: return ok(SnowflakeType.of(Kind.VARIANT));
            case 2950: return ok(SnowflakeType.varchar(36));
            case 1186: return ok(SnowflakeType.varchar(SnowflakeType.UNBOUNDED)); // ISO 8601 duration text
            case 1266: return new Mapped(SnowflakeType.varchar(SnowflakeType.UNBOUNDED),
                    Optional.of("time with time zone has no Snowflake equivalent: it becomes a VARCHAR column holding"
                            + " the exact text (e.g. 12:00:00+05:30)"), Optional.of("time"));
            default:
                if (isArray(typeOid)) {
                    return ok(SnowflakeType.of(Kind.ARRAY));
                }
                // uuid, inet, cidr, macaddr, bit, xml, money, ranges, enums and other user types: exact text.
                return ok(SnowflakeType.varchar(SnowflakeType.UNBOUNDED));
        }
    }

    private static Mapped numeric(int typmod) {
        if (typmod < 4) {
            return new Mapped(UNCONSTRAINED_NUMERIC, Optional.of("numeric without precision becomes NUMBER(38,9) in"
                    + " Snowflake. A value with more than 9 decimal places (trailing zeros do not count), more than 29"
                    + " digits before the point, or NaN/Infinity cannot be written without rounding, and is never"
                    + " rounded: the pipeline's oversize policy applies (stop: the table stops until it is resynced;"
                    + " null: the value is written as NULL and an event names it)."), Optional.of("numeric(38,9)"));
        }
        int precision = ((typmod - 4) >> 16) & 0xFFFF;
        int scale = (short) ((typmod - 4) & 0xFFFF); // PostgreSQL 15+ allows a negative scale
        if (scale < 0) {
            precision = precision - scale;
            scale = 0;
        }
        precision = Math.max(precision, scale);
        if (precision > 38) {
            return new Mapped(SnowflakeType.varchar(SnowflakeType.UNBOUNDED), Optional.of("numeric(" + precision + ","
                    + scale + ") has more digits than Snowflake's NUMBER (38): it becomes a VARCHAR column holding"
                    + " each value's exact decimal text. Nothing is rounded or lost, and no value stops the table, but"
                    + " Snowflake sees text (cast it with TO_NUMBER where the value fits)."),
                    Optional.of("numeric(38," + Math.min(scale, 38) + ")"));
        }
        return ok(SnowflakeType.number(precision, scale));
    }

    /** Fractional-second digits of a time/timestamp typmod; PostgreSQL's default (no typmod) is 6. */
    private static int fractional(int typmod) {
        return typmod >= 0 && typmod <= 6 ? typmod : 6;
    }

    /**
     * The array types the source delivers as Arrow lists: the same table as the source's ({@code PgType.elementOf});
     * arrays of enums and domains arrive already resolved to one of them. Other arrays (xml[], money[], bit[], of
     * composites ...) arrive as their text and become VARCHAR.
     */
    static boolean isArray(int oid) {
        return PgType.elementOf(oid) != 0;
    }

    private static Mapped ok(SnowflakeType t) {
        return new Mapped(t, Optional.empty());
    }
}
