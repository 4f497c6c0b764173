package io.etlstream.pipeline.control;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etlstream.UserFacingException;
import io.etlstream.home.EtlHome;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's control channel: a Unix domain socket in {@code <home>/control/} (folder and socket readable only by
 * the owner), one JSON request per line, one JSON answer per line. Answers are {@code {"ok":true, ...}} or
 * {@code {"ok":false,"error":"what to do"}}.
 */
public final class ControlServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    static final ObjectMapper JSON = new ObjectMapper();
    static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private final ServerSocketChannel server;
    private final Path socket;
    private final Function<Map<String, Object>, Map<String, Object>> handler;
    private final ExecutorService workers;
    private final Thread acceptor;
    private volatile boolean closed;

    private ControlServer(ServerSocketChannel server, Path socket, Function<Map<String, Object>, Map<String, Object>> h) {
        this.server = server;
        this.socket = socket;
        this.handler = h;
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "control-request");
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "control-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Binds the home's socket; the caller must hold the home's engine lock (so a leftover socket is stale). */
    public static ControlServer start(EtlHome home, Function<Map<String, Object>, Map<String, Object>> handler) {
        Path folder = ControlEndpoint.folder(home);
        Path socket = ControlEndpoint.socket(home);
        try {
            Files.createDirectories(folder);
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            Files.deleteIfExists(socket);
            ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.bind(UnixDomainSocketAddress.of(socket));
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return new ControlServer(ch, socket, handler);
        } catch (IOException e) {
            throw new UserFacingException("cannot open the control socket " + socket + ": " + e.getMessage()
                    + "; check that the home folder is on a local file system and writable", e);
        }
    }

    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                workers.execute(() -> serve(client));
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("control channel accept failed: {}", e.getMessage());
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client;
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                        StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(client)) {
            String line;
            while ((line = in.readLine()) != null) {
                Map<String, Object> answer;
                try {
                    answer = handler.apply(JSON.readValue(line, MAP));
                } catch (UserFacingException e) {
                    answer = error(e.getMessage());
                } catch (RuntimeException | IOException e) {
                    LOG.error("control request failed", e);
                    answer = error("the engine failed to handle the request: " + e + " (see the engine log)");
                }
                out.write(JSON.writeValueAsBytes(answer));
                out.write('\n');
                out.flush();
            }
        } catch (IOException e) {
            LOG.debug("control client went away: {}", e.getMessage());
        }
    }

    static Map<String, Object> error(String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", false);
        m.put("error", message);
        return m;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the control socket: {}", e.getMessage());
        }
        workers.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.debug("removing the control socket: {}", e.getMessage());
        }
    }
}
