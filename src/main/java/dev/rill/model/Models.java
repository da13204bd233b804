package dev.rill.model;

import dev.rill.plugin.PluginRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.DoubleConsumer;

/**
 * Loads a model from what a user names: {@code bundled:NAME} (or nothing, for the default
 * bundled model), a Rill checkpoint folder, or a {@code .gguf} file.
 */
public final class Models {

    private Models() {
    }

    /**
     * @param spec     {@code null}/blank for the default, {@code bundled:NAME}, a folder, or a .gguf file
     * @param name     the name to serve it under ({@code null}: derived from the spec)
     * @param registry where plugins are resolved
     */
    public static LoadedModel load(String spec, String name, PluginRegistry registry) throws IOException {
        return load(spec, name, registry, 0);
    }

    /** As {@link #load(String, String, PluginRegistry)}, capping a GGUF model's context at {@code maxContext} (≤ 0: its own). */
    public static LoadedModel load(String spec, String name, PluginRegistry registry, int maxContext) throws IOException {
        return load(spec, name, registry, maxContext, done -> {
        });
    }

    /**
     * As {@link #load(String, String, PluginRegistry, int)}, telling {@code reading} the fraction of a
     * GGUF file's tensor data read from disk (a checkpoint is read whole, at once).
     */
    public static LoadedModel load(String spec, String name, PluginRegistry registry, int maxContext, DoubleConsumer reading) throws IOException {
        if (spec == null || spec.isBlank()) spec = "bundled:" + BundledModels.DEFAULT;
        if (spec.startsWith("bundled:")) {
            String bundled = spec.substring("bundled:".length());
            Path dir = BundledModels.folder(bundled);
            return Checkpoint.load(dir, registry).toLoadedModel(name != null ? name : bundled);
        }
        Path path = Path.of(spec);
        if (!Files.exists(path)) throw new NoSuchFileException(spec + " (expected a checkpoint folder, a .gguf file, or bundled:NAME)");
        String derived = name != null ? name : path.toAbsolutePath().normalize().getFileName().toString().replaceFirst("\\.gguf$", "");
        if (Files.isDirectory(path)) return Checkpoint.load(path, registry).toLoadedModel(derived);
        if (path.getFileName().toString().endsWith(".gguf")) return gguf(path, derived, registry, maxContext, reading);
        throw new IllegalArgumentException(spec + " is neither a checkpoint folder nor a .gguf file");
    }

    private static LoadedModel gguf(Path path, String name, PluginRegistry registry, int maxContext, DoubleConsumer reading) throws IOException {
        GgufModel m = GgufModel.load(path, registry, maxContext);
        try {
            m.file().readTensorData(reading);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return new LoadedModel(name, path, m.weights(), m.vocabulary(), m.template(), m.info(), m::encodePrompt, m);
    }
}
