package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.model.Checkpoint;
import dev.rill.plugin.PluginRegistry;
import dev.rill.train.Evaluation;
import dev.rill.tensor.Parallel;
import dev.rill.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code rill eval}: mean cross-entropy of a checkpoint over a text file, in nats per token. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Mean cross-entropy (nats/token) of a model over every length-T window (stride T) of a text file, or windows of --context.")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;
    @Option(names = "--data", paramLabel = "FILE", required = true, description = "UTF-8 text file to evaluate on.")
    Path data;
    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Windows per forward pass.")
    int batch;
    @Option(names = {"--context", "-T"}, paramLabel = "N",
            description = "Window length (default: the model's T; longer up to its max context, for encodings that run past T).")
    Integer context;
    @Mixin
    PluginOptions plugins;

    @Override
    public Integer call() throws Exception {
        if (batch <= 0) throw new IllegalArgumentException("--batch must be > 0 (got " + batch + ")");
        PluginRegistry registry = plugins.registry();
        Checkpoint.Loaded loaded = Checkpoint.load(model.checkpointFolder(), registry);
        String content = Trainer.readText(data);
        int[] tokens = loaded.vocabulary().encode(content);
        int window = context != null ? context : loaded.model().config.T();
        Progress progress = Progress.console("eval");
        Evaluation.Result r;
        try (Parallel pool = new Parallel(Parallel.defaultThreads())) {
            r = pool.call(() -> Evaluation.crossEntropy(loaded.model(), tokens, batch, window, progress));
        }
        progress.clear();
        System.out.printf(Locale.ROOT, "loss %.4f nats/token over %d windows%s%n", r.loss(), r.windows(),
                context != null ? " of " + window + " tokens" : "");
        return 0;
    }
}
