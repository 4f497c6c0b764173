package io.etlstream.app.i18n;

import java.text.MessageFormat;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * The console's one resource bundle ({@code io/etlstream/ui/messages.properties} in ui-resources).
 * Code passes keys as string literals to {@link #get} so {@code MessagesConsistencyTest} can find them.
 */
public final class Messages {

    /** Base name of the bundle, also handed to every {@code FXMLLoader}. */
    public static final String BUNDLE = "io.etlstream.ui.messages";

    private Messages() {}

    public static ResourceBundle bundle() {
        return ResourceBundle.getBundle(BUNDLE, Locale.getDefault());
    }

    /** The text for {@code key}, with {@code args} filled in through {@link MessageFormat} when given. */
    public static String get(String key, Object... args) {
        String pattern;
        try {
            pattern = bundle().getString(key);
        } catch (MissingResourceException e) {
            // A missing key is a bug the consistency test should have caught; show the key rather than crash a window.
            return "!" + key + "!";
        }
        if (args.length == 0) {
            return pattern;
        }
        return new MessageFormat(pattern, bundle().getLocale()).format(args);
    }
}
