package io.etlstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etlstream.catalog.PipelineMode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListingTest {

    record Row(String name, PipelineMode mode, Long lag, Instant at) {
    }

    private final List<Row> rows = List.of(
            new Row("orders", PipelineMode.MIRROR, 1024L, Instant.parse("2026-11-26T12:00:00Z")),
            new Row("a", PipelineMode.HISTORY, null, null));

    private Listing<Row> listing(List<Row> r) {
        return Listing.of(r).column("name", Row::name).column("mode", Row::mode).column("lag_bytes", Row::lag)
                .column("updated_at", Row::at).ifEmpty("No pipelines.");
    }

    @Test
    void textIsAlignedWithDashForNull() {
        String nl = System.lineSeparator();
        assertThat(listing(rows).toText()).isEqualTo(
                "NAME    MODE     LAG_BYTES  UPDATED_AT" + nl
                + "orders  mirror   1024       2026-11-26T12:00:00Z" + nl
                + "a       history  -          -" + nl);
    }

    @Test
    void jsonKeepsTypesAndNulls() throws Exception {
        JsonNode json = new ObjectMapper().readTree(listing(rows).toJson());
        assertThat(json.isArray()).isTrue();
        assertThat(json.get(0).get("lag_bytes").isNumber()).isTrue();
        assertThat(json.get(0).get("mode").asText()).isEqualTo("mirror");
        assertThat(json.get(0).get("updated_at").asText()).isEqualTo("2026-11-26T12:00:00Z");
        assertThat(json.get(1).get("lag_bytes").isNull()).isTrue();
    }

    @Test
    void emptyListings() {
        assertThat(listing(List.of()).toText().trim()).isEqualTo("No pipelines.");
        assertThat(listing(List.of()).toJson()).isEqualTo("[ ]");
    }

    @Test
    void columnNamesAreSnakeCase() {
        assertThatThrownBy(() -> Listing.of(rows).column("Last LSN", Row::name))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
