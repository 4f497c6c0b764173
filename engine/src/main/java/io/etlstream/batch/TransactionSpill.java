package io.etlstream.batch;

import io.etlstream.batch.ChangeBatchBuilder.Segment;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One open transaction's sealed batches on disk: each appended batch is a complete Arrow IPC stream (schema, record
 * batch, end-of-stream) whose last column holds the rows' (sub)transaction ids, so a rolled-back subtransaction can
 * still be filtered out when the batch is read back. Used by one thread (the replication reader); deleted on
 * {@link #close()}.
 */
final class TransactionSpill implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private final SpillDirectory owner;
    private long end;
    private boolean closed;

    private TransactionSpill(Path file, FileChannel channel, SpillDirectory owner) {
        this.file = file;
        this.channel = channel;
        this.owner = owner;
    }

    static TransactionSpill create(Path file, FileAttribute<?>[] attrs, SpillDirectory owner) {
        try {
            FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), attrs);
            return new TransactionSpill(file, ch, owner);
        } catch (IOException e) {
            throw new SpillException("cannot create a spill file in " + file.getParent() + " (" + e.getMessage()
                    + "): check free disk space and permissions of that folder", e);
        }
    }

    /** Bytes written so far. */
    long size() {
        return end;
    }

    /** Writes {@code s} (rows and xids) at the end of the file and closes it; returns where it starts. */
    long append(Segment s) {
        long at = end;
        try (s) {
            List<FieldVector> vectors = new ArrayList<>(s.root.getFieldVectors());
            vectors.add(s.xids);
            // A view over the segment's vectors (no copy); the segment keeps owning them.
            VectorSchemaRoot withXids = new VectorSchemaRoot(vectors);
            withXids.setRowCount(s.rows());
            channel.position(at);
            WriteChannel out = new WriteChannel(channel);
            try (ArrowRecordBatch batch = new VectorUnloader(withXids).getRecordBatch()) {
                MessageSerializer.serialize(out, withXids.getSchema());
                MessageSerializer.serialize(out, batch);
                ArrowStreamWriter.writeEndOfStream(out, IpcOption.DEFAULT);
            }
            end = channel.position();
        } catch (IOException e) {
            throw new SpillException("cannot write to the spill file " + file + " (" + e.getMessage()
                    + "): check free disk space in " + file.getParent(), e);
        }
        owner.countBatch(end - at);
        return at;
    }

    /** Reads back the batch appended at {@code at}; its vectors come from {@code allocator}. */
    Segment read(long at, TableSchema schema, BufferAllocator allocator) {
        VectorSchemaRoot all = null;
        try {
            channel.position(at);
            ReadChannel in = new ReadChannel(channel);
            Schema arrowSchema = MessageSerializer.deserializeSchema(in);
            all = VectorSchemaRoot.create(arrowSchema, allocator);
            try (ArrowRecordBatch batch = MessageSerializer.deserializeRecordBatch(in, allocator)) {
                if (batch == null) {
                    throw new IOException("truncated at " + at);
                }
                new VectorLoader(all).load(batch);
            }
            List<FieldVector> vectors = all.getFieldVectors();
            int n = vectors.size() - 1;
            VectorSchemaRoot rows = new VectorSchemaRoot(new ArrayList<>(vectors.subList(0, n)));
            rows.setRowCount(all.getRowCount());
            return new Segment(schema, rows, (IntVector) vectors.get(n), 0, 0);
        } catch (IOException e) {
            if (all != null) {
                all.close();
            }
            throw new SpillException("cannot read back the spill file " + file + " (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            // e.g. the reader's wait for memory ended because the source stops: not a problem of the file
            if (all != null) {
                all.close();
            }
            throw e;
        }
    }

    /** Closes and deletes the file. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // deleting it is what matters
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(TransactionSpill.class).warn("cannot delete the spill file {}: {};"
                    + " it is removed when the source starts again", file, e.getMessage());
        }
        owner.fileDeleted();
    }

    /** Spilling failed (disk full, permissions): the source retries from the last confirmed position. */
    static final class SpillException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SpillException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
