package io.etlstream.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.pgoutput.TupleData;
import io.etlstream.source.pg.types.PgType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spilling open streamed transactions to disk changes nothing that comes out of the assembler: the same events, rows,
 * values and transaction ends as when everything stays in memory, also with rolled-back subtransactions whose rows
 * were already on disk. The spill files are owner-only and gone after commit and abort.
 */
class TransactionSpillTest {

    private static final Instant T = Instant.parse("2024-05-01T10:00:00Z");

    @TempDir
    Path dir;

    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator(256L * 1024 * 1024);
    }

    @AfterEach
    void tearDown() {
        assertThat(allocator.getAllocatedMemory()).as("all Arrow memory returned").isZero();
        allocator.close();
    }

    private static Relation rel(int xid, RelationColumn... cols) {
        return new Relation(xid, 42, "public", "t", 'd', List.of(cols));
    }

    private static RelationColumn col(boolean key, String name, int oid) {
        return new RelationColumn(key, name, oid, -1);
    }

    /**
     * Two streamed transactions interleaved with a plain one: subtransactions rolled back before and after their rows
     * were spilled (one batch holds only rolled-back rows, others mix), a column added inside a subtransaction, a
     * truncate (as a T row; a second one in a rolled-back subtransaction), a transactional message, a whole streamed
     * transaction aborted.
     */
    private List<String> run(SpillDirectory spill, List<Long> spilledBytesAfterEachStep) {
        List<String> out = new ArrayList<>();
        ChangeConsumer render = e -> {
            if (e instanceof ChangeBatch b) {
                try (b) {
                    out.add("B " + b.table() + " lsn=" + b.firstCommitLsn() + ".." + b.lastCommitLsn() + " ends="
                            + b.endsTransaction() + "\n" + b.root().contentToTSVString());
                }
            } else if (e instanceof Heartbeat h) {
                out.add("H " + h.lsn() + " " + h.prefix() + " " + new String(h.content(),
                        java.nio.charset.StandardCharsets.UTF_8));
            } else {
                out.add(e.toString());
            }
        };
        try (TransactionAssembler a = new TransactionAssembler(allocator, new BatchLimits(3, 1 << 20), render,
                new SchemaRegistry(), spill)) {
            a.accept(rel(0, col(true, "id", PgType.INT4), col(false, "v", PgType.TEXT)));
            a.accept(new PgOutputMessage.StreamStart(500, true));
            for (int i = 1; i <= 7; i++) {
                a.accept(new PgOutputMessage.Insert(500, 42, TupleData.ofText(Integer.toString(i), "top" + i)));
            }
            for (int i = 8; i <= 14; i++) { // 501: two whole batches of its own, one shared with 500
                a.accept(new PgOutputMessage.Insert(501, 42, TupleData.ofText(Integer.toString(i), "sub501-" + i)));
            }
            a.accept(new PgOutputMessage.Insert(500, 42, TupleData.ofText("15", "top15")));
            a.accept(new PgOutputMessage.StreamStop());
            spilledBytesAfterEachStep.add(spill.stats().bytes());

            a.accept(new PgOutputMessage.StreamStart(700, true));
            for (int i = 1000; i < 1010; i++) {
                a.accept(new PgOutputMessage.Insert(700, 42, TupleData.ofText(Integer.toString(i), "aborted")));
            }
            a.accept(new PgOutputMessage.StreamStop());

            a.accept(new PgOutputMessage.Begin(90, T, 499));
            a.accept(new PgOutputMessage.Insert(0, 42, TupleData.ofText("100", "plain")));
            a.accept(new PgOutputMessage.Commit(0, 90, 95, T));

            a.accept(new PgOutputMessage.StreamAbort(500, 501)); // after its rows went to disk (when spilling)
            a.accept(new PgOutputMessage.StreamAbort(700, 700));
            spilledBytesAfterEachStep.add(spill.stats().bytes());

            a.accept(new PgOutputMessage.StreamStart(500, false));
            a.accept(rel(502, col(true, "id", PgType.INT4), col(false, "v", PgType.TEXT), col(false, "w", PgType.INT8)));
            a.accept(new PgOutputMessage.Insert(502, 42, TupleData.ofText("20", "sub502", "2")));
            a.accept(new PgOutputMessage.Insert(503, 42, TupleData.ofText("21", "sub503", "3")));
            a.accept(new PgOutputMessage.Update(503, 42, 'K', TupleData.ofText("21", null, null),
                    TupleData.ofText("22", "sub503-moved", "3")));
            a.accept(new PgOutputMessage.LogicalMessage(503, true, 77, "app", "hello".getBytes()));
            a.accept(new PgOutputMessage.Insert(504, 42, TupleData.ofText("23", "sub504", "4")));
            a.accept(new PgOutputMessage.Truncate(504, List.of(42), false, false)); // rolled back below
            a.accept(new PgOutputMessage.StreamStop());
            a.accept(new PgOutputMessage.StreamAbort(500, 504)); // still in memory (in the open builder)
            a.accept(new PgOutputMessage.StreamStart(500, false));
            a.accept(new PgOutputMessage.Truncate(500, List.of(42), false, false));
            a.accept(new PgOutputMessage.Insert(500, 42, TupleData.ofText("30", "after truncate", "5")));
            a.accept(new PgOutputMessage.Delete(500, 42, 'K', TupleData.ofText("30", null, null)));
            a.accept(new PgOutputMessage.StreamStop());
            a.accept(new PgOutputMessage.StreamCommit(500, 0, 200, 250, T));
            assertThat(a.openStreamedTransactions()).isZero();
            assertThat(a.bufferedBytes()).isZero();
        }
        return out;
    }

    @Test
    void spilledTransactionsComeOutExactlyAsInMemoryOnes() throws Exception {
        List<Long> none = new ArrayList<>();
        List<String> inMemory = run(SpillDirectory.never(), none);
        List<Long> spilledBytes = new ArrayList<>();
        List<String> spilled;
        try (SpillDirectory spill = SpillDirectory.open(dir.resolve("s"), 1)) {
            spilled = run(spill, spilledBytes);
            assertThat(spill.stats().transactions()).as("both streamed transactions spilled").isEqualTo(2);
            assertThat(spill.stats().batches()).isGreaterThan(5);
            assertThat(spill.stats().openFiles()).isZero();
            try (Stream<Path> files = Files.list(dir.resolve("s"))) {
                assertThat(files).as("no spill file after commit and abort").isEmpty();
            }
        }
        assertThat(spilledBytes.get(0)).as("rows of 501 were on disk before its rollback").isPositive();
        assertThat(inMemory).isNotEmpty();
        assertThat(String.join("\n", inMemory)).contains("top15").doesNotContain("sub501").doesNotContain("aborted")
                .doesNotContain("sub504").contains("sub502").contains("sub503-moved").contains("hello");
        // The one TRUNCATE that committed is a T row (source columns null) between the rows before and after it;
        // the one of the rolled-back subtransaction 504 is gone.
        List<String> truncates = String.join("\n", inMemory).lines().filter(l -> l.contains("\tT\t")).toList();
        assertThat(truncates).hasSize(1);
        assertThat(truncates.get(0)).startsWith("null\tnull\tnull\tT\t200\t");
        String all = String.join("\n", inMemory);
        assertThat(all.indexOf("sub503-moved")).isLessThan(all.indexOf("\tT\t"));
        assertThat(all.indexOf("\tT\t")).isLessThan(all.indexOf("after truncate"));
        assertThat(spilled).isEqualTo(inMemory);
        assertThat(dir.resolve("s")).as("closing removes the folder").doesNotExist();
    }

    @Test
    void spillFilesAreOwnerOnlyAndDeletedOnAbortAndLeftoversOnOpen() throws Exception {
        Path sd = dir.resolve("spill");
        Files.createDirectories(sd);
        Path leftover = sd.resolve("txn-9-1" + SpillDirectory.SUFFIX);
        Files.writeString(leftover, "left by a crash");
        Path foreign = sd.resolve("notes.txt");
        Files.writeString(foreign, "not ours");
        List<ChangeEvent> events = new ArrayList<>();
        try (SpillDirectory spill = SpillDirectory.open(sd, 1000)) {
            assertThat(leftover).doesNotExist();
            assertThat(foreign).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sd))).isEqualTo("rwx------");
            try (TransactionAssembler a = new TransactionAssembler(allocator, new BatchLimits(4, 1 << 20), events::add,
                    new SchemaRegistry(), spill)) {
                a.accept(rel(0, col(true, "id", PgType.INT4), col(false, "v", PgType.TEXT)));
                a.accept(new PgOutputMessage.StreamStart(7, true));
                for (int i = 0; i < 200; i++) {
                    a.accept(new PgOutputMessage.Insert(7, 42, TupleData.ofText(Integer.toString(i), "x".repeat(50))));
                }
                assertThat(a.bufferedBytes()).isLessThanOrEqualTo(1000);
                List<Path> files;
                try (Stream<Path> s = Files.list(sd)) {
                    files = s.filter(p -> p.toString().endsWith(SpillDirectory.SUFFIX)).toList();
                }
                assertThat(files).hasSize(1);
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0))))
                        .isEqualTo("rw-------");
                assertThat(Files.size(files.get(0))).isGreaterThan(200 * 50);
                a.accept(new PgOutputMessage.StreamStop());
                a.accept(new PgOutputMessage.StreamAbort(7, 7));
                assertThat(files.get(0)).doesNotExist();
                assertThat(spill.stats().openFiles()).isZero();

                // An open spilled transaction is deleted when the assembler closes (a reconnect or a stop).
                a.accept(new PgOutputMessage.StreamStart(8, true));
                for (int i = 0; i < 200; i++) {
                    a.accept(new PgOutputMessage.Insert(8, 42, TupleData.ofText(Integer.toString(i), "y".repeat(50))));
                }
                a.accept(new PgOutputMessage.StreamStop());
                assertThat(spill.stats().openFiles()).isEqualTo(1);
            }
            assertThat(spill.stats().openFiles()).isZero();
            try (Stream<Path> s = Files.list(sd)) {
                assertThat(s).containsExactly(foreign);
            }
        }
        assertThat(events).hasSize(1); // the initial SchemaChange
        assertThat(foreign).as("a folder with foreign files is left in place").exists();
    }

    /** A spill folder that cannot be made names its parent and the option that chose it. */
    @Test
    void aSpillFolderThatCannotBeMadeNamesTheFolderAndTheOption(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        assertThatThrownBy(() -> SpillDirectory.open(file.resolve("slot"), 1, true))
                .isInstanceOf(io.etlstream.UserFacingException.class)
                .hasMessageContaining(file.toString() + ", given with --spill-dir, is writable")
                .hasMessageNotContaining("engine home");
        assertThatThrownBy(() -> SpillDirectory.open(file.resolve("slot"), 1, false))
                .hasMessageContaining(file + " (java.io.tmpdir) is writable, or name a writable folder with --spill-dir");
    }
}
