package io.etlstream.source.pg.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.testkit.pg.AllPgVersions;
import io.etlstream.testkit.pg.PgClusters;
import io.etlstream.testkit.pg.PgDatabase;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Captures every fixture scenario live on each configured PostgreSQL version and checks that the decoder reads the
 * live bytes into the same message sequence as the stored fixture (LSNs, xids, relation ids and times differ from
 * run to run and are normalised away). Rewrite the fixtures with
 * {@code -Detl.pgoutput.writeFixtures=engine/src/test/resources/pgoutput}.
 */
@ExtendWith(io.etlstream.testkit.pg.PostgresExtension.class)
class PgOutputLiveCaptureTest {

    @ParameterizedTest(name = "{0}")
    @ArgumentsSource(AllPgVersions.class)
    void liveCaptureMatchesTheStoredFixtures(PgDatabase db) throws Exception {
        String writeTo = System.getProperty("etl.pgoutput.writeFixtures");
        for (PgOutputCapture.Scenario s : PgOutputCapture.scenarios()) {
            PgDatabase fresh = PgClusters.shared(db.major()).createDatabase("capture_" + s.name());
            List<byte[]> live = PgOutputCapture.capture(fresh, s);
            if (writeTo != null) {
                PgOutputCapture.write(PgOutputCapture.fixtureFile(Path.of(writeTo), db.major(), s.name()), live);
            }
            List<String> liveShape = shape(live);
            List<String> storedShape = shape(writeTo != null
                    ? PgOutputCapture.readFile(PgOutputCapture.fixtureFile(Path.of(writeTo), db.major(), s.name()))
                    : PgOutputCapture.read(db.major(), s.name()));
            assertThat(liveShape).as("scenario %s on PG %s", s.name(), db.major()).isEqualTo(storedShape);
        }
    }

    /** The decoded messages with run-specific numbers blanked out. */
    static List<String> shape(List<byte[]> messages) {
        PgOutputDecoder d = new PgOutputDecoder();
        List<String> out = new ArrayList<>();
        for (byte[] m : messages) {
            out.add(normalise(d.decode(ByteBuffer.wrap(m))));
        }
        return out;
    }

    private static String normalise(PgOutputMessage m) {
        if (m instanceof PgOutputMessage.Begin b) {
            return "Begin";
        }
        if (m instanceof PgOutputMessage.Commit c) {
            return "Commit flags=" + c.flags();
        }
        if (m instanceof PgOutputMessage.Origin o) {
            return "Origin " + o.name();
        }
        if (m instanceof PgOutputMessage.Relation r) {
            return "Relation " + (r.streamXid() != 0) + " " + r.namespace() + "." + r.name() + " "
                    + r.replicaIdentity() + " "
                    + r.columns().stream().map(c -> c.name() + ":" + c.key() + ":" + c.typeModifier()).toList();
        }
        if (m instanceof PgOutputMessage.TypeMessage t) {
            return "Type " + t.namespace() + "." + t.name();
        }
        if (m instanceof PgOutputMessage.Insert i) {
            return "Insert " + (i.streamXid() != 0) + " " + cells(i.newTuple());
        }
        if (m instanceof PgOutputMessage.Update u) {
            return "Update " + (u.streamXid() != 0) + " " + u.oldKind() + " "
                    + (u.oldTuple() == null ? "-" : cells(u.oldTuple())) + " " + cells(u.newTuple());
        }
        if (m instanceof PgOutputMessage.Delete x) {
            return "Delete " + (x.streamXid() != 0) + " " + x.oldKind() + " " + cells(x.oldTuple());
        }
        if (m instanceof PgOutputMessage.Truncate t) {
            return "Truncate " + t.relationIds().size() + " " + t.cascade() + " " + t.restartIdentity();
        }
        if (m instanceof PgOutputMessage.LogicalMessage l) {
            return "Message " + l.transactional() + " " + l.prefix() + " "
                    + new String(l.content(), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (m instanceof PgOutputMessage.StreamStart s) {
            return "StreamStart " + s.firstSegment();
        }
        if (m instanceof PgOutputMessage.StreamStop s) {
            return "StreamStop";
        }
        if (m instanceof PgOutputMessage.StreamCommit c) {
            return "StreamCommit";
        }
        if (m instanceof PgOutputMessage.StreamAbort a) {
            return "StreamAbort sub=" + (a.xid() != a.subXid());
        }
        throw new AssertionError(m);
    }

    private static String cells(TupleData t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < t.columnCount(); i++) {
            sb.append((char) t.kind(i)).append(t.kind(i) == TupleData.BINARY
                    ? java.util.HexFormat.of().formatHex(t.valueBytes(i)) : String.valueOf(t.text(i))).append('|');
        }
        return sb.toString();
    }
}
