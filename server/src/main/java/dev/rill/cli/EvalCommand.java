package dev.rill.cli;

import dev.rill.model.Checkpoint;
import dev.rill.model.BundledModels;
import dev.rill.plugin.PluginRegistry;
import dev.rill.train.Evaluation;
import dev.rill.tensor.Parallel;
import dev.rill.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code rill eval}: mean cross-entropy of a checkpoint over a text file, in nats per token. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Mean cross-entropy (nats/token) of a model over every length-T window (stride T) of a text file, or windows of --context.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Checkpoint folder (default: the bundled model).")
    Path checkpoint;
    @Option(names = "--text", paramLabel = "FILE", required = true, description = "UTF-8 text to evaluate on.")
    Path text;
    @Option(names = "--batch", defaultValue = "8", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = {"--context", "-T"}, paramLabel = "N",
            description = "Window length (default: the model's T; longer up to its max context, for encodings that run past T).")
    Integer context;
    @Option(names = "--plugins", paramLabel = "DIR", description = "Also load plugin jars from this folder.")
    Path pluginDir;

    @Override
    public Integer call() throws Exception {
        if (batch <= 0) throw new IllegalArgumentException("--batch must be > 0 (got " + batch + ")");
        PluginRegistry registry = PluginRegistry.load(pluginDir);
        Path dir = checkpoint != null ? checkpoint : BundledModels.folder(BundledModels.DEFAULT);
        Checkpoint.Loaded loaded = Checkpoint.load(dir, registry);
        String content = Trainer.readText(text);
        int[] tokens = loaded.vocabulary().encode(content);
        int window = context != null ? context : loaded.model().config.T();
        Evaluation.Result r;
        try (Parallel pool = new Parallel(Parallel.defaultThreads())) {
            r = pool.call(() -> Evaluation.crossEntropy(loaded.model(), tokens, batch, window));
        }
        System.out.printf(Locale.ROOT, "loss %.4f nats/token over %d windows%s%n", r.loss(), r.windows(),
                context != null ? " of " + window + " tokens" : "");
        return 0;
    }
}
