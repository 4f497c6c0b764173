package io.etlstream.source.pg.pgoutput;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One decoded pgoutput message (protocol versions 1 and 2).
 *
 * <p>Change messages (Relation, Type, Insert, Update, Delete, Truncate, Message) carry {@code streamXid} as their
 * first component: the (sub)transaction id the server tagged them with inside a streamed block
 * (between {@link StreamStart} and {@link StreamStop}), or 0 outside a stream.
 */
public sealed interface PgOutputMessage {

    /** B: start of a (non-streamed) transaction; {@code finalLsn} equals the LSN of its commit record. */
    record Begin(long finalLsn, Instant commitTime, int xid) implements PgOutputMessage {
    }

    /** C: end of a (non-streamed) transaction. The stream may be confirmed up to {@code endLsn} once durable. */
    record Commit(int flags, long commitLsn, long endLsn, Instant commitTime) implements PgOutputMessage {
    }

    /** O: the transaction was replayed from another origin. */
    record Origin(long commitLsn, String name) implements PgOutputMessage {
    }

    /** R: the current shape of a published table; sent before its first change and after every DDL. */
    record Relation(int streamXid, int relationId, String namespace, String name, char replicaIdentity,
            List<RelationColumn> columns) implements PgOutputMessage {
        public Relation {
            columns = List.copyOf(columns);
        }
    }

    /**
     * One column of a {@link Relation}; {@code key} marks the replica identity columns as pgoutput flags them (every
     * column under REPLICA IDENTITY FULL, which the source replaces with the primary key before the assembler).
     */
    record RelationColumn(boolean key, String name, int typeOid, int typeModifier) {
        public RelationColumn {
            Objects.requireNonNull(name, "name");
        }
    }

    /** Y: the name of a non-built-in type used by a following Relation. */
    record TypeMessage(int streamXid, int typeOid, String namespace, String name) implements PgOutputMessage {
    }

    /** I: a row was inserted. */
    record Insert(int streamXid, int relationId, TupleData newTuple) implements PgOutputMessage {
    }

    /**
     * U: a row was updated. {@code oldKind} is 'K' (old key only, sent when the key changed), 'O' (whole old row,
     * REPLICA IDENTITY FULL) or 0 when no old tuple was sent.
     */
    record Update(int streamXid, int relationId, char oldKind, TupleData oldTuple, TupleData newTuple)
            implements PgOutputMessage {
    }

    /** D: a row was deleted; {@code oldKind} is 'K' (key columns, others null) or 'O' (whole row). */
    record Delete(int streamXid, int relationId, char oldKind, TupleData oldTuple) implements PgOutputMessage {
    }

    /** T: one TRUNCATE statement over one or more published tables. */
    record Truncate(int streamXid, List<Integer> relationIds, boolean cascade, boolean restartIdentity)
            implements PgOutputMessage {
        public Truncate {
            relationIds = List.copyOf(relationIds);
        }
    }

    /** M: {@code pg_logical_emit_message} output (needs {@code messages 'true'}). */
    record LogicalMessage(int streamXid, boolean transactional, long lsn, String prefix, byte[] content)
            implements PgOutputMessage {
    }

    /** S: the start of one chunk of a streamed in-progress transaction. */
    record StreamStart(int xid, boolean firstSegment) implements PgOutputMessage {
    }

    /** E: the end of the current streamed chunk. */
    record StreamStop() implements PgOutputMessage {
    }

    /** c: a streamed transaction committed. */
    record StreamCommit(int xid, int flags, long commitLsn, long endLsn, Instant commitTime)
            implements PgOutputMessage {
    }

    /** A: a streamed transaction ({@code subXid == xid}) or one of its subtransactions was rolled back. */
    record StreamAbort(int xid, int subXid) implements PgOutputMessage {
    }
}
