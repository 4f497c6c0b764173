package io.etlstream.app.theme;

import java.net.URL;
import java.util.List;
import java.util.Objects;

/**
 * A colour theme: a stylesheet that only defines the named colour tokens on {@code .root}, laid under
 * the shared {@code base.css} that uses them.
 */
public enum Theme {
    LIGHT("light.css"),
    DARK("dark.css");

    private static final String CSS_DIR = "/io/etlstream/ui/css/";

    private final String file;

    Theme(String file) {
        this.file = file;
    }

    /** Stylesheet URLs for a scene, tokens first. */
    public List<String> stylesheets() {
        return List.of(resource(file), resource("base.css"));
    }

    public String tokenStylesheet() {
        return resource(file);
    }

    private static String resource(String name) {
        URL url = Theme.class.getResource(CSS_DIR + name);
        return Objects.requireNonNull(url, () -> "missing stylesheet " + CSS_DIR + name + " (ui-resources)").toExternalForm();
    }
}
