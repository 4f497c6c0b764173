package io.etlstream.source.pg;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** Life cycle of a {@link PgSource}; the legal transitions are listed here and nowhere else. */
public enum SourceState {
    NEW, STARTING, SNAPSHOT, STREAMING, RECONNECTING, STOPPED, FAILED;

    private static final Map<SourceState, Set<SourceState>> NEXT = Map.of(
            NEW, EnumSet.of(STARTING, STOPPED),
            STARTING, EnumSet.of(SNAPSHOT, STREAMING, RECONNECTING, STOPPED, FAILED),
            SNAPSHOT, EnumSet.of(STARTING, STREAMING, RECONNECTING, STOPPED, FAILED),
            STREAMING, EnumSet.of(STARTING, SNAPSHOT, RECONNECTING, STOPPED, FAILED),
            RECONNECTING, EnumSet.of(STARTING, STREAMING, SNAPSHOT, STOPPED, FAILED),
            STOPPED, EnumSet.noneOf(SourceState.class),
            FAILED, EnumSet.of(STOPPED));

    public boolean canMoveTo(SourceState next) {
        return NEXT.get(this).contains(next);
    }

    /** Returns {@code next} if legal, else throws: an illegal transition is a bug. */
    public SourceState moveTo(SourceState next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("illegal source transition " + this + " -> " + next);
        }
        return next;
    }
}
