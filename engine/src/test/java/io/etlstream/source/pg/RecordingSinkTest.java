package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.BatchLimits;
import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionAssembler;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import io.etlstream.source.pg.types.PgType;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link RecordingSink} writes reads back the same, the key-change mark of a row included. */
class RecordingSinkTest {

    private static final Instant T = Instant.parse("2026-01-02T03:04:05.123456Z");

    @Test
    void bothHalvesOfAKeyChangeKeepTheirMarkAndUnchangedToastIsKept(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rec.tsv");
        TupleData newRow = new TupleData(new byte[] {TupleData.TEXT, TupleData.UNCHANGED_TOAST}, new int[] {0, 1},
                new int[] {1, 0}, new byte[] {'2'});
        try (RootAllocator alloc = new RootAllocator(); RecordingSink sink = new RecordingSink(file)) {
            sink.open(new ChangeSink.Durability() {
                @Override
                public void durable(long endLsn) {}

                @Override
                public void snapshotDurable(TableId table) {}
            });
            try (TransactionAssembler a = new TransactionAssembler(alloc, BatchLimits.DEFAULT, e -> {
                try {
                    sink.accept(e);
                } catch (Exception x) {
                    throw new IllegalStateException(x);
                }
            })) {
                a.accept(new PgOutputMessage.Begin(100, T, 7));
                a.accept(new Relation(0, 42, "public", "t", 'd', List.of(new RelationColumn(true, "id", PgType.INT4, -1),
                        new RelationColumn(false, "big", PgType.TEXT, -1))));
                a.accept(new PgOutputMessage.Update(0, 42, 'K', TupleData.ofText("1", null), newRow));
                a.accept(new PgOutputMessage.Update(0, 42, (char) 0, null, TupleData.ofText("2", "x")));
                a.accept(new PgOutputMessage.Commit(0, 100, 150, T));
            }
        }
        List<RecordingSink.Row> rows = RecordingSink.read(file);
        assertThat(rows).extracting(r -> r.op() + " " + r.values() + " " + r.keyChanged()).containsExactly(
                "D {id=1, big=null} true", "U {id=2, big=U} true", "U {id=2, big=x} false");
        assertThat(rows).allMatch(r -> r.table().equals(new TableId("public", "t")));
        assertThat(RecordingSink.lines(file).stream().filter(l -> l.startsWith("R\t")).toList())
                .extracting(l -> l.endsWith("\tK")).containsExactly(true, true, false);
        assertThat(ChangeBatch.KEY_CHANGED).isEqualTo(-1);
    }
}
