package io.etlstream.source.pg.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.source.pg.pgoutput.PgOutputMessage.Begin;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Commit;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Delete;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Insert;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.LogicalMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Origin;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamAbort;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamCommit;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamStart;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.StreamStop;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Truncate;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.TypeMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Update;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Decodes fixtures captured from PostgreSQL 14 and 17 (see {@link PgOutputCapture}); no database needed. */
class PgOutputDecoderTest {

    static List<PgOutputMessage> decodeAll(int major, String scenario) {
        PgOutputDecoder d = new PgOutputDecoder();
        List<PgOutputMessage> out = new ArrayList<>();
        for (byte[] m : PgOutputCapture.read(major, scenario)) {
            ByteBuffer buf = ByteBuffer.wrap(m);
            out.add(d.decode(buf));
            assertThat(buf.hasRemaining()).as("whole message consumed: %s", out.get(out.size() - 1)).isFalse();
        }
        assertThat(d.inStream()).isFalse();
        return out;
    }

    @SuppressWarnings("unchecked")
    static <T> List<T> only(List<PgOutputMessage> ms, Class<T> type) {
        return (List<T>) ms.stream().filter(type::isInstance).collect(Collectors.toList());
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void beginAndCommitFrameEachTransaction(int major) {
        List<PgOutputMessage> ms = decodeAll(major, "basic");
        List<Begin> begins = only(ms, Begin.class);
        List<Commit> commits = only(ms, Commit.class);
        assertThat(begins).hasSize(3);
        assertThat(commits).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(commits.get(i).commitLsn()).isEqualTo(begins.get(i).finalLsn());
            assertThat(commits.get(i).endLsn()).isGreaterThan(commits.get(i).commitLsn());
            assertThat(commits.get(i).commitTime()).isEqualTo(begins.get(i).commitTime());
            assertThat(commits.get(i).flags()).isZero();
        }
        assertThat(begins.get(1).xid()).isEqualTo(begins.get(0).xid() + 1);
        // Captured in 2026: a wrong epoch (1970 vs 2000) would land 30 years off.
        assertThat(begins.get(0).commitTime()).isBetween(Instant.parse("2025-01-01T00:00:00Z"),
                Instant.now().plus(Duration.ofDays(1)));
        assertThat(ms.get(0)).isInstanceOf(Begin.class);
        assertThat(ms.get(ms.size() - 1)).isInstanceOf(Commit.class);
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void relationAndTypeDescribeTheTable(int major) {
        List<PgOutputMessage> ms = decodeAll(major, "basic");
        TypeMessage type = only(ms, TypeMessage.class).get(0);
        assertThat(type.namespace()).isEqualTo("public");
        assertThat(type.name()).isEqualTo("fx_mood");
        assertThat(type.streamXid()).isZero();
        Relation r = only(ms, Relation.class).get(0);
        assertThat(r.namespace()).isEqualTo("public");
        assertThat(r.name()).isEqualTo("fx_basic");
        assertThat(r.replicaIdentity()).isEqualTo('d');
        assertThat(r.columns()).extracting(PgOutputMessage.RelationColumn::name).containsExactly("id", "name", "mood");
        assertThat(r.columns()).extracting(PgOutputMessage.RelationColumn::key).containsExactly(true, false, false);
        assertThat(r.columns()).extracting(PgOutputMessage.RelationColumn::typeOid).containsExactly(23, 25,
                type.typeOid());
        assertThat(r.columns()).extracting(PgOutputMessage.RelationColumn::typeModifier).containsOnly(-1);
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void insertUpdateDeleteCarryTheirTuples(int major) {
        List<PgOutputMessage> ms = decodeAll(major, "basic");
        int relId = only(ms, Relation.class).get(0).relationId();
        List<Insert> inserts = only(ms, Insert.class);
        assertThat(inserts.get(0).relationId()).isEqualTo(relId);
        assertThat(texts(inserts.get(0).newTuple())).containsExactly("1", "one", "happy");
        assertThat(texts(inserts.get(1).newTuple())).containsExactly("2", null, "sad");
        assertThat(inserts.get(1).newTuple().kind(1)).isEqualTo(TupleData.NULL);

        List<Update> updates = only(ms, Update.class);
        assertThat(updates.get(0).oldKind()).isEqualTo((char) 0);
        assertThat(updates.get(0).oldTuple()).isNull();
        assertThat(texts(updates.get(0).newTuple())).containsExactly("1", "uno", "happy");
        // The key changed: the old key travels as a 'K' tuple with non-key columns null.
        assertThat(updates.get(1).oldKind()).isEqualTo('K');
        assertThat(texts(updates.get(1).oldTuple())).containsExactly("2", null, null);
        assertThat(texts(updates.get(1).newTuple())).containsExactly("10", null, "sad");

        Delete delete = only(ms, Delete.class).get(0);
        assertThat(delete.oldKind()).isEqualTo('K');
        assertThat(texts(delete.oldTuple())).containsExactly("10", null, null);
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void truncateListsItsRelationsAndOptions(int major) {
        List<PgOutputMessage> ms = decodeAll(major, "basic");
        List<Integer> relIds = only(ms, Relation.class).stream().map(Relation::relationId).distinct().toList();
        Truncate t = only(ms, Truncate.class).get(0);
        assertThat(t.relationIds()).containsExactlyInAnyOrderElementsOf(relIds);
        assertThat(t.cascade()).isTrue();
        assertThat(t.restartIdentity()).isTrue();
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void logicalMessagesAndOrigin(int major) {
        List<PgOutputMessage> ms = decodeAll(major, "messages");
        List<LogicalMessage> msgs = only(ms, LogicalMessage.class);
        assertThat(msgs).hasSize(2);
        assertThat(msgs.get(0).transactional()).isFalse();
        assertThat(ms.get(0)).isSameAs(msgs.get(0)); // non-transactional: outside any Begin/Commit
        assertThat(new String(msgs.get(0).content(), StandardCharsets.UTF_8)).isEqualTo("beat-1");
        assertThat(msgs.get(1).transactional()).isTrue();
        assertThat(msgs.get(1).prefix()).isEqualTo("etl-stream");
        assertThat(new String(msgs.get(1).content(), StandardCharsets.UTF_8)).isEqualTo("beat-2");
        assertThat(msgs.get(1).lsn()).isGreaterThan(msgs.get(0).lsn());
        Origin origin = only(ms, Origin.class).get(0);
        assertThat(origin.name()).isEqualTo("fx_origin");
        int at = ms.indexOf(origin);
        assertThat(ms.get(at - 1)).isInstanceOf(Begin.class);
        assertThat(texts(((Insert) ms.get(ms.size() - 2)).newTuple())).containsExactly("2");
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void binaryTuplesCarryTheSendFormat(int major) {
        List<Insert> inserts = only(decodeAll(major, "binary"), Insert.class);
        TupleData t = inserts.get(0).newTuple();
        assertThat(t.kind(0)).isEqualTo(TupleData.BINARY);
        assertThat(ByteBuffer.wrap(t.valueBytes(0)).getInt()).isEqualTo(258);
        assertThat(ByteBuffer.wrap(t.valueBytes(1)).getDouble()).isEqualTo(1.5);
        assertThat(t.valueBytes(2)).isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
        assertThat(inserts.get(1).newTuple().kind(1)).isEqualTo(TupleData.NULL);
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void unchangedToastIsMarkedAndFullIdentitySendsTheOldRow(int major) {
        List<PgOutputMessage> ms = decodeAll(major, "toast");
        List<Relation> rels = only(ms, Relation.class);
        assertThat(rels.get(1).replicaIdentity()).isEqualTo('f');
        List<Update> updates = only(ms, Update.class);
        Update dflt = updates.get(0);
        assertThat(dflt.oldTuple()).isNull();
        assertThat(dflt.newTuple().isUnchangedToast(1)).isTrue();
        assertThat(dflt.newTuple().valueBytes(1)).isNull();
        assertThat(dflt.newTuple().text(2)).isEqualTo("1");
        Update full = updates.get(1);
        assertThat(full.oldKind()).isEqualTo('O');
        assertThat(full.newTuple().isUnchangedToast(1)).isTrue();
        assertThat(full.oldTuple().isUnchangedToast(1)).isFalse();
        assertThat(full.oldTuple().length(1)).isEqualTo(400 * 32);
        Insert first = only(ms, Insert.class).get(1);
        assertThat(full.oldTuple().text(1)).isEqualTo(first.newTuple().text(1));
        assertThat(full.oldTuple().text(2)).isEqualTo("0");
        Delete del = only(ms, Delete.class).get(0);
        assertThat(del.oldKind()).isEqualTo('O');
        assertThat(del.oldTuple().length(1)).isEqualTo(400 * 32);
    }

    @ParameterizedTest(name = "PG {0}")
    @ValueSource(ints = {14, 17})
    void streamedTransactionsTagChangesWithTheirSubtransaction(int major) {
        List<PgOutputMessage> ms = decodeAll(major, "stream");
        List<StreamStart> starts = only(ms, StreamStart.class);
        int top = starts.get(0).xid();
        assertThat(starts.get(0).firstSegment()).isTrue();
        assertThat(starts.stream().filter(s -> s.xid() == top).skip(1)).allMatch(s -> !s.firstSegment());
        assertThat(only(ms, StreamStop.class)).hasSameSizeAs(starts);

        // Rows of the committed transaction are tagged by the (sub)transaction that wrote them.
        List<Insert> inserts = only(ms, Insert.class);
        assertThat(inserts).filteredOn(i -> "keep-1".equals(i.newTuple().text(1))).hasSize(1000)
                .allMatch(i -> i.streamXid() == top);
        List<Insert> rolledBack = inserts.stream().filter(i -> "rolled-back".equals(i.newTuple().text(1))).toList();
        // Only what was streamed before ROLLBACK TO arrives; the server drops the not-yet-streamed rest itself.
        assertThat(rolledBack).isNotEmpty().hasSizeLessThanOrEqualTo(1000);
        int sub = rolledBack.get(0).streamXid();
        assertThat(sub).isNotEqualTo(top);
        assertThat(rolledBack).allMatch(i -> i.streamXid() == sub);
        assertThat(inserts).filteredOn(i -> "keep-2".equals(i.newTuple().text(1))).hasSize(500)
                .allMatch(i -> i.streamXid() != top && i.streamXid() != sub);

        List<StreamAbort> aborts = only(ms, StreamAbort.class);
        assertThat(aborts.get(0)).isEqualTo(new StreamAbort(top, sub));
        StreamCommit commit = only(ms, StreamCommit.class).get(0);
        assertThat(commit.xid()).isEqualTo(top);
        assertThat(commit.endLsn()).isGreaterThan(commit.commitLsn());

        int aborted = inserts.stream().filter(i -> "aborted".equals(i.newTuple().text(1))).findFirst().orElseThrow()
                .streamXid();
        assertThat(aborts.get(1)).isEqualTo(new StreamAbort(aborted, aborted));
        // The small transaction afterwards is not streamed: no xid on its Insert.
        assertThat(inserts.get(inserts.size() - 1).streamXid()).isZero();
        assertThat(ms.get(ms.size() - 1)).isInstanceOf(Commit.class);
    }

    @Test
    void rejectsUnknownAndTruncatedMessages() {
        PgOutputDecoder d = new PgOutputDecoder();
        assertThatThrownBy(() -> d.decode(ByteBuffer.wrap(new byte[] {'P', 0})))
                .isInstanceOf(PgOutputFormatException.class).hasMessageContaining("proto_version");
        assertThatThrownBy(() -> d.decode(ByteBuffer.wrap(new byte[] {'B', 0, 0})))
                .isInstanceOf(PgOutputFormatException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> d.decode(ByteBuffer.wrap(new byte[] {'E'})))
                .isInstanceOf(PgOutputFormatException.class);
        assertThatThrownBy(() -> d.decode(ByteBuffer.allocate(0))).isInstanceOf(PgOutputFormatException.class);
    }

    @Test
    void insideAStreamChangeMessagesCarryAnXid() {
        PgOutputDecoder d = new PgOutputDecoder();
        d.decode(ByteBuffer.wrap(new byte[] {'S', 0, 0, 0, 9, 1}));
        ByteBuffer ins = ByteBuffer.allocate(32);
        ins.put((byte) 'I').putInt(12).putInt(77).put((byte) 'N').putShort((short) 1).put((byte) 't').putInt(2)
                .put("42".getBytes(StandardCharsets.US_ASCII)).flip();
        Insert i = (Insert) d.decode(ins);
        assertThat(i.streamXid()).isEqualTo(12);
        assertThat(i.relationId()).isEqualTo(77);
        assertThat(i.newTuple().text(0)).isEqualTo("42");
        d.decode(ByteBuffer.wrap(new byte[] {'E'}));
        assertThat(d.inStream()).isFalse();
    }

    static List<String> texts(TupleData t) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < t.columnCount(); i++) {
            out.add(t.text(i));
        }
        return out;
    }
}
