package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.model.Checkpoint;
import dev.rill.plugin.PluginRegistry;
import dev.rill.train.ChatData;
import dev.rill.train.Evaluation;
import dev.rill.tensor.Parallel;
import dev.rill.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code rill eval}: mean cross-entropy of a checkpoint over a text file, or over the assistant turns of chats, in nats per token. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Mean cross-entropy (nats/token) of a model over every length-T window (stride T) of a text file, or windows of --context;",
                "with --sft FILE.jsonl, over the assistant tokens of every conversation (each from position 0)."})
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;
    @Option(names = "--data", paramLabel = "FILE", description = "UTF-8 text file to evaluate on (required, unless --sft).")
    Path data;
    @Option(names = "--sft", paramLabel = "FILE", description = "Conversations (JSONL, as rill train --sft takes) to evaluate the assistant turns of, instead of --data (default: none).")
    Path sft;
    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Windows (conversations) per forward pass.")
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
        if ((data == null) == (sft == null)) throw new IllegalArgumentException("give one of --data FILE (a text) or --sft FILE (conversations)");
        if (sft != null) {
            var conversations = ChatData.parse(Trainer.readText(sft), sft.toString());
            Evaluation.Result r = Evaluation.chatLoss(loaded.model(), loaded.vocabulary(), conversations, batch, sft.toString());
            System.out.printf(Locale.ROOT, "assistant-token loss %.4f nats/token over %d assistant tokens of %d conversations%n",
                    r.loss(), r.tokens(), r.windows());
            return 0;
        }
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
