package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.model.BundledModels;
import dev.rill.model.LoadedModel;
import dev.rill.model.Models;
import dev.rill.plugin.PluginRegistry;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** {@code --model} (alias {@code --checkpoint}): the model a command loads. */
final class ModelOptions {

    static final String BUNDLED = "bundled:";

    @Option(names = {"--model", "--checkpoint"}, paramLabel = "PATH",
            description = "The model: a checkpoint folder (from `rill train`), a .gguf file, " + BUNDLED + "NAME, or a Hugging Face model "
                    + "OWNER/REPO[:QUANT] (pulled into the cache when missing; see `rill pull`) (default: the bundled model, "
                    + BUNDLED + BundledModels.DEFAULT + ").")
    String spec;

    /** The model, whatever kind it is, showing how far the reading of a large GGUF file has come. */
    LoadedModel load(PluginRegistry registry) throws IOException {
        Progress reading = Progress.console("loading " + (spec == null ? "" : Path.of(spec).getFileName()));
        try {
            return Models.load(spec, null, registry, 0, reading);
        } finally {
            reading.clear();
        }
    }

    /** The checkpoint folder, for commands that need Rill's own model (training's forward pass with a loss). */
    Path checkpointFolder() throws IOException {
        if (spec == null || spec.isBlank()) return BundledModels.folder(BundledModels.DEFAULT);
        if (spec.startsWith(BUNDLED)) return BundledModels.folder(spec.substring(BUNDLED.length()));
        if (spec.endsWith(".gguf")) throw new IllegalArgumentException("--model " + spec + ": this command needs a Rill checkpoint folder or "
                + BUNDLED + "NAME, not a .gguf file");
        return Path.of(spec);
    }
}
