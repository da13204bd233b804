package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.io.AtomicFiles;
import dev.rill.model.Checkpoint;
import dev.rill.model.Gpt;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ModelShape;
import dev.rill.spi.PositionalEncoding;
import dev.rill.tensor.Parallel;
import dev.rill.train.Evaluation;
import dev.rill.train.TrainConfig;
import dev.rill.train.Trainer;
import dev.rill.train.TrainingListener;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rill bench positional}: trains the same small GPT once per positional encoding (same data,
 * tokenizer, sizes, seed, steps and schedule; only the encoding differs) and prints one table:
 * parameters, validation loss on windows of {@code T} and of {@code 2T}, training tokens/s.
 * Each run goes through the ordinary trainer and checkpoint, so what is compared is what
 * {@code rill train} would have produced.
 */
@Command(name = "positional", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the same small GPT once per positional encoding (same data, seed, steps) and compare "
                + "validation loss at T and at 2T, and training tokens/s.",
                "An encoding is NAME or NAME:K=V[:K=V...], e.g. rope:base=500 or sinusoidal:scale=1."})
final class BenchPositionalCommand implements Callable<Integer> {

    static final List<String> DEFAULT_ENCODINGS = List.of("learned", "sinusoidal", "rope", "alibi", "none");

    @Option(names = "--data", paramLabel = "FILE", required = true, description = "UTF-8 text file to train and validate on (last 10%% held out).")
    Path data;
    @Option(names = "--encodings", paramLabel = "SPEC", split = ",", defaultValue = "learned,sinusoidal,rope,alibi,none",
            description = "Encodings to compare, in order.")
    List<String> encodings;
    @Mixin
    TokenizerOptions tokenizer = new TokenizerOptions("char");
    @Mixin
    ModelShapeOptions shape;
    @Mixin
    TrainingOptions training = new TrainingOptions(800, 3e-3, 3e-4, 0, 10);
    @Option(names = "--val-tokens", paramLabel = "N", defaultValue = "131072",
            description = "The table's losses are over the first N tokens of the validation split, all of it when shorter.")
    int valTokens;
    @Mixin
    PluginOptions plugins;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One encoding to compare: how it was written, its plugin name and parameters. */
    record Variant(String label, String name, Map<String, Object> params) {

        /** Parses {@code NAME} or {@code NAME:K=V[:K=V...]}. */
        static Variant parse(String spec) {
            String s = spec.trim();
            String[] parts = s.split(":");
            if (s.isEmpty() || parts[0].isBlank()) throw new IllegalArgumentException("--encodings has an empty entry; expected NAME or NAME:K=V[:K=V...]");
            Map<String, Object> params = KeyValues.parse(Arrays.asList(parts).subList(1, parts.length), "--encodings " + s + ":");
            return new Variant(s, parts[0].trim(), params);
        }
    }

