package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ComputeBackend;
import dev.rill.tensor.Parallel;
import dev.rill.train.TrainConfig;
import dev.rill.train.Trainer;
import dev.rill.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rill train}: fits a tokenizer and trains a GPT on a text file, with a progress bar. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a GPT on a text file (random windows, next-token cross-entropy, AdamW).")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "FILE", description = "UTF-8 text file to train on.")
    Path data;
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/model", description = "Checkpoint folder (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out, with its own settings.")
    boolean resume;
    @Option(names = "--tokenizer", defaultValue = "char", description = "Tokenizer plugin (default: ${DEFAULT-VALUE}).")
    String tokenizer;
    @Option(names = "--vocab-size", paramLabel = "N", description = "Vocabulary size, for tokenizers that take one (e.g. bpe).")
    Integer vocabSize;
    @Option(names = "--tokenizer-param", paramLabel = "K=V", description = "A tokenizer parameter (repeatable).")
    List<String> tokenizerParams;
    @Option(names = "--positional", paramLabel = "NAME", defaultValue = "learned",
            description = "Positional encoding: learned, sinusoidal, rope, alibi, none, or a plugin's (default: ${DEFAULT-VALUE}; `rill plugins` lists them with their parameters).")
    String positional;
    @Option(names = "--rope-base", paramLabel = "X", description = "RoPE base θ, same as --positional-param base=X (with --positional rope; Llama 3 uses 500000).")
    Double ropeBase;
    @Option(names = "--positional-param", paramLabel = "K=V",
            description = "A positional-encoding parameter (repeatable), e.g. pairing=half, scaling=linear, factor=4 for rope; scale=1 for sinusoidal.")
    List<String> positionalParams;
    @Option(names = "--n-layer", defaultValue = "4") int nLayer;
    @Option(names = "--n-head", defaultValue = "4") int nHead;
    @Option(names = "--n-emb", defaultValue = "128") int nEmb;
    @Option(names = {"--context", "-T"}, defaultValue = "128", description = "Context size T (default: ${DEFAULT-VALUE}).") int context;
    @Option(names = "--max-context", defaultValue = "0",
            description = "Longest context for generation and evaluation (0 = T; larger only for sinusoidal, rope, alibi, none: positions past T were never trained).") int maxContext;
    @Option(names = "--batch", defaultValue = "16", description = "Windows per step, nBatch (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--steps", defaultValue = "2000") int steps;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--min-lr", defaultValue = "1e-4") double minLr;
    @Option(names = "--warmup", defaultValue = "100") int warmup;
    @Option(names = "--weight-decay", defaultValue = "0.1") double weightDecay;
    @Option(names = "--beta1", defaultValue = "0.9") double beta1;
    @Option(names = "--beta2", defaultValue = "0.99") double beta2;
    @Option(names = "--grad-clip", defaultValue = "1.0") double gradClip;
    @Option(names = "--eval-interval", defaultValue = "250") int evalInterval;
    @Option(names = "--eval-batches", defaultValue = "20") int evalBatches;
    @Option(names = "--sample-interval", defaultValue = "0", description = "Print a text sample every N steps (0 = only at the end).") int sampleInterval;
    @Option(names = "--sample-tokens", defaultValue = "200") int sampleTokens;
    @Option(names = "--checkpoint-interval", defaultValue = "500") int checkpointInterval;
    @Option(names = "--seed", defaultValue = "1337") long seed;
    @Option(names = "--val-fraction", defaultValue = "0.1") double valFraction;
    @Option(names = "--plugins", paramLabel = "DIR", description = "Also load plugin jars from this folder.")
    Path pluginDir;

    @Override
    public Integer call() throws Exception {
        PluginRegistry registry = PluginRegistry.load(pluginDir);
        Progress progress = new Progress();
        Trainer trainer = new Trainer(registry, progress, registry.get(ComputeBackend.class, "cpu"), Parallel.defaultThreads());
        Trainer.Result result;
        if (resume) {
            result = trainer.resume(out);
        } else {
            if (data == null) throw new IllegalArgumentException("--data FILE is required (or --resume to continue the run in --out)");
            Map<String, Object> tok = KeyValues.parse(tokenizerParams, "--tokenizer-param");
            if (vocabSize != null) tok.put("vocab_size", vocabSize);
            Map<String, Object> pe = KeyValues.parse(positionalParams, "--positional-param");
            if (ropeBase != null) {
                if (!positional.equals("rope")) throw new IllegalArgumentException("--rope-base applies to --positional rope, not " + positional);
                if (pe.containsKey("base")) throw new IllegalArgumentException("--rope-base and --positional-param base=... both set the RoPE base; give one");
                pe.put("base", ropeBase);
            }
            TrainConfig config = new TrainConfig(data.toAbsolutePath().normalize(), out.toAbsolutePath().normalize(),
                    tokenizer, tok, positional, pe, nLayer, nHead, nEmb, context, maxContext, batch, steps, lr, minLr,
                    warmup, weightDecay, beta1, beta2, gradClip, evalInterval, evalBatches,
                    sampleInterval == 0 ? steps : sampleInterval, sampleTokens, checkpointInterval, seed, valFraction);
            result = trainer.train(config);
        }
        progress.finish();
        System.out.printf(Locale.ROOT, "done: %d steps, train loss %.4f, val loss %.4f, %,d parameters, checkpoint %s%n",
                result.steps(), result.trainLoss(), result.valLoss(), result.parameters(), result.checkpoint());
        return 0;
    }

    /** A one-line progress bar on a terminal (a line per evaluation otherwise). */
    static final class Progress implements TrainingListener {
        private final boolean tty = System.console() != null && System.console().isTerminal();
        private double lastVal = Double.NaN, ema = Double.NaN;
        private long lastDraw;

        @Override
        public void started(Start s) {
            System.out.printf(Locale.ROOT, "model: %,d parameters, vocabulary %d; data: %,d train / %,d validation tokens; steps %d..%d%n",
                    s.parameters(), s.nVocab(), s.trainTokens(), s.valTokens(), s.startStep() + 1, s.steps());
        }

        @Override
        public void stepped(Step s) {
            ema = Double.isNaN(ema) ? s.loss() : 0.9 * ema + 0.1 * s.loss();
            long now = System.nanoTime();
            if (!tty) {
                // Not a terminal (a log file, CI): a plain line now and then instead of a bar.
                int every = Math.max(1, s.steps() / 50);
                if (s.step() % every == 0 || s.step() == s.steps()) {
                    System.out.printf(Locale.ROOT, "step %d/%d: loss %.4f (avg %.4f), lr %.2e, %,.0f tok/s, %.0f s elapsed%n",
                            s.step(), s.steps(), s.loss(), ema, s.learningRate(), s.tokensPerSecond(), s.elapsedSeconds());
                }
                return;
            }
            if (now - lastDraw < 200_000_000L && s.step() != s.steps()) return;
            lastDraw = now;
            int width = 24, filled = (int) ((long) width * s.step() / s.steps());
            double perStep = s.elapsedSeconds() / Math.max(1, s.step());
            long eta = Math.round(perStep * (s.steps() - s.step()));
            System.err.printf(Locale.ROOT, "\r%6d/%d [%s%s] train %.4f  val %s  %,.0f tok/s  ETA %d:%02d  ",
                    s.step(), s.steps(), "=".repeat(filled), " ".repeat(width - filled), ema,
                    Double.isNaN(lastVal) ? "  -   " : String.format(Locale.ROOT, "%.4f", lastVal),
                    s.tokensPerSecond(), eta / 60, eta % 60);
        }

        @Override
        public void evaluated(int step, double trainLoss, double valLoss) {
            lastVal = valLoss;
            clearLine();
            System.out.printf(Locale.ROOT, "step %d: train loss %.4f, val loss %.4f%n", step, trainLoss, valLoss);
        }

        @Override
        public void sampled(int step, String text) {
            clearLine();
            System.out.println("--- sample at step " + step + " ---");
            System.out.println(text);
            System.out.println("---");
        }

        @Override
        public void checkpointed(int step, Path dir) {
            clearLine();
            System.out.println("checkpoint at step " + step + ": " + dir + " (loss plot: " + dir.resolve("loss.svg") + ")");
        }

        private void clearLine() {
            if (tty) System.err.print("\r" + " ".repeat(100) + "\r");
        }

        void finish() {
            clearLine();
        }
    }
}
