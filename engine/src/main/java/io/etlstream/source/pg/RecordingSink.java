package io.etlstream.source.pg;

import io.etlstream.batch.ChangeBatch;
import io.etlstream.batch.ChangeEvent;
import io.etlstream.batch.Heartbeat;
import io.etlstream.batch.SchemaChange;
import io.etlstream.batch.TableId;
import io.etlstream.batch.TransactionCommitted;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Appends every change as one text line to a file and makes it durable ({@code fsync}) before reporting the
 * transaction durable: the reference destination for crash tests and a readable trace for debugging. Survives
 * restarts (append mode); {@link #read(Path)} parses the file back.
 *
 * <p>Line format, tab-separated: {@code R lsn seq op schema table col=value...} for rows (values escaped, null as
 * {@code \N}, unchanged TOAST as {@code \U}; a TRUNCATE is a row with op {@code T} and every value null; a last field
 * {@code K} marks a half of an update that changed the row's key, {@link ChangeBatch#KEY_CHANGED}),
 * {@code C commitLsn endLsn} for commits,
 * {@code S schema table cols} for schema changes, {@code P schema table} when a table's snapshot is complete.
 */
public final class RecordingSink implements ChangeSink {

    /** One parsed row line; {@code keyChanged}: a half of an update that changed the row's key. */
    public record Row(long lsn, int seq, String op, TableId table, Map<String, String> values, boolean keyChanged) {
        public Row(long lsn, int seq, String op, TableId table, Map<String, String> values) {
            this(lsn, seq, op, table, values, false);
        }
    }

    private final Path file;
    private final long delayPerBatchMillis;
    private FileChannel channel;
    private Durability durability;
    private final StringBuilder pending = new StringBuilder();

    public RecordingSink(Path file) {
        this(file, 0);
    }

    /** A sink that also sleeps per batch: a slow destination. */
    public RecordingSink(Path file, long delayPerBatchMillis) {
        this.file = file;
        this.delayPerBatchMillis = delayPerBatchMillis;
    }

    @Override
    public void open(Durability durability) throws IOException {
        this.durability = durability;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    @Override
    public void accept(ChangeEvent event) throws Exception {
        if (event instanceof ChangeBatch b) {
            try (b) {
                appendRows(b);
            }
            if (delayPerBatchMillis > 0) {
                Thread.sleep(delayPerBatchMillis);
            }
        } else if (event instanceof TransactionCommitted c) {
            pending.append("C\t").append(c.commitLsn()).append('\t').append(c.endLsn()).append('\n');
            flush();
            durability.durable(c.endLsn());
        } else if (event instanceof SchemaChange s) {
            pending.append("S\t").append(escape(s.table().schema())).append('\t').append(escape(s.table().name()));
            s.after().columns().forEach(c -> pending.append('\t').append(escape(c.name())));
            pending.append('\n');
        } else if (event instanceof Heartbeat h) {
            pending.append("H\t").append(h.lsn()).append('\n');
        }
    }

    @Override
    public void snapshotCompleted(TableId table) throws IOException {
        pending.append("P\t").append(escape(table.schema())).append('\t').append(escape(table.name())).append('\n');
        flush();
        durability.snapshotDurable(table);
    }

    private void appendRows(ChangeBatch b) {
        VectorSchemaRoot root = b.root();
        int n = b.schema().columnCount();
        FieldVector op = root.getVector(ChangeBatch.OP);
        FieldVector lsn = root.getVector(ChangeBatch.COMMIT_LSN);
        FieldVector seq = root.getVector(ChangeBatch.SEQ);
        FieldVector toast = root.getVector(ChangeBatch.UNCHANGED_TOAST);
        for (int r = 0; r < b.rowCount(); r++) {
            pending.append("R\t").append(lsn.getObject(r)).append('\t').append(seq.getObject(r)).append('\t')
                    .append(op.getObject(r)).append('\t').append(escape(b.table().schema())).append('\t')
                    .append(escape(b.table().name()));
            Object unchanged = toast.getObject(r);
            for (int c = 0; c < n; c++) {
                FieldVector v = root.getVector(c);
                Object value = v.getObject(r);
                pending.append('\t').append(escape(v.getName())).append('=');
                if (unchanged instanceof List<?> l && l.contains(c)) {
                    pending.append("\\U");
                } else {
                    pending.append(value == null ? "\\N" : escape(render(value)));
                }
            }
            if (unchanged instanceof List<?> l && l.contains(ChangeBatch.KEY_CHANGED)) {
                pending.append("\tK"); // no '=': a column field always has one
            }
            pending.append('\n');
        }
    }

    private static String render(Object value) {
        if (value instanceof byte[] bytes) {
            StringBuilder sb = new StringBuilder("\\x");
            for (byte x : bytes) {
                sb.append(String.format("%02x", x));
            }
            return sb.toString();
        }
        return value.toString();
    }

    private void flush() throws IOException {
        if (pending.length() > 0) {
            ByteBuffer buf = ByteBuffer.wrap(pending.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            pending.setLength(0);
        }
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            // Unflushed lines belong to transactions that were never reported durable: dropping them is correct.
            channel.close();
        }
    }

    /** Parses the row lines of a recording. */
    public static List<Row> read(Path file) {
        List<Row> out = new ArrayList<>();
        try {
            if (!Files.exists(file)) {
                return out;
            }
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.startsWith("R\t")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                Map<String, String> values = new LinkedHashMap<>();
                boolean keyChanged = false;
                for (int i = 6; i < f.length; i++) {
                    if (f[i].equals("K")) {
                        keyChanged = true;
                        continue;
                    }
                    int eq = f[i].indexOf('=');
                    String v = f[i].substring(eq + 1);
                    values.put(unescape(f[i].substring(0, eq)), "\\N".equals(v) ? null : unescape(v));
                }
                out.add(new Row(Long.parseLong(f[1]), Integer.parseInt(f[2]), f[3],
                        new TableId(unescape(f[4]), unescape(f[5])), values, keyChanged));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** All lines, for tests that check the order of commits, truncates and schema changes. */
    public static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("=", "\\e");
    }

    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                sb.append(n == 't' ? '\t' : n == 'n' ? '\n' : n == 'e' ? '=' : n);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
