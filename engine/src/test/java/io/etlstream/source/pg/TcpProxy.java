package io.etlstream.source.pg;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder in front of a PostgreSQL server that notes when each connection arrives: a source's connection
 * attempts as the network sees them. When the server is down, a client's connection is accepted and closed at once
 * (the client sees the connection end before the server answered). {@link #blackhole()} makes the path swallow
 * everything without closing anything, as a vanished host or a NAT that lost its state would.
 */
final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private final boolean trickle;
    /** Connections accepted while true swallow everything from the start. */
    private volatile boolean blackholed;
    private volatile java.time.Duration swallowAfter;
    private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicLong swallowed = new java.util.concurrent.atomic.AtomicLong();

    /** One forwarded connection; once dead it drops every byte both ways for good, and closes nothing. */
    private static final class Pair {
        volatile boolean dead;
    }

    TcpProxy(String upstreamHost, int upstreamPort) throws IOException {
        this(upstreamHost, upstreamPort, false);
    }

    /**
     * A proxy that hands the server's bytes to the client in pieces of random size (a few bytes up to a few KB, so
     * TLS record headers and bodies are split too) with pauses of 2-3 ms between many of them: longer than any 1 ms
     * read timeout on the client, so such a read times out in the middle of a TLS record or a protocol message.
     */
    static TcpProxy trickling(String upstreamHost, int upstreamPort) throws IOException {
        return new TcpProxy(upstreamHost, upstreamPort, true);
    }

    private TcpProxy(String upstreamHost, int upstreamPort, boolean trickle) throws IOException {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        this.trickle = trickle;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.setPriority(Thread.MAX_PRIORITY);
        acceptor.start();
    }

    String host() {
        return server.getInetAddress().getHostAddress();
    }

    int port() {
        return server.getLocalPort();
    }

    /** {@link System#nanoTime()} of every connection accepted so far, in order. */
    List<Long> arrivals() {
        return List.copyOf(arrivals);
    }

    /** Closes every forwarded connection (both ends get a FIN), as a dead server would; new ones are still accepted. */
    void cutAll() {
        for (Socket s : List.copyOf(open)) {
            closeQuietly(s);
        }
    }

    /**
     * From now on every byte in either direction of every connection, open or new, is read and dropped; no socket is
     * closed, so neither end sees a FIN or RST. Connections open now stay that way even after {@link #restore()} (the
     * state that carried them is gone); connections made after it forward again.
     */
    void blackhole() {
        blackholed = true;
        for (Pair p : List.copyOf(pairs)) {
            p.dead = true;
        }
    }

    /**
     * Every connection made from now on forwards for {@code window} and is then swallowed like after
     * {@link #blackhole()}; null = off (connections made after that forward for good). A server that answers a login
     * and then falls silent on every connection.
     */
    void swallowEachConnectionAfter(java.time.Duration window) {
        swallowAfter = window;
    }

    /** New connections forward again; those that were swallowed stay swallowed. */
    void restore() {
        blackholed = false;
    }

    /** Bytes dropped so far by {@link #blackhole()}. */
    long swallowedBytes() {
        return swallowed.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            arrivals.add(System.nanoTime());
            Socket up = new Socket();
            try {
                up.connect(new InetSocketAddress(upstreamHost, upstreamPort), 2000);
            } catch (IOException e) {
                closeQuietly(up);
                closeQuietly(client); // the server is down: end the client's attempt at once
                continue;
            }
            if (trickle) {
                try {
                    client.setTcpNoDelay(true); // each piece its own segment, not merged again on the way
                } catch (IOException ignored) {
                    // only the pieces' spacing suffers
                }
            }
            open.add(client);
            open.add(up);
            Pair pair = new Pair();
            pair.dead = blackholed;
            pairs.add(pair);
            java.time.Duration window = swallowAfter;
            if (window != null) {
                Thread timer = new Thread(() -> {
                    try {
                        Thread.sleep(window.toMillis());
                        pair.dead = true;
                    } catch (InterruptedException ignored) {
                        // the proxy is closing
                    }
                }, "tcp-proxy-swallow-timer");
                timer.setDaemon(true);
                timer.start();
            }
            pump(client, up, pair, false);
            pump(up, client, pair, trickle);
        }
    }

    private void pump(Socket from, Socket to, Pair pair, boolean trickle) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            var random = java.util.concurrent.ThreadLocalRandom.current();
            // Not try-with-resources: closing a socket's stream closes the socket, and a swallowed connection's
            // other end must stay open.
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (pair.dead) {
                        swallowed.addAndGet(n);
                        continue;
                    }
                    if (!trickle) {
                        out.write(buf, 0, n);
                        out.flush();
                        continue;
                    }
                    for (int off = 0; off < n; ) {
                        // one piece in five is 1-6 bytes: a TLS record header (5 bytes) gets split as well
                        int piece = random.nextInt(5) == 0 ? 1 + random.nextInt(6) : 1 + random.nextInt(6000);
                        piece = Math.min(piece, n - off);
                        out.write(buf, off, piece);
                        out.flush();
                        off += piece;
                        if (random.nextBoolean()) {
                            Thread.sleep(2 + random.nextInt(2));
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException ignored) {
                // either side went away: close both below
            } finally {
                // A swallowed connection's close must not reach the other end either: only this side ends.
                closeQuietly(from);
                open.remove(from);
                if (!pair.dead) {
                    closeQuietly(to);
                    open.remove(to);
                    pairs.remove(pair);
                }
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : List.copyOf(open)) {
            closeQuietly(s);
        }
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
