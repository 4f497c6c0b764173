package io.etlstream.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The metrics endpoint listens on loopback unless told otherwise. */
class PrometheusServerTest {

    @Test
    void defaultBindIsLoopbackAndServesThere() throws Exception {
        try (PrometheusServer s = PrometheusServer.start(0, () -> "etl_stream_up 1\n")) {
            assertThat(s.address().getAddress().isLoopbackAddress()).as("bound to loopback").isTrue();
            assertThat(s.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("etl_stream_up 1\n");
        }
    }

    @Test
    void explicitBindToEveryInterface() {
        try (PrometheusServer s = PrometheusServer.start("0.0.0.0", 0, () -> "")) {
            assertThat(s.address().getAddress().isAnyLocalAddress()).isTrue();
            assertThat(s.port()).isPositive();
        }
    }

    @Test
    void explicitBindToLoopbackByName() throws Exception {
        try (PrometheusServer s = PrometheusServer.start(InetAddress.getLoopbackAddress().getHostAddress(), 0,
                () -> "")) {
            assertThat(s.address().getAddress().isLoopbackAddress()).isTrue();
        }
    }

    @Test
    void unusableAddressTellsWhatToDo() {
        // 192.0.2.0/24 is TEST-NET-1: never an address of this machine, so binding fails.
        assertThatThrownBy(() -> PrometheusServer.start("192.0.2.1", 0, () -> ""))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("--metrics-bind");
    }
}
