package io.etlstream.app.main;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.app.engine.ConsoleEngine;
import io.etlstream.pipeline.PipelineError;
import io.etlstream.pipeline.PipelineSettings;
import io.etlstream.pipeline.PipelineState;
import io.etlstream.pipeline.PipelineStatus;
import io.etlstream.pipeline.SourceReconnect;
import io.etlstream.pipeline.TablePhase;
import io.etlstream.pipeline.TableRef;
import io.etlstream.pipeline.TableStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Snapshots as the list shows them. */
class PipelineRowsTest {

    private static PipelineStatus status(PipelineState state, long lagBytes, double lagSeconds, double rows,
            PipelineError error) {
        return new PipelineStatus("orders", "pg", "sf", state, true, PipelineSettings.DEFAULTS,
                List.of(new TableStatus(TableRef.parse("public.orders"), TablePhase.STREAMING, 0, 0)), 0, lagBytes,
                lagSeconds, rows, 0, 0, 0, 0, 0, null, error, Instant.EPOCH, 1);
    }

    @Test
    void aStreamingPipelineShowsLagAndThroughputWithItsEndpoints() {
        PipelineRow row = PipelineRows.of(List.of(status(PipelineState.STREAMING, 1536, 2.25, 360.94, null)),
                Map.of("orders", new ConsoleEngine.Endpoints("pg (db:5432/shop)", "sf (DB.RAW)"))).get(0);
        assertThat(row.status()).isEqualTo("Streaming");
        assertThat(row.lag()).isEqualTo("1.5 KiB \u00b7 2.3 s");
        assertThat(row.throughput()).isEqualTo("360.9");
        assertThat(row.source()).isEqualTo("pg (db:5432/shop)");
        assertThat(row.tables()).containsExactly("public.orders");
    }

    @Test
    void aFailedPipelineSaysWhyAndWhatToDoAndShowsNoFigures() {
        PipelineRow withAction = PipelineRows.of(List.of(status(PipelineState.FAILED, 10, 1, 5,
                new PipelineError(Instant.EPOCH, "table public.orders does not exist", "create it", true))),
                Map.of()).get(0);
        assertThat(withAction.status()).isEqualTo("Failed: table public.orders does not exist \u2014 create it");
        assertThat(withAction.lag()).isEmpty();
        assertThat(withAction.throughput()).isEmpty();
        assertThat(withAction.source()).as("the snapshot's own names without endpoints").isEqualTo("pg");

        PipelineRow withoutAction = PipelineRows.of(List.of(status(PipelineState.FAILED, 0, 0, 0,
                new PipelineError(Instant.EPOCH, "boom", "", false))), Map.of()).get(0);
        assertThat(withoutAction.status()).isEqualTo("Failed: boom");
    }

    @Test
    void aStoppedTableShowsItsReasonAndTheResyncThatBringsItBack() {
        PipelineStatus s = new PipelineStatus("orders", "pg", "sf", PipelineState.STREAMING, true,
                PipelineSettings.DEFAULTS, List.of(new TableStatus(TableRef.parse("public.orders"),
                        TablePhase.STREAMING, 0, 0), TableStatus.stopped(TableRef.parse("public.big"),
                        "Stopped table public.big: the value is too long.")), 0, 0, 0, 0, 0, 0, 0, 0, 0, null, null,
                Instant.EPOCH, 1);
        PipelineRow row = PipelineRows.of(List.of(s), Map.of()).get(0);
        assertThat(row.status()).isEqualTo("Streaming \u2014 table public.big stopped: Stopped table public.big: the"
                + " value is too long. To bring it back: etl-stream pipeline resync orders --table public.big");
    }

