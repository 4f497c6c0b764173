package io.etlstream.app.testing;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Node;
import javafx.scene.image.WritableImage;
import javax.imageio.ImageIO;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/** Saves PNG snapshots of nodes under {@code etl.screenshots.dir} (app/target/screenshots in Maven). */
public final class Screenshots {

    private Screenshots() {}

    public static Path dir() {
        return Path.of(System.getProperty("etl.screenshots.dir", "target/screenshots"));
    }

    /** Snapshots {@code node} on the FX thread and writes {@code name}; returns the file. */
    public static Path save(Node node, String name) {
        AtomicReference<WritableImage> image = new AtomicReference<>();
        try {
            FxToolkit.setupFixture(() -> image.set(node.snapshot(null, null)));
        } catch (Exception e) {
            throw new IllegalStateException("snapshot of " + name + " failed", e);
        }
        WaitForAsyncUtils.waitForFxEvents();
        return write(image.get(), name);
    }

    /** Writes an image taken earlier (e.g. inside an FX action, before the window it shows went away). */
    public static Path write(WritableImage image, String name) {
        BufferedImage buffered = SwingFXUtils.fromFXImage(image, null);
        Path file = dir().resolve(name);
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(buffered, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
