package io.etlstream.batch;

import io.etlstream.source.pg.pgoutput.PgOutputDecoder;
import io.etlstream.source.pg.pgoutput.PgOutputMessage;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;

/**
 * Child-JVM program for {@link LargeTransactionMemoryTest}: drains a slot holding one large transaction through
 * the decoder and the assembler (streamed, so buffered off-heap until StreamCommit), and prints one result line.
 * Args: jdbcUrl slot publication.
 */
public final class LargeTransactionDrain {

    public static void main(String[] args) throws Exception {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        AtomicLong peakHeap = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakHeap.accumulateAndGet(mx.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        long rows = 0;
        long idSum = 0;
        int streamStarts = 0;
        long commits = 0;
        long peakOffHeap;
        long t0 = System.nanoTime();
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        try (RootAllocator alloc = new RootAllocator();
                Connection c = DriverManager.getConnection(args[0], p)) {
            c.setAutoCommit(false);
            long[] counters = new long[3];
            try (Statement st = c.createStatement();
                    TransactionAssembler a = new TransactionAssembler(alloc, BatchLimits.DEFAULT, e -> {
                        if (e instanceof ChangeBatch b) {
                            try (b) {
                                IntVector id = (IntVector) b.root().getVector("id");
                                for (int i = 0; i < b.rowCount(); i++) {
                                    counters[1] += id.get(i);
                                }
                                counters[0] += b.rowCount();
                            }
                        } else if (e instanceof TransactionCommitted) {
                            counters[2]++;
                        }
                    })) {
                st.execute("SET logical_decoding_work_mem = '1MB'");
                st.setFetchSize(2000);
                PgOutputDecoder d = new PgOutputDecoder();
                try (ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_peek_binary_changes('" + args[1]
                        + "', NULL, NULL, 'proto_version', '2', 'streaming', 'on', 'publication_names', '" + args[2]
                        + "')")) {
                    while (rs.next()) {
                        PgOutputMessage m = d.decode(ByteBuffer.wrap(rs.getBytes(1)));
                        if (m instanceof PgOutputMessage.StreamStart) {
                            streamStarts++;
                        }
                        a.accept(m);
                    }
                }
            }
            rows = counters[0];
            idSum = counters[1];
            commits = counters[2];
            peakOffHeap = alloc.getPeakMemoryAllocation();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        sampler.interrupt();
        System.out.println("RESULT rows=" + rows + " idSum=" + idSum + " commits=" + commits + " streamStarts="
                + streamStarts + " peakHeapMB=" + peakHeap.get() / (1024 * 1024) + " maxHeapMB="
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " peakOffHeapMB=" + peakOffHeap / (1024 * 1024)
                + " ms=" + ms);
    }

    private LargeTransactionDrain() {
    }
}
