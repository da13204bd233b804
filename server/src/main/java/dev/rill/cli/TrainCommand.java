package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.train.TrainConfig;
import dev.rill.train.Trainer;
import dev.rill.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Option(names = "--data", paramLabel = "FILE", description = "UTF-8 text file to train on (required, except with --resume).")
    Path data;
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/model", description = "Checkpoint folder to write (and to continue with --resume).")
    Path out;
    @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out, with its own settings.")
    boolean resume;
    @Mixin
    TokenizerOptions tokenizer = new TokenizerOptions("char");
    @Option(names = "--positional", paramLabel = "NAME", defaultValue = "learned",
            description = "Positional encoding: learned, sinusoidal, rope, alibi, none, or a plugin's (`rill plugins` lists them with their parameters).")
    String positional;
    @Option(names = "--rope-base", paramLabel = "X",
            description = "RoPE base θ, same as --positional-param base=X (with --positional rope; default: the plugin's, 10000; Llama 3 uses 500000).")
    Double ropeBase;
    @Option(names = "--positional-param", paramLabel = "K=V",
            description = "A positional-encoding parameter (repeatable), e.g. pairing=half, scaling=linear, factor=4 for rope; scale=1 for sinusoidal.")
    List<String> positionalParams;
    @Mixin
    ModelShapeOptions shape;
    @Option(names = "--max-context", paramLabel = "N", defaultValue = "0",
            description = "Longest context for generation and evaluation (0: T; larger only for sinusoidal, rope, alibi, none: positions past T were never trained).")
    int maxContext;
    @Mixin
    TrainingOptions training = new TrainingOptions();
    @Option(names = "--sample-interval", paramLabel = "N", defaultValue = "0", description = "Print a text sample every N steps (0: only at the end).")
    int sampleInterval;
    @Option(names = "--sample-tokens", paramLabel = "N", defaultValue = "200", description = "Tokens in each text sample.")
    int sampleTokens;
    @Option(names = "--checkpoint-interval", paramLabel = "N", defaultValue = "500", description = "Write a checkpoint every N steps (and at the end).")
    int checkpointInterval;
    @Option(names = "--val-fraction", paramLabel = "X", defaultValue = "0.1", description = "The last fraction of the tokens, held out for validation.")
    double valFraction;
    @Mixin
    PluginOptions plugins;

    @Override
    public Integer call() throws Exception {
        PluginRegistry registry = plugins.registry();
        Progress progress = new Progress();
        Trainer trainer = new Trainer(registry, progress);
        Trainer.Result result;
        if (resume) {
            result = trainer.resume(out);
        } else {
            if (data == null) throw new IllegalArgumentException("--data FILE is required (or --resume to continue the run in --out)");
            Map<String, Object> tok = tokenizer.given();
            Map<String, Object> pe = KeyValues.parse(positionalParams, "--positional-param");
            if (ropeBase != null) {
                if (!positional.equals("rope")) throw new IllegalArgumentException("--rope-base applies to --positional rope, not " + positional);
                if (pe.containsKey("base")) throw new IllegalArgumentException("--rope-base and --positional-param base=... both set the RoPE base; give one");
                pe.put("base", ropeBase);
            }
            TrainingOptions t = training;
            TrainConfig config = new TrainConfig(data.toAbsolutePath().normalize(), out.toAbsolutePath().normalize(),
                    tokenizer.name, tok, positional, pe, shape.nLayer, shape.nHead, shape.nEmb, shape.context, maxContext, t.batch, t.steps,
                    t.lr, t.minLr, t.warmup, t.weightDecay, t.beta1, t.beta2, t.gradClip, t.evalInterval(), t.evalBatches,
                    sampleInterval == 0 ? t.steps : sampleInterval, sampleTokens, checkpointInterval, t.seed, valFraction);
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
