package io.etlstream.metrics;

import com.sun.net.httpserver.HttpServer;
import io.etlstream.UserFacingException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** Serves {@code GET /metrics} in Prometheus text format from a supplier of the current text (JDK HTTP server). */
public final class PrometheusServer implements AutoCloseable {

    /** Where metrics are served unless told otherwise: this machine only, since the text names pipelines and tables. */
    public static final String DEFAULT_BIND = "127.0.0.1";

    private final HttpServer server;

    private PrometheusServer(HttpServer server) {
        this.server = server;
    }

    /** Listens on {@link #DEFAULT_BIND} (loopback only) at {@code port} (0 = any free port). */
    public static PrometheusServer start(int port, Supplier<String> text) {
        return start(DEFAULT_BIND, port, text);
    }

    /**
     * Listens on {@code bindAddress} (an IP address or host name; {@code 0.0.0.0} = every interface) at {@code port}
     * (0 = any free port).
     */
    public static PrometheusServer start(String bindAddress, int port, Supplier<String> text) {
        InetAddress address;
        try {
            address = InetAddress.getByName(bindAddress);
        } catch (UnknownHostException e) {
            throw new UserFacingException("cannot serve metrics on " + bindAddress + ": unknown address; give an IP"
                    + " address of this machine to --metrics-bind (default " + DEFAULT_BIND + ")", e);
        }
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(address, port), 16);
            s.createContext("/metrics", ex -> {
                try (ex) {
                    if (!"GET".equals(ex.getRequestMethod())) {
                        ex.sendResponseHeaders(405, -1);
                        return;
                    }
                    byte[] body = text.get().getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    ex.sendResponseHeaders(200, body.length);
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(body);
                    }
                }
            });
            s.setExecutor(null);
            s.start();
            return new PrometheusServer(s);
        } catch (IOException e) {
            throw new UserFacingException("cannot serve metrics on " + bindAddress + " port " + port + ": "
                    + e.getMessage() + "; choose another --metrics-port, or an address of this machine for"
                    + " --metrics-bind", e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The address and port actually listened on. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