    /** One line of the table; {@code val2T} is NaN where the encoding has no positions past T. */
    record Row(String label, long parameters, double valT, double val2T, double tokensPerSecond, double seconds) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Variant> variants = encodings.stream().map(Variant::parse).toList();
        int steps = training.steps, context = shape.context;
        if (steps <= 0) throw new IllegalArgumentException("--steps must be > 0 (got " + steps + ")");
        if (valTokens <= 2 * context) throw new IllegalArgumentException("--val-tokens (" + valTokens + ") must exceed 2T = " + 2 * context);
        PluginRegistry registry = plugins.registry();
        Map<String, Object> tokParams = tokenizer.given();
        tokenizer.tokenizer(registry).params(tokParams);
        // Every setting is checked before the first run, so a typo in the last encoding does not cost the others' time.
        List<TrainConfig> configs = new ArrayList<>();
        Path work = Files.createTempDirectory("rill-bench-positional-");
        try {
            for (int i = 0; i < variants.size(); i++) configs.add(config(registry, variants.get(i), work.resolve("run-" + i), tokParams));
            String text = Trainer.readText(data);
            out.printf(Locale.ROOT, "rill bench positional: %s (%,d characters); nLayer %d, nHead %d, nEmb %d, T %d, batch %d; "
                            + "%d steps, lr %s → %s, warm-up %d, seed %d; %d threads%n",
                    data.getFileName(), text.length(), shape.nLayer, shape.nHead, shape.nEmb, context, training.batch, steps,
                    plain(training.lr), plain(training.minLr), training.warmup, training.seed, Parallel.defaultThreads());
            out.flush();
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < variants.size(); i++) {
                rows.add(run(registry, variants.get(i), configs.get(i), text, out));
                AtomicFiles.deleteTree(configs.get(i).out());
            }
            out.println();
            out.print(table(rows, context));
            out.flush();
        } finally {
            AtomicFiles.deleteTree(work);
        }
        return 0;
    }

    private TrainConfig config(PluginRegistry registry, Variant v, Path out, Map<String, Object> tokParams) {
        PositionalEncoding encoding = registry.get(PositionalEncoding.class, v.name());
        var params = encoding.params(v.params());
        int nLayer = shape.nLayer, nHead = shape.nHead, nEmb = shape.nEmb, context = shape.context;
        TrainingOptions t = training;
        if (nEmb % nHead != 0) throw new IllegalArgumentException("--n-emb (" + nEmb + ") must be divisible by --n-head (" + nHead + ")");
        // Ask the encoding itself whether it defines positions up to 2T; those that do are trained
        // with that maximum context (it changes nothing in training) so they can be evaluated there.
        int twoT = 2 * context;
        boolean extrapolates = encoding.create(new ModelShape(nEmb, nHead, nEmb / nHead, context, twoT), params).maxPositions() >= twoT;
        return new TrainConfig(data.toAbsolutePath().normalize(), out, tokenizer.name, tokParams, v.name(), v.params(),
                nLayer, nHead, nEmb, context, extrapolates ? twoT : 0, t.batch, t.steps, t.lr, t.minLr, t.warmup, t.weightDecay,
                t.beta1, t.beta2, t.gradClip, t.evalInterval(), t.evalBatches, 0, 0, t.steps, t.seed, 0.1);
    }

    private Row run(PluginRegistry registry, Variant v, TrainConfig config, String text, PrintWriter out) throws IOException {
        out.printf(Locale.ROOT, "%s:%n", v.label());
        out.flush();
        double[] stepSeconds = new double[config.steps()];
        long t0 = System.nanoTime();
        Progress progress = Progress.console("  step");
        new Trainer(registry, new TrainingListener() {
            int lastEval;

            @Override
            public void stepped(Step s) {
                stepSeconds[s.step() - 1] = config.tokensPerStep() / s.tokensPerSecond();
                progress.update(s.step(), s.steps(), "");
            }

            @Override
            public void evaluated(int step, double trainLoss, double valLoss) {
                progress.clear();
                out.printf(Locale.ROOT, "  step %d/%d: train loss %.4f (mean of steps %d-%d), val loss %.4f (%d fixed validation batches)%n",
                        step, config.steps(), trainLoss, lastEval + 1, step, valLoss, config.evalBatches());
                out.flush();
                lastEval = step;
            }
        }).train(config);
        progress.clear();
        double seconds = (System.nanoTime() - t0) / 1e9;
        // The model as its checkpoint gives it back, evaluated on the same held-out tokens at T and 2T.
        Checkpoint.Loaded loaded = Checkpoint.load(config.out(), registry);
        Gpt model = loaded.model();
        int[] tokens = loaded.vocabulary().encode(text);
        int nTrain = config.trainTokens(tokens.length);
        int[] val = Arrays.copyOfRange(tokens, nTrain, (int) Math.min(tokens.length, (long) nTrain + valTokens));
        int T = config.T(), twoT = 2 * T;
        if (val.length <= twoT) {
            throw new IllegalArgumentException(data + " leaves " + val.length + " validation tokens, too few for one window of 2T = " + twoT
                    + "; use more text or a smaller context");
        }
        boolean reaches2T = model.config.maxContext() >= twoT && model.positional.maxPositions() >= twoT;
        int batch = training.batch;
        double valT, val2T;
        try (Parallel pool = new Parallel(Parallel.defaultThreads())) {
            valT = pool.call(() -> Evaluation.crossEntropy(model, val, batch, T).loss());
            val2T = reaches2T ? pool.call(() -> Evaluation.crossEntropy(model, val, Math.max(1, batch / 2), twoT).loss()) : Double.NaN;
        }
        Arrays.sort(stepSeconds);
        double median = stepSeconds[stepSeconds.length / 2];
        return new Row(v.label(), model.parameterCount(), valT, val2T, config.tokensPerStep() / median, seconds);
    }

    /** The comparison as text: one row per encoding, the gap to the best loss at T, and whether all are within 0.1 nats. */
    static String table(List<Row> rows, int T) {
        double best = rows.stream().mapToDouble(Row::valT).min().orElse(Double.NaN);
        int width = Math.max("encoding".length(), rows.stream().mapToInt(r -> r.label().length()).max().orElse(0));
        String atT = "val loss @T=" + T, at2T = "val loss @2T=" + 2 * T;
        StringBuilder sb = new StringBuilder();
        String format = "%-" + width + "s  %12s  %" + atT.length() + "s  %8s  %" + at2T.length() + "s  %12s  %8s%n";
        sb.append(String.format(Locale.ROOT, format, "encoding", "parameters", atT, "vs best", at2T, "train tok/s", "time"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, format, r.label(), String.format(Locale.ROOT, "%,d", r.parameters()),
                    String.format(Locale.ROOT, "%.4f", r.valT()), String.format(Locale.ROOT, "%+.4f", r.valT() - best),
                    Double.isNaN(r.val2T()) ? "n/a" : String.format(Locale.ROOT, "%.4f", r.val2T()),
                    String.format(Locale.ROOT, "%,.0f", r.tokensPerSecond()), minutes(r.seconds())));
        }
        List<String> behind = rows.stream().filter(r -> r.valT() - best > 0.1)
                .sorted(Comparator.comparingDouble(Row::valT)).map(Row::label).toList();
        sb.append(String.format(Locale.ROOT, "losses in nats/token on held-out text; n/a: the encoding defines no positions past T. Spread at T: %.4f nats; %s%n",
                rows.stream().mapToDouble(Row::valT).max().orElse(Double.NaN) - best,
                behind.isEmpty() ? "all within 0.1 of the best." : "more than 0.1 behind the best: " + String.join(", ", behind) + "."));
        return sb.toString();
    }

    private static String plain(double x) {
        return java.math.BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }

    private static String minutes(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
