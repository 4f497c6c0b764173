package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class OffsetTokenTest {

    @Test
    void textFormRoundTrips() {
        OffsetToken c = OffsetToken.complete(0x16B374D848L);
        assertThat(c.toString()).isEqualTo("16/B374D848");
        assertThat(OffsetToken.parse("16/B374D848")).isEqualTo(c);
        OffsetToken p = OffsetToken.partial(0x16B374D848L, 1200);
        assertThat(p.toString()).isEqualTo("16/B374D848:1200");
        assertThat(OffsetToken.parse(p.toString())).isEqualTo(p);
        assertThat(OffsetToken.parse("0/0")).isEqualTo(OffsetToken.complete(0));
        assertThat(OffsetToken.parse("FFFFFFFF/FFFFFFFF").lsn()).isEqualTo(-1L);
        assertThat(OffsetToken.parse(null)).isNull();
        assertThat(OffsetToken.parse("")).isNull();
    }

    @Test
    void foreignTokensAreRejectedWithAnExplanation() {
        assertThatThrownBy(() -> OffsetToken.parse("12345")).hasMessageContaining("not an etl-stream offset token");
        assertThatThrownBy(() -> OffsetToken.parse("1/2:x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OffsetToken.parse("100000000/0")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void partialPositionsSortBeforeTheCompleteTransactionAndLsnOrderIsUnsigned() {
        List<OffsetToken> l = new ArrayList<>(List.of(OffsetToken.complete(5), OffsetToken.partial(5, 9),
                OffsetToken.partial(5, 2), OffsetToken.complete(4), OffsetToken.complete(0x8000000000000000L)));
        Collections.shuffle(l);
        Collections.sort(l);
        assertThat(l).containsExactly(OffsetToken.complete(4), OffsetToken.partial(5, 2), OffsetToken.partial(5, 9),
                OffsetToken.complete(5), OffsetToken.complete(0x8000000000000000L));
    }

    @Test
    void coversDecidesWhatToSkipAfterARestart() {
        OffsetToken p = OffsetToken.partial(100, 7);
        assertThat(p.covers(99, 500)).isTrue();
        assertThat(p.covers(100, 7)).isTrue();
        assertThat(p.covers(100, 8)).isFalse();
        assertThat(p.covers(101, 0)).isFalse();
        OffsetToken c = OffsetToken.complete(100);
        assertThat(c.covers(100, 1_000_000)).isTrue();
        assertThat(c.covers(101, 0)).isFalse();
    }
}
