package io.etlstream.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Facts about this build of the console, shown in About and in error details. */
public final class AppInfo {

    private AppInfo() {}

    /** The version Maven wrote into the engine jar, or "unknown" when run from an unpackaged tree. */
    public static String version() {
        Properties p = new Properties();
        try (InputStream in = AppInfo.class.getResourceAsStream("/io/etlstream/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }

    /** One line naming the runtime, for bug reports. */
    public static String runtime() {
        return "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), JavaFX "
                + System.getProperty("javafx.runtime.version", System.getProperty("javafx.version", "?")) + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + " " + System.getProperty("os.arch");
    }
}
