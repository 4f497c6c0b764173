package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.source.pg.pgoutput.TupleData;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CopyTextRowTest {
    @Test
    void splitsColumnsAndUndoesTheTextFormatEscapes() {
        byte[] row = "1\t\\N\ta\\tb\\nc\\\\d\t\\x41\\101\t\tünï\n".getBytes(StandardCharsets.UTF_8);
        TupleData t = CopyTextRow.parse(row, 6);
        assertThat(t.text(0)).isEqualTo("1");
        assertThat(t.isNull(1)).isTrue();
        assertThat(t.text(2)).isEqualTo("a\tb\nc\\d");
        assertThat(t.text(3)).isEqualTo("AA");
        assertThat(t.kind(4)).isEqualTo(TupleData.TEXT);
        assertThat(t.text(4)).isEmpty();
        assertThat(t.text(5)).isEqualTo("ünï");
    }

    @Test
    void rowsWithoutEscapesAreNotCopied() {
        byte[] row = "7\tplain\n".getBytes(StandardCharsets.UTF_8);
        TupleData t = CopyTextRow.parse(row, 2);
        assertThat(t.data()).isSameAs(row);
        assertThat(t.text(1)).isEqualTo("plain");
        assertThatThrownBy(() -> CopyTextRow.parse(row, 3)).isInstanceOf(IllegalStateException.class);
    }
}