    @Test
    void aReconnectingSourceSaysHowOftenItFailedWhenItTriesAgainAndWhy() {
        Instant now = Instant.parse("2026-11-27T07:00:00Z");
        PipelineStatus base = status(PipelineState.STREAMING, 10, 1, 5, null);
        PipelineRow row = PipelineRows.of(List.of(reconnecting(base, new SourceReconnect(1, "refused",
                now.plusMillis(2100), now))), Map.of(), now).get(0);
        assertThat(row.status()).isEqualTo("Streaming \u2014 reconnecting");
        assertThat(row.sourceReconnecting()).isTrue();
        assertThat(row.sourceNotice()).startsWith("Reconnecting to PostgreSQL (1 failed attempt, next in 3 s): refused."
                + " The pipeline keeps running");

        PipelineRow due = PipelineRows.of(List.of(reconnecting(base, new SourceReconnect(4, "timed out.", null, now))),
                Map.of(), now).get(0);
        assertThat(due.sourceNotice()).startsWith("Reconnecting to PostgreSQL (4 failed attempts, trying now): timed out."
                + " The pipeline");

        PipelineRow back = PipelineRows.of(List.of(base), Map.of(), now).get(0);
        assertThat(back.status()).isEqualTo("Streaming");
        assertThat(back.sourceReconnecting()).isFalse();
    }

    @Test
    void aFailureAndAReconnectAreBothShownAndASourceThatNeverConnectedCannotConnect() {
        Instant now = Instant.parse("2026-11-27T07:00:00Z");
        SourceReconnect lost = new SourceReconnect(2, "refused", now.plusSeconds(2), now);
        PipelineRow failed = PipelineRows.of(List.of(reconnecting(status(PipelineState.FAILED, -1, -1, 0,
                new PipelineError(Instant.EPOCH, "boom", "fix it", true)), lost)), Map.of(), now).get(0);
        assertThat(failed.status()).isEqualTo("Failed (source reconnecting): boom \u2014 fix it");
        assertThat(failed.failure()).isTrue();
        assertThat(failed.statusDetails()).isEqualTo(failed.status() + "\n\n" + failed.sourceNotice())
                .contains("Reconnecting to PostgreSQL (2 failed attempts, next in 2 s): refused. The source keeps trying"
                        + " on its own, but the pipeline has failed");

        SourceReconnect never = new SourceReconnect(2, "connection to db:5432 was refused: check the port",
                now.plusSeconds(2), now, true);
        PipelineRow down = PipelineRows.of(List.of(reconnecting(status(PipelineState.STREAMING, 10, 1, 5, null),
                never)), Map.of(), now).get(0);
        assertThat(down.status()).isEqualTo("Streaming \u2014 cannot connect");
        assertThat(down.failure()).isFalse();
        assertThat(down.statusDetails()).isEqualTo(down.sourceNotice())
                .startsWith("Cannot connect to PostgreSQL (2 failed attempts, next in 2 s): connection to db:5432 was"
                        + " refused: check the port. The source has not reached the server");
        PipelineRow downAndFailed = PipelineRows.of(List.of(reconnecting(status(PipelineState.FAILED, -1, -1, 0,
                new PipelineError(Instant.EPOCH, "boom", "", true)), never)), Map.of(), now).get(0);
        assertThat(downAndFailed.status()).isEqualTo("Failed (source cannot connect): boom");
        assertThat(downAndFailed.sourceNotice()).startsWith("Cannot connect to PostgreSQL (2 failed attempts");
    }

    private static PipelineStatus reconnecting(PipelineStatus s, SourceReconnect r) {
        return new PipelineStatus(s.name(), s.source(), s.destination(), s.state(), s.enabled(), s.settings(),
                s.tables(), s.lastCommittedLsn(), s.lagBytes(), s.lagSeconds(), s.rowsPerSecond(), s.bytesPerSecond(),
                s.batchLatencyMillis(), s.rowsTotal(), s.bytesTotal(), s.attempt(), s.nextAttemptAt(), s.lastError(),
                s.since(), s.version(), r);
    }

    @Test
    void bytesUseBinaryUnits() {
        assertThat(PipelineRows.bytes(0)).isEqualTo("0 B");
        assertThat(PipelineRows.bytes(1023)).isEqualTo("1023 B");
        assertThat(PipelineRows.bytes(5L * 1024 * 1024 * 1024)).isEqualTo("5.0 GiB");
    }
}
