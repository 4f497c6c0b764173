package io.etlstream.app.theme;

import java.util.Objects;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.value.ChangeListener;
import javafx.beans.value.WeakChangeListener;
import javafx.scene.Scene;

/** The console-wide look: the current theme, applied to every scene attached to it. */
public final class Appearance {

    private static final String LISTENER_KEY = Appearance.class.getName() + ".listener";

    private final ObjectProperty<Theme> theme = new SimpleObjectProperty<>(this, "theme", Theme.LIGHT);

    public Appearance() {}

    public Appearance(Theme initial) {
        theme.set(Objects.requireNonNull(initial));
    }

    public ObjectProperty<Theme> themeProperty() {
        return theme;
    }

    public Theme getTheme() {
        return theme.get();
    }

    public void setTheme(Theme value) {
        theme.set(Objects.requireNonNull(value));
    }

    /**
     * Styles {@code scene} with the current theme and follows later switches. The appearance holds the scene
     * only weakly, so a closed window can be collected; the scene keeps the listener alive.
     */
    public void attach(Scene scene) {
        ChangeListener<Theme> listener = (obs, old, now) -> scene.getStylesheets().setAll(now.stylesheets());
        scene.getProperties().put(LISTENER_KEY, listener);
        theme.addListener(new WeakChangeListener<>(listener));
        scene.getStylesheets().setAll(theme.get().stylesheets());
    }
}
