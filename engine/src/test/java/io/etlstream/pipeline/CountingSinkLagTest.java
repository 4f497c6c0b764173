package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionCommitted;
import io.etlstream.source.pg.ChangeSink;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Lag in seconds = age of the oldest commit the destination has not made durable; the sink sees every event; TRUNCATE
 * rows are counted.
 */
class CountingSinkLagTest {

    /** Keeps what it is given and lets the test say when something became durable. */
    private static final class HeldSink implements ChangeSink {
        final List<ChangeEvent> accepted = new ArrayList<>();
        final AtomicReference<Durability> durability = new AtomicReference<>();
        final List<Long> reported = new ArrayList<>();

        @Override
        public void open(Durability d) {
            durability.set(d);
        }

        @Override
        public void accept(ChangeEvent event) {
            accepted.add(event);
        }

        @Override
        public void snapshotCompleted(TableId table) {}

        @Override
        public void close() {}
    }

    @Test
    void lagIsTheAgeOfTheOldestCommitNotYetDurable() throws Exception {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.ofEpochSecond(1_000));
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        HeldSink inner = new HeldSink();
        CountingSink sink = new CountingSink(inner);
        List<Long> upstream = new ArrayList<>();
        sink.open(new ChangeSink.Durability() {
            @Override
            public void durable(long endLsn) {
                upstream.add(endLsn);
            }

            @Override
            public void snapshotDurable(TableId table) {}
        });
        assertThat(sink.lagSeconds(now.get().toEpochMilli())).isZero();

        sink.accept(new TransactionCommitted(100, 110, Instant.ofEpochSecond(990)));
        sink.accept(new TransactionCommitted(200, 210, Instant.ofEpochSecond(995)));
        now.set(Instant.ofEpochSecond(1_002));
        assertThat(sink.lagSeconds(now.get().toEpochMilli())).isEqualTo(12.0);

        inner.durability.get().durable(110);
        assertThat(sink.lagSeconds(now.get().toEpochMilli())).isEqualTo(7.0);
        inner.durability.get().durable(210);
        assertThat(sink.lagSeconds(now.get().toEpochMilli())).isZero();

        assertThat(upstream).as("durability still reaches the source").containsExactly(110L, 210L);
        assertThat(inner.accepted).hasSize(2);
        assertThat(sink.rows()).isZero();
    }

    /**
     * TRUNCATE marker rows are counted as truncates, not as rows of the table (the totals the user sees); the null
     * sink of benchmarks counts every row of a batch.
     */
    @Test
    void truncateRowsAreCountedAsTruncatesNotAsRows() throws Exception {
        TableId id = new TableId("public", "t");
        io.etlstream.batch.TableSchema schema = new io.etlstream.batch.TableSchema(id, 42, 'd', List.of(
                new io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn(true, "id", 23, -1)), 1);
        try (org.apache.arrow.memory.BufferAllocator alloc = new org.apache.arrow.memory.RootAllocator()) {
            HeldSink inner = new HeldSink();
            CountingSink sink = new CountingSink(inner);
            io.etlstream.source.pg.NullSink nulls = new io.etlstream.source.pg.NullSink();
            nulls.open(new ChangeSink.Durability() {
                @Override
                public void durable(long endLsn) {}

                @Override
                public void snapshotDurable(TableId table) {}
            });
            for (ChangeSink target : List.<ChangeSink>of(sink, nulls)) {
                try (io.etlstream.batch.ChangeBatchBuilder b = new io.etlstream.batch.ChangeBatchBuilder(schema, alloc,
                        io.etlstream.batch.BatchLimits.DEFAULT)) {
                    b.appendInsert(io.etlstream.source.pg.pgoutput.TupleData.ofText("1"), 500, 0, 0);
                    b.appendTruncate(500, 0, 1);
                    b.appendInsert(io.etlstream.source.pg.pgoutput.TupleData.ofText("2"), 500, 0, 2);
                    b.appendTruncate(500, 0, 3);
                    target.accept(b.seal(true));
                }
            }
            assertThat(sink.rows()).isEqualTo(2);
            assertThat(sink.truncates()).isEqualTo(2);
            assertThat(sink.perTable().get(id).rows()).isEqualTo(2);
            assertThat(nulls.rows()).isEqualTo(4);
            assertThat(nulls.truncates()).isEqualTo(2);
            for (ChangeEvent e : inner.accepted) {
                ((io.etlstream.batch.ChangeBatch) e).close();
            }
        }
    }
}
