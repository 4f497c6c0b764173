package io.etlstream.metrics;

import com.sun.net.httpserver.HttpServer;
import io.etlstream.UserFacingException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** Serves {@code GET /metrics} in Prometheus text format from a supplier of the current text (JDK HTTP server). */
public final class PrometheusServer implements AutoCloseable {

    private final HttpServer server;

    private PrometheusServer(HttpServer server) {
        this.server = server;
    }

    /** Listens on every interface at {@code port} (0 = any free port). */
    public static PrometheusServer start(int port, Supplier<String> text) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(port), 16);
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
            throw new UserFacingException("cannot serve metrics on port " + port + ": " + e.getMessage()
                    + "; choose another --metrics-port", e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
