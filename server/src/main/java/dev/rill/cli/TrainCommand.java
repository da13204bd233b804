package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ComputeBackend;
import dev.rill.tensor.Parallel;
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

/** {@code rill train}: fits a tokenizer and trains a GPT on a text file, or fine-tunes one on conversations, with a progress bar. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a GPT on a text file (random windows, next-token cross-entropy, AdamW),",
                "or fine-tune one on conversations: --sft FILE.jsonl --base CHECKPOINT."})
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "FILE", description = "UTF-8 text file to train on (required, unless --sft or --resume).")
    Path data;
    @Option(names = "--sft", paramLabel = "FILE",
            description = "Fine-tune on conversations instead of --data (required for fine-tuning): JSONL, one {\"messages\": [{\"role\": ..., \"content\": ...}, ...]} a line; the loss counts assistant tokens only, --val-fraction of the conversations are held out.")
    Path sft;
    @Option(names = "--base", paramLabel = "DIR",
            description = "Start from this Rill checkpoint: its tokenizer, architecture and weights; the size and tokenizer options are ignored (default: none, a new model).")
    Path base;
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
    @Option(names = "--val-fraction", paramLabel = "X", defaultValue = "0.1",
            description = "The last fraction of the tokens held out for validation (with --sft: that fraction of the conversations, a seeded split).")
    double valFraction;
    @Mixin
    PluginOptions plugins;

    @Override
    public Integer call() throws Exception {
        PluginRegistry registry = plugins.registry();
        Report report = new Report();
        Trainer trainer = new Trainer(registry, report, registry.get(ComputeBackend.class, "cpu"), Parallel.defaultThreads());
        Trainer.Result result;
        if (resume) {
            result = trainer.resume(out);
        } else {
            if (data != null && sft != null) throw new IllegalArgumentException("give --data FILE (a text) or --sft FILE (conversations), not both");
            if (data == null && sft == null) throw new IllegalArgumentException("--data FILE or --sft FILE is required (or --resume to continue the run in --out)");
            Path file = data != null ? data : sft;
            Map<String, Object> tok = tokenizer.given();
            Map<String, Object> pe = KeyValues.parse(positionalParams, "--positional-param");
            if (ropeBase != null) {
                if (!positional.equals("rope")) throw new IllegalArgumentException("--rope-base applies to --positional rope, not " + positional);
                if (pe.containsKey("base")) throw new IllegalArgumentException("--rope-base and --positional-param base=... both set the RoPE base; give one");
                pe.put("base", ropeBase);
            }
            TrainingOptions t = training;
            TrainConfig config = new TrainConfig(file.toAbsolutePath().normalize(), out.toAbsolutePath().normalize(),
                    tokenizer.name, tok, positional, pe, shape.nLayer, shape.nHead, shape.nEmb, shape.context, maxContext, t.batch, t.steps,
                    t.lr, t.minLr, t.warmup, t.weightDecay, t.beta1, t.beta2, t.gradClip, t.evalInterval(), t.evalBatches,
                    sampleInterval == 0 ? t.steps : sampleInterval, sampleTokens, checkpointInterval, t.seed, valFraction,
                    base == null ? null : base.toAbsolutePath().normalize(), sft != null);
            result = trainer.train(config);
        }
        report.done(result);
        return 0;
    }

    /**
     * What a run reports, labelled so that each loss says what it is a mean of: a progress bar on a
     * terminal (a line every 2% of the run in a log), a line per validation, samples, checkpoints.
     */
    static final class Report implements TrainingListener {
        /** Steps in the running mean of the training loss shown in the bar and the log lines. */
        static final int RECENT = 20;

        private final boolean tty = Progress.onTerminal();
        private final Progress bar = new Progress("step", tty, System.err, System.out::println, 0);
        private final double[] recent = new double[RECENT];
        private int seen;
        private int evalBatches, lastEval, meanFrom;
        private String valLabel = "val loss", valWhat = "fixed validation batches";
        private double lastVal = Double.NaN, lastTrainMean = Double.NaN;

        private final Progress fitting = Progress.console("fitting the tokenizer");

        @Override
        public void fittingTokenizer(double fraction) {
            fitting.accept(fraction);
        }

        @Override
        public void started(Start s) {
            fitting.clear();
            evalBatches = s.evalBatches();
            if (s.sft()) {
                valLabel = "held-out assistant-token loss";
                valWhat = "held-out conversations, assistant tokens only";
            }
            lastEval = s.startStep();
            meanFrom = s.startStep() + 1;
            System.out.printf(Locale.ROOT, "model: %,d parameters, vocabulary %d; data: %,d train / %,d validation tokens; steps %d..%d%n",
                    s.parameters(), s.nVocab(), s.trainTokens(), s.valTokens(), s.startStep() + 1, s.steps());
            System.out.printf(Locale.ROOT, "losses (nats/token): train = mean over training steps (the last %d in the %s, those since the "
                            + "previous validation at each validation); %s%n",
                    RECENT, tty ? "bar" : "progress lines", s.sft()
                            ? "held-out = mean over every assistant token of the held-out conversations, never trained on, every " + s.evalInterval() + " steps"
                            : "val = mean over " + evalBatches + " fixed validation batches, never trained on, every " + s.evalInterval() + " steps");
        }

        @Override
        public void stepped(Step s) {
            recent[seen++ % RECENT] = s.loss();
            double mean = 0;
            int n = Math.min(seen, RECENT);
            for (int i = 0; i < n; i++) mean += recent[i];
            mean /= n;
            String detail = tty
                    ? String.format(Locale.ROOT, "train %.4f  val %s  %,.0f tok/s", mean,
                    Double.isNaN(lastVal) ? "  -   " : String.format(Locale.ROOT, "%.4f", lastVal), s.tokensPerSecond())
                    : String.format(Locale.ROOT, "train loss %.4f (mean of the last %d steps; this step %.4f), lr %.2e, %,.0f tok/s",
                    mean, n, s.loss(), s.learningRate(), s.tokensPerSecond());
            bar.update(s.step(), s.steps(), detail);
        }

        @Override
        public void evaluated(int step, double trainLoss, double valLoss) {
            lastVal = valLoss;
            if (step == 0) {   // a run from a base checkpoint: the loss before its first step
                bar.println(System.out, String.format(Locale.ROOT, "step 0 (before training): %s %.4f", valLabel, valLoss));
                return;
            }
            lastTrainMean = trainLoss;
            meanFrom = lastEval + 1;
            bar.println(System.out, String.format(Locale.ROOT, "step %d: train loss %.4f (mean of steps %d-%d), %s %.4f (%s)",
                    step, trainLoss, meanFrom, step, valLabel, valLoss, valLabel.equals("val loss") ? evalBatches + " " + valWhat : valWhat));
            lastEval = step;
        }

        @Override
        public void sampled(int step, String text) {
            bar.println(System.out, "--- sample at step " + step + " ---");
            System.out.println(text);
            System.out.println("---");
        }

        @Override
        public void checkpointed(int step, Path dir) {
            bar.println(System.out, "checkpoint at step " + step + ": " + dir + " (loss plot: " + dir.resolve("loss.svg") + ")");
        }

        /** The last line: what the run ended with, each loss named. */
        void done(Trainer.Result r) {
            if (Double.isNaN(lastTrainMean)) {   // nothing was left to run
                bar.println(System.out, String.format(Locale.ROOT, "done: %d steps; checkpoint %s", r.steps(), r.checkpoint()));
                return;
            }
            bar.println(System.out, String.format(Locale.ROOT, "done: %d steps; train loss %.4f (mean of steps %d-%d), %s %.4f (%s); "
                            + "%,d parameters; checkpoint %s", r.steps(), lastTrainMean, meanFrom, r.steps(), valLabel, lastVal,
                    valLabel.equals("val loss") ? evalBatches + " " + valWhat : valWhat, r.parameters(), r.checkpoint()));
        }
    }
}
