package dev.rill.train;

import dev.rill.plugin.PluginRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Small real models for tests: trained by Rill itself on a slice of Tiny Shakespeare. */
public final class TinyModels {

    public static final Path SHAKESPEARE = Path.of("..", "data", "tinyshakespeare.txt").toAbsolutePath().normalize();

    private TinyModels() {
    }

    /** The first {@code chars} characters of Tiny Shakespeare, written to {@code dir}. */
    public static Path text(Path dir, int chars) throws IOException {
        String all = Files.readString(SHAKESPEARE);
        Path f = dir.resolve("slice-" + chars + ".txt");
        Files.writeString(f, all.substring(0, chars));
        return f;
    }

    public static TrainConfig config(Path data, Path out, int steps, int checkpointInterval) {
        return new TrainConfig(data, out, "char", Map.of(), "learned", Map.of(), 1, 2, 16, 16, 0, 4,
                steps, 3e-3, 3e-4, 2, 0.1, 0.9, 0.99, 1.0, 5, 2, 0, 20, checkpointInterval, 42, 0.1);
    }

    /** Trains a tiny checkpoint into {@code out} and returns its folder. */
    public static Path train(Path dir, String name, int steps) throws IOException {
        Path out = dir.resolve(name);
        new Trainer(PluginRegistry.load(), new TrainingListener() {
        }).train(config(text(dir, 20_000), out, steps, steps));
        return out;
    }
}
