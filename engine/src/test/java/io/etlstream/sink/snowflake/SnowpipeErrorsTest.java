package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.UserFacingException;
import io.etlstream.pipeline.FailureClassifier;
import io.etlstream.sink.snowflake.SnowpipeErrors.Kind;
import java.time.Instant;
import net.snowflake.ingest.utils.ErrorCode;
import net.snowflake.ingest.utils.SFException;
import org.junit.jupiter.api.Test;

/** The one place that sorts the SDK's errors: each kind leads to the pipeline reaction it needs. */
class SnowpipeErrorsTest {

    @Test
    void fencedInvalidatedAndClosedChannelsAreLostChannelsThatThePipelineRetries() {
        for (SFException e : new SFException[] {
                new SFException(ErrorCode.INVALID_CHANNEL, "c", "fenced"),
                new SFException(ErrorCode.CLOSED_CHANNEL, "c"),
                new SFException(ErrorCode.CHANNEL_STATUS_INVALID, "c", 20),
                new SFException(ErrorCode.CHANNELS_WITH_UNCOMMITTED_ROWS, "[c]"),
                new SFException(ErrorCode.OPEN_CHANNEL_FAILURE, "injected fault")}) {
            assertThat(SnowpipeErrors.kind(e)).as(e.getMessage()).isEqualTo(Kind.CHANNEL_LOST);
            RuntimeException thrown = SnowpipeErrors.toSinkError(e, "opening the channel", "p.public.t");
            assertThat(thrown).isInstanceOf(ChannelInvalidatedException.class).hasMessageContaining("nothing is lost");
            assertThat(FailureClassifier.classify(thrown, Instant.now()).permanent()).isFalse();
        }
    }

    @Test
    void anOpenRefusedForAMissingOrUnauthorisedTableStopsThePipelineWithAdvice() {
        SFException e = new SFException(ErrorCode.OPEN_CHANNEL_FAILURE,
                "The supplied table does not exist or is not authorized: DB.S.T_HISTORY");
        assertThat(SnowpipeErrors.kind(e)).isEqualTo(Kind.USER_ACTION);
        RuntimeException thrown = SnowpipeErrors.toSinkError(e, "opening the channel", "p.public.t");
        assertThat(thrown).isInstanceOf(UserFacingException.class).hasMessageContaining("may INSERT");
        assertThat(FailureClassifier.classify(thrown, Instant.now()).permanent()).isTrue();
    }

    @Test
    void refusedRowsStopTheTableAndOtherFailuresAreRetried() {
        assertThat(SnowpipeErrors.kind(new SFException(ErrorCode.INVALID_VALUE_ROW, "x"))).isEqualTo(Kind.ROW_REFUSED);
        assertThat(SnowpipeErrors.kind(new SFException(ErrorCode.MAX_ROW_SIZE_EXCEEDED, "16MB")))
                .isEqualTo(Kind.ROW_REFUSED);
        SFException io = new SFException(ErrorCode.CHANNEL_STATUS_FAILURE, "HTTP 503");
        assertThat(SnowpipeErrors.kind(io)).isEqualTo(Kind.TRANSIENT);
        assertThat(FailureClassifier.classify(SnowpipeErrors.toSinkError(io, "reading", "c"), Instant.now())
                .permanent()).isFalse();
    }
}
