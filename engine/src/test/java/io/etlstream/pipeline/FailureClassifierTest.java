package io.etlstream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.source.pg.ReplicationStream;
import java.sql.SQLException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The action a user reads for a failed pipeline must be one that can work. */
class FailureClassifierTest {

    @Test
    void aSlotFoundInvalidatedOrMissingAtStartAsksForAResyncNotARestart() {
        // As PgSource throws them when pg_replication_slots shows the slot lost or gone: no SQLException inside.
        for (Throwable slot : new Throwable[] {
                new ReplicationStream.SlotInvalidatedException("etl_stream_p", null),
                new ReplicationStream.SlotMissingException("replication slot etl_stream_p disappeared", null),
                new RuntimeException("source failed", new ReplicationStream.SlotInvalidatedException("etl_stream_p",
                        null))}) {
            PipelineError e = FailureClassifier.classify(slot, Instant.EPOCH);
            assertThat(e.permanent()).as(slot.toString()).isTrue();
            assertThat(e.suggestedAction()).as(slot.toString()).contains("etl-stream pipeline resync")
                    .doesNotContain("then start the pipeline");
        }
    }

    @Test
    void theWalsendersOwnInvalidationErrorStillAsksForAResync() {
        SQLException lost = new SQLException("ERROR: can no longer get changes from replication slot \"etl_stream_p\"",
                "55000");
        PipelineError e = FailureClassifier.classify(lost, Instant.EPOCH);
        assertThat(e.permanent()).isTrue();
        assertThat(e.suggestedAction()).contains("etl-stream pipeline resync");
    }
}
