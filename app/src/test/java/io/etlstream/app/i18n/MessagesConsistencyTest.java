package io.etlstream.app.i18n;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every key the console uses exists in messages.properties, and every key there is used. */
class MessagesConsistencyTest {

    private static final Path JAVA_SOURCES = Path.of("src", "main", "java");
    private static final Path UI_RESOURCES = Path.of("..", "ui-resources", "src", "main", "resources", "io", "etlstream", "ui");
    private static final Pattern CODE_KEY = Pattern.compile("Messages\\.get\\(\\s*\"([^\"]+)\"");
    private static final Pattern CODE_NON_LITERAL = Pattern.compile("Messages\\.get\\(\\s*[^\"\\s]");
    private static final Pattern FXML_KEY = Pattern.compile("\"%([A-Za-z0-9_.\\-]+)\"");

    @Test
    void everyUsedKeyExistsAndEveryKeyIsUsed() throws IOException {
        Set<String> defined = definedKeys();
        Set<String> used = new TreeSet<>();
        List<String> nonLiteral = new ArrayList<>();
        for (Path file : files(JAVA_SOURCES, ".java")) {
            String text = Files.readString(file);
            collect(CODE_KEY, text, used);
            Matcher m = CODE_NON_LITERAL.matcher(text);
            while (m.find()) {
                nonLiteral.add(file + ": " + m.group());
            }
        }
        for (Path file : files(UI_RESOURCES, ".fxml")) {
            collect(FXML_KEY, Files.readString(file), used);
        }

        assertThat(used).as("keys found in code and FXML").hasSizeGreaterThan(20);
        assertThat(nonLiteral).as("Messages.get must take a literal key so this test can see it").isEmpty();
        assertThat(new TreeSet<>(used)).as("keys used but missing from messages.properties")
                .isSubsetOf(defined);
        Set<String> unused = new TreeSet<>(defined);
        unused.removeAll(used);
        assertThat(unused).as("keys in messages.properties that nothing uses").isEmpty();
    }

    @Test
    void noUserVisibleTextIsWrittenOutsideTheBundle() throws IOException {
        // Words in an FXML text/promptText attribute, or a literal handed to a text setter, bypass the bundle.
        Pattern fxmlLiteral = Pattern.compile("(?:text|promptText|title)=\"(?!%)([^\"]*\\p{L}[^\"]*)\"");
        Pattern codeLiteral = Pattern.compile(
                "(?:setText|setTitle|setHeaderText|setContentText|setPromptText|new Label|new Button)\\(\\s*\"");
        List<String> offenders = new ArrayList<>();
        for (Path file : files(UI_RESOURCES, ".fxml")) {
            Matcher m = fxmlLiteral.matcher(Files.readString(file));
            while (m.find()) {
                offenders.add(file.getFileName() + ": " + m.group());
            }
        }
        for (Path file : files(JAVA_SOURCES, ".java")) {
            Matcher m = codeLiteral.matcher(Files.readString(file));
            while (m.find()) {
                offenders.add(file.getFileName() + ": " + m.group());
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void everyBundleValueIsAValidMessageFormatWhenItTakesArguments() throws IOException {
        Properties bundle = load();
        for (String key : bundle.stringPropertyNames()) {
            String value = bundle.getProperty(key);
            if (value.contains("{0")) {
                // Throws on a malformed pattern, e.g. an unescaped single apostrophe before a brace.
                new java.text.MessageFormat(value).format(new Object[] {1, "x", "y"});
                assertThat(value).as(key + ": a lone apostrophe vanishes in MessageFormat; write ''")
                        .doesNotContainPattern("(?<!')'(?!')");
            }
        }
    }

    private static Set<String> definedKeys() throws IOException {
        return new TreeSet<>(load().stringPropertyNames());
    }

    private static Properties load() throws IOException {
        Properties p = new Properties();
        try (Reader reader = Files.newBufferedReader(UI_RESOURCES.resolve("messages.properties"), StandardCharsets.ISO_8859_1)) {
            p.load(reader);
        }
        return p;
    }

    private static void collect(Pattern pattern, String text, Set<String> into) {
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            into.add(m.group(1));
        }
    }

    private static List<Path> files(Path root, String suffix) throws IOException {
        assertThat(root).as("run from the app module directory").isDirectory();
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> p.toString().endsWith(suffix)).toList();
        }
    }
}
