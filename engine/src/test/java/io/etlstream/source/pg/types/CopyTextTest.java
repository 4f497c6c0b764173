package io.etlstream.source.pg.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.source.pg.pgoutput.TupleData;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CopyTextTest {

    private static TupleData parse(String line, int cols) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        return CopyText.parseRow(b, 0, b.length, cols);
    }

    @Test
    void unescapesAndKeepsNullApartFromTheTextBackslashN() {
        TupleData t = parse("1\t\\N\ta\\tb\\nc\\\\d\t\\\\N\t\t\\101\\x41é", 6);
        assertThat(t.text(0)).isEqualTo("1");
        assertThat(t.isNull(1)).isTrue();
        assertThat(t.text(2)).isEqualTo("a\tb\nc\\d");
        assertThat(t.text(3)).isEqualTo("\\N");
        assertThat(t.text(4)).isEmpty();
        assertThat(t.isNull(4)).isFalse();
        assertThat(t.text(5)).isEqualTo("AAé");
    }

    @Test
    void aTrailingNullAndAWrongColumnCount() {
        TupleData t = parse("x\t\\N", 2);
        assertThat(t.isNull(1)).isTrue();
        assertThatThrownBy(() -> parse("a\tb\tc", 2)).hasMessageContaining("more than 2");
        assertThatThrownBy(() -> parse("a", 2)).hasMessageContaining("expected 2");
    }
}
