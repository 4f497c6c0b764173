package io.etlstream.pipeline.control;

import io.etlstream.UserFacingException;
import io.etlstream.home.EtlHome;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Talks to the engine running on a home through its control socket. */
public final class ControlClient implements AutoCloseable {

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private ControlClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects when an engine listens on the home; empty when none runs (no socket, or a stale one). */
    public static Optional<ControlClient> connect(EtlHome home) {
        Path socket = ControlEndpoint.socket(home);
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                ch.close();
                return Optional.empty();
            }
            return Optional.of(new ControlClient(ch));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Sends one request; returns the answer, or throws the engine's refusal as a {@link UserFacingException}. */
    public Map<String, Object> request(Map<String, Object> request) {
        try {
            out.write(ControlServer.JSON.writeValueAsBytes(request));
            out.write('\n');
            out.flush();
            String line = in.readLine();
            if (line == null) {
                throw new UserFacingException("the engine closed the control connection; check the engine log");
            }
            Map<String, Object> answer = ControlServer.JSON.readValue(line, ControlServer.MAP);
            if (!Boolean.TRUE.equals(answer.get("ok"))) {
                throw new UserFacingException(String.valueOf(answer.get("error")));
            }
            return answer;
        } catch (IOException e) {
            throw new UserFacingException("lost the connection to the engine: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
