package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.pipeline.TableStatus;
import io.etlstream.pipeline.control.StatusCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** 'pipeline status' shows a table the sink stopped as stopped, with its reason and the resync command. */
class StatusPrinterStoppedTableTest {

    static PipelineStatus status() {
        return new PipelineStatus("orders", "pg", "sf", PipelineState.STREAMING, true, PipelineSettings.DEFAULTS,
                List.of(new TableStatus(TableRef.parse("public.a"), TablePhase.STREAMING, 0, 0),
                        TableStatus.stopped(TableRef.parse("public.big"), "Stopped table public.big: too long.")),
                0, 0, 0, 0, 0, 0, 0, 0, 0, null, null, Instant.EPOCH, 1);
    }

    @Test
    void textAndJsonShowTheReasonAndTheResync() {
        StringWriter text = new StringWriter();
        StatusPrinter.detail(new PrintWriter(text, true), status(), false);
        assertThat(text.toString()).contains("public.big").contains("stopped")
                .contains("Stopped table public.big: too long.")
                .contains("etl-stream pipeline resync orders --table public.big");

        PipelineStatus back = StatusCodec.fromMap(StatusCodec.toMap(status()));
        TableStatus big = back.tables().get(1);
        assertThat(big.phase()).isEqualTo(TablePhase.ERRORED);
        assertThat(big.error()).isEqualTo("Stopped table public.big: too long.");
        assertThat(back.tables().get(0).error()).isNull();
        assertThat(StatusCodec.toMap(status()).toString())
                .contains("suggested_action=etl-stream pipeline resync orders --table public.big");
    }
}
