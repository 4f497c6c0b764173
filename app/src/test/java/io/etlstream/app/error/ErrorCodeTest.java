package io.etlstream.app.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.UserFacingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

class ErrorCodeTest {

    @Test
    void theSameThrowSiteGivesTheSameCodeWhateverTheMessage() {
        ErrorCode first = ErrorCode.of(fail("first message"));
        ErrorCode second = ErrorCode.of(fail("another message"));

        assertThat(first).isEqualTo(second);
        assertThat(first.value()).matches("ETL-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}");
    }

    @Test
    void anotherTypeOrPlaceGivesAnotherCode() {
        ErrorCode io = ErrorCode.of(new UncheckedIOException(new IOException("disk full")));
        ErrorCode state = ErrorCode.of(fail("x"));
        ErrorCode elsewhere = ErrorCode.of(failElsewhere());

        assertThat(io).isNotEqualTo(state);
        assertThat(elsewhere).isNotEqualTo(state);
    }

    @Test
    void aCauseCycleDoesNotHang() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);

        assertThat(ErrorCode.of(a).value()).startsWith("ETL-");
    }

    @Test
    void aUserFacingCauseBecomesTheSummaryAndDetailsCarryCodeAndTrace() {
        RuntimeException failure = new RuntimeException("wrapper",
                new UserFacingException("The home /x is used by another engine (pid 42); stop it or pick another --home."));

        ErrorReport report = ErrorReport.of(failure);

        assertThat(report.summary()).isEqualTo(
                "The home /x is used by another engine (pid 42); stop it or pick another --home.");
        assertThat(report.details()).contains("Error code: " + report.code().value())
                .contains("java.lang.RuntimeException: wrapper")
                .contains("at io.etlstream.app.error.ErrorCodeTest");
    }

    @Test
    void anUnexpectedFailureSaysItIsABug() {
        ErrorReport report = ErrorReport.of(new NullPointerException());

        assertThat(report.summary()).contains("NullPointerException");
        assertThat(report.nextStep()).contains("bug report");
    }

    private static IllegalStateException fail(String message) {
        return new IllegalStateException(message);
    }

    private static IllegalStateException failElsewhere() {
        return new IllegalStateException("x");
    }
}
