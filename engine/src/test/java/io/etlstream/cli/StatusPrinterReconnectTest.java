package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.SourceReconnect;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.pipeline.TableStatus;
import io.etlstream.pipeline.control.StatusCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** 'pipeline status' shows a source reconnecting by itself: attempts, error and next attempt, text and JSON. */
class StatusPrinterReconnectTest {

    private static PipelineStatus status(SourceReconnect r) {
        return new PipelineStatus("orders", "pg", "sf", PipelineState.STREAMING, true, PipelineSettings.DEFAULTS,
                List.of(new TableStatus(TableRef.parse("public.a"), TablePhase.STREAMING, 0, 0)),
                0, 0, 0, 0, 0, 0, 0, 0, 0, null, null, Instant.EPOCH, 1, r);
    }

    @Test
    void detailAndJsonShowTheReconnectAndNothingWhenConnected() {
        SourceReconnect r = new SourceReconnect(4, "Connection to 127.0.0.1:5432 refused",
                Instant.parse("2026-11-27T07:00:02Z"), Instant.parse("2026-11-27T07:00:00Z"));
        StringWriter text = new StringWriter();
        StatusPrinter.detail(new PrintWriter(text, true), status(r), false);
        assertThat(text.toString()).contains("reconnecting since 2026-11-27T07:00:00Z, 4 failed attempt(s)")
                .contains("next attempt 2026-11-27T07:00:02Z").contains("Connection to 127.0.0.1:5432 refused");
        assertThat(StatusCodec.fromMap(StatusCodec.toMap(status(r))).sourceReconnect()).isEqualTo(r);

        StringWriter connected = new StringWriter();
        StatusPrinter.detail(new PrintWriter(connected, true), status(null), false);
        assertThat(connected.toString()).doesNotContain("reconnecting");
        assertThat(StatusCodec.fromMap(StatusCodec.toMap(status(null))).sourceReconnect()).isNull();

        StringWriter list = new StringWriter();
        StatusPrinter.table(new PrintWriter(list, true), List.of(status(r)), false, "running");
        assertThat(list.toString()).contains("streaming (reconnecting)");
    }

    @Test
    void aSourceThatNeverConnectedIsShownAsNotReachableNotAsReconnecting() {
        SourceReconnect r = new SourceReconnect(2, "connection to 127.0.0.1:5432 was refused: check the port",
                Instant.parse("2026-11-27T07:00:02Z"), Instant.parse("2026-11-27T07:00:00Z"), true);
        StringWriter text = new StringWriter();
        StatusPrinter.detail(new PrintWriter(text, true), status(r), false);
        assertThat(text.toString())
                .contains("not reachable (never connected), trying since 2026-11-27T07:00:00Z, 2 failed attempt(s)")
                .contains("was refused: check the port").doesNotContain("reconnecting");
        assertThat(StatusCodec.toMap(status(r)).get("source_reconnecting").toString()).contains("never_connected=true");
        assertThat(StatusCodec.fromMap(StatusCodec.toMap(status(r))).sourceReconnect()).isEqualTo(r);

        StringWriter list = new StringWriter();
        StatusPrinter.table(new PrintWriter(list, true), List.of(status(r)), false, "running");
        assertThat(list.toString()).contains("streaming (cannot connect)").doesNotContain("reconnecting");
    }
}
