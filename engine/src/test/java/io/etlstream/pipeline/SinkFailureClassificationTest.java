package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.UserFacingException;
import io.etlstream.sink.snowflake.ChannelInvalidatedException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A failure of the destination as PgSource reports it: a fenced or invalidated channel is retried (the pipeline
 * restarts from the durable position); only a cause the user must fix stops the pipeline.
 */
class SinkFailureClassificationTest {

    @Test
    void aFencedChannelIsRetriedNotAPermanentStop() {
        Throwable reported = new IllegalStateException("the destination failed: fenced",
                new ChannelInvalidatedException("The Snowflake channel for public.t was invalidated", null));
        assertThat(FailureClassifier.classify(reported, Instant.now()).permanent()).isFalse();
    }

    @Test
    void aDestinationErrorTheUserMustFixStillStopsThePipeline() {
        Throwable reported = new IllegalStateException("the destination failed: no privilege",
                new UserFacingException("Could not open the channel. Check that the role may INSERT into it."));
        assertThat(FailureClassifier.classify(reported, Instant.now()).permanent()).isTrue();
    }
}
