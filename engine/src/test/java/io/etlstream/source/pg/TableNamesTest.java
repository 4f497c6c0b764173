package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.batch.TableId;
import org.junit.jupiter.api.Test;

class TableNamesTest {
    @Test
    void foldsUnquotedAndKeepsQuotedNames() {
        assertThat(TableNames.parseList("App.Orders, \"Mixed Case\".\"Tåble \"\"x\"\"\",items"))
                .containsExactly(new TableId("app", "orders"), new TableId("Mixed Case", "Tåble \"x\""),
                        new TableId("public", "items"));
        assertThat(TableNames.parse("\"a.b\".c")).isEqualTo(new TableId("a.b", "c"));
        assertThat(TableNames.sql(new TableId("Mixed Case", "Tåble \"x\""))).isEqualTo("\"Mixed Case\".\"Tåble \"\"x\"\"\"");
        assertThatThrownBy(() -> TableNames.parseList("a.b.c")).isInstanceOf(UserFacingException.class);
        assertThatThrownBy(() -> TableNames.parseList("a,,b")).isInstanceOf(UserFacingException.class);
        assertThatThrownBy(() -> TableNames.parseList("\"a")).isInstanceOf(UserFacingException.class);
    }

    @Test
    void slotNamesComeFromThePipelineId() {
        assertThat(ReplicationNames.forPipeline("Orders-To-SF").slot()).isEqualTo("etl_stream_orders_to_sf");
        assertThat(ReplicationNames.forPipeline("x".repeat(100)).slot()).hasSizeLessThanOrEqualTo(63).startsWith("etl_stream_");
    }
}
