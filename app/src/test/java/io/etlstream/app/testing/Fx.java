package io.etlstream.app.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.testfx.util.WaitForAsyncUtils;

/** Reads FX state on the FX thread: the bridge changes observable lists there, a test thread must not iterate them. */
public final class Fx {

    private Fx() {}

    public static <T> T read(Callable<T> read) {
        try {
            return WaitForAsyncUtils.asyncFx(read).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("reading FX state failed", e);
        }
    }
}
