package dev.rill.model;

import dev.rill.hub.Hub;
import dev.rill.hub.HubRef;
import dev.rill.plugin.PluginRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.DoubleConsumer;
import java.util.logging.Logger;

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
        }, null);
    }

    /**
     * As {@link #load(String, String, PluginRegistry, int)}, telling {@code reading} the fraction of a
     * GGUF file's tensor data read from disk (a checkpoint is read whole, at once).
     */
    public static LoadedModel load(String spec, String name, PluginRegistry registry, int maxContext, DoubleConsumer reading) throws IOException {
        return load(spec, name, registry, maxContext, reading, null);
    }

    /**
     * As {@link #load(String, String, PluginRegistry, int, DoubleConsumer)}; a Hugging Face reference
     * ({@code OWNER/REPO[:QUANT]}, {@code OWNER/REPO/FILE.gguf}) that is not a local path is taken from the
     * model cache, pulled through {@code hub} when missing ({@code null}: the Hub the environment names).
     */
    public static LoadedModel load(String spec, String name, PluginRegistry registry, int maxContext, DoubleConsumer reading, Hub hub)
            throws IOException {
        if (spec == null || spec.isBlank()) spec = "bundled:" + BundledModels.DEFAULT;
        if (spec.startsWith("bundled:")) {
            String bundled = spec.substring("bundled:".length());
            Path dir = BundledModels.folder(bundled);
            return Checkpoint.load(dir, registry).toLoadedModel(name != null ? name : bundled);
        }
        Path path = Path.of(spec);
        if (!Files.exists(path)) {
            Optional<HubRef> ref = HubRef.parse(spec);
            if (ref.isEmpty()) throw new NoSuchFileException(spec + " (expected a checkpoint folder, a .gguf file, bundled:NAME, or a Hugging Face model OWNER/REPO[:QUANT])");
            path = pull(hub == null ? new Hub(Hub.Settings.fromEnvironment(System.getenv(), System.getProperty("user.home"))) : hub, ref.get(), spec);
            if (name == null) name = path.getFileName().toString().replaceFirst("\\.gguf$", "");
        }
        String derived = name != null ? name : path.toAbsolutePath().normalize().getFileName().toString().replaceFirst("\\.gguf$", "");
        if (Files.isDirectory(path)) return Checkpoint.load(path, registry).toLoadedModel(derived);
        if (path.getFileName().toString().endsWith(".gguf")) return gguf(path, derived, registry, maxContext, reading);
        throw new IllegalArgumentException(spec + " is neither a checkpoint folder nor a .gguf file");
    }

    private static Path pull(Hub hub, HubRef ref, String spec) throws IOException {
        try {
            return hub.pull(ref, new LoggedProgress());
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(spec + " is not a file or folder here, and pulling it from " + hub.settings().endpoint() + " failed: "
                    + e.getMessage(), e);
        }
    }

    /** Pull progress in the log: a line at the start, every 10 %, and at the end. */
    private static final class LoggedProgress implements Hub.Progress {
        private static final Logger LOG = Logger.getLogger(Models.class.getName());
        private String name;
        private long total;
        private int lastTenth = -1;

        @Override
        public void started(String name, long total, long resumed) {
            this.name = name;
            this.total = total;
            LOG.info(() -> "pulling " + name + " (" + total / 1_000_000 + " MB" + (resumed > 0 ? ", resuming at " + resumed / 1_000_000 + " MB" : "") + ")");
        }

        @Override
        public void advanced(long done) {
            int tenth = total > 0 ? (int) (10 * done / total) : 0;
            if (tenth > lastTenth) {
                lastTenth = tenth;
                LOG.info(() -> "pulling " + name + ": " + 10 * lastTenth + " %");
            }
        }

        @Override
        public void finished(String checked) {
            LOG.info(() -> "pulled " + name + ": " + checked);
        }
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
