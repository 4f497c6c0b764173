package io.etlstream.app.error;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * A short code that names where a failure came from, so two users hitting the same bug quote the same
 * code: {@code ETL-AAAA-BBBB-CCCC} from the root cause's type, the method that threw it, and the chain
 * of exception types plus the first etl-stream method on the way. Line numbers and messages are left out
 * so the code survives rebuilds and differing inputs.
 */
public record ErrorCode(String value) {

    private static final String OWN_PACKAGE = "io.etlstream.";

    public ErrorCode {
        Objects.requireNonNull(value, "value");
    }

    public static ErrorCode of(Throwable failure) {
        Objects.requireNonNull(failure, "failure");
        Throwable root = rootCause(failure);
        String type = root.getClass().getName();
        StackTraceElement[] rootTrace = root.getStackTrace();
        String thrower = rootTrace.length == 0 ? "" : frame(rootTrace[0]);
        StringBuilder path = new StringBuilder();
        String ownFrame = "";
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 64; depth++, t = t.getCause() == t ? null : t.getCause()) {
            path.append(t.getClass().getName()).append('>');
            if (ownFrame.isEmpty()) {
                for (StackTraceElement element : t.getStackTrace()) {
                    if (element.getClassName().startsWith(OWN_PACKAGE)) {
                        ownFrame = frame(element);
                        break;
                    }
                }
            }
        }
        return new ErrorCode("ETL-" + hash(type) + "-" + hash(thrower) + "-" + hash(path + ownFrame));
    }

    static Throwable rootCause(Throwable failure) {
        Throwable root = failure;
        // The bound stops a cause cycle from looping forever.
        for (int i = 0; i < 64 && root.getCause() != null && root.getCause() != root; i++) {
            root = root.getCause();
        }
        return root;
    }

    private static String frame(StackTraceElement element) {
        return element.getClassName() + "#" + element.getMethodName();
    }

    private static String hash(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().withUpperCase().toHexDigits((short) (crc.getValue() ^ (crc.getValue() >>> 16)));
    }

    @Override
    public String toString() {
        return value;
    }
}
