package io.etlstream.pipeline.control;

import io.etlstream.home.EtlHome;
import java.nio.file.Path;

/** Where the engine of a home listens: a Unix domain socket in an owner-only folder of the home. */
public final class ControlEndpoint {

    private ControlEndpoint() {}

    public static Path folder(EtlHome home) {
        return home.dir().resolve("control");
    }

    public static Path socket(EtlHome home) {
        return folder(home).resolve("engine.sock");
    }
}
