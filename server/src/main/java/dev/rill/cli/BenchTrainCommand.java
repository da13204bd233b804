package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.Generator;
import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.model.LoadedModel;
import dev.rill.model.Models;
import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoding;
import dev.rill.tensor.Parallel;
import dev.rill.train.AdamW;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code rill bench train}: training tokens/s and peak heap of full steps (forward, backward,
 * clipping, AdamW) for configs S and M, and decode tokens/s of the default model.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Training tokens/s and peak memory for configs S and M; decode tokens/s of the bundled models.")
final class BenchTrainCommand implements Callable<Integer> {

    @Option(names = "--config", split = ",", paramLabel = "NAME", defaultValue = "S,M", description = "Which configs, comma-separated: S, M.")
    List<String> configs;
    @Option(names = "--steps", paramLabel = "N", defaultValue = "10", description = "Timed steps per config.")
    int steps;
    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed steps first, for the JIT.")
    int warmup;
    @Option(names = "--decode", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also measure decode tokens/s of the bundled models (shakespeare and chat).")
    boolean decode;

    record Shape(String name, int nVocab, int nLayer, int nHead, int nEmb, int T, int nBatch) {
    }

    static final Map<String, Shape> SHAPES = Map.of(
            "S", new Shape("S", 65, 4, 4, 128, 128, 16),
            "M", new Shape("M", 65, 6, 6, 384, 256, 64));

    @Override
    public Integer call() throws Exception {
        PluginRegistry registry = PluginRegistry.load();
        System.out.printf(Locale.ROOT, "rill bench train: %d threads, %d-bit vectors, JDK %s%n", Parallel.defaultThreads(),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), Runtime.version());
        for (String name : configs) {
            Shape s = SHAPES.get(name.trim().toUpperCase(Locale.ROOT));
            if (s == null) throw new IllegalArgumentException("unknown config '" + name + "'; accepted: S, M");
            train(registry, s);
        }
        if (decode) {
            for (String bundled : new String[]{"shakespeare", "chat"}) decode(registry, "bundled:" + bundled);
        }
        return 0;
    }

    private void train(PluginRegistry registry, Shape s) {
        PositionalEncoding learned = registry.get(PositionalEncoding.class, "learned");
        GptConfig c = new GptConfig(s.nVocab(), s.T(), s.nLayer(), s.nHead(), s.nEmb(), s.T(), "learned", Map.of());
        Gpt model = new Gpt(c, learned.create(Gpt.shape(c), Params.EMPTY));
        model.initialize(1);
        AdamW adam = new AdamW(model, 0.9, 0.99, 1e-8, 0.1);
        SplittableRandom random = new SplittableRandom(7);
        int n = s.nBatch() * s.T();
        int[] x = new int[n], y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextInt(s.nVocab());
            y[i] = random.nextInt(s.nVocab());
        }
        resetPeaks();
        double[] seconds = new double[steps];
        Progress progress = Progress.console("config " + s.name() + ", step");
        try (Parallel pool = new Parallel(Parallel.defaultThreads())) {
            pool.run(() -> {
                for (int i = -warmup; i < steps; i++) {
                    long t0 = System.nanoTime();
                    model.zeroGrad();
                    model.forward(x, y, s.nBatch(), s.T());
                    model.backward();
                    AdamW.clipGradNorm(model.grads, 1.0);
                    adam.step(model.params, model.grads, 1e-4, Math.max(1, i + warmup + 1));
                    if (i >= 0) seconds[i] = (System.nanoTime() - t0) / 1e9;
                    progress.update(i + warmup + 1, warmup + steps, i < 0 ? "(warm-up)" : "");   // outside the timed part
                }
            });
        }
        progress.clear();
        Arrays.sort(seconds);
        double median = seconds[steps / 2];
        System.out.printf(Locale.ROOT, "config %s (nLayer %d, nHead %d, nEmb %d, T %d, nBatch %d; %,d parameters): "
                        + "%,.0f tokens/s (median of %d steps, %.1f ms/step), peak heap %.0f MiB%n",
                s.name(), s.nLayer(), s.nHead(), s.nEmb(), s.T(), s.nBatch(), model.parameterCount(),
                n / median, steps, median * 1e3, peakHeapBytes() / 1048576.0);
        model.releaseActivations();
    }

    private void decode(PluginRegistry registry, String model) throws Exception {
        LoadedModel loaded = Models.load(model, null, registry);
        ComputeBackend cpu = registry.get(ComputeBackend.class, "cpu");
        int tokens = Math.min(256, loaded.maxContext() - 1);
        try (ForwardPass pass = cpu.prepare(loaded.weights(), Params.EMPTY)) {
            Generator generator = new Generator(loaded, pass);
            SamplerChain greedy = SamplerChain.of(registry, SamplerChain.DEFAULT, Map.of("temperature", 0));
            int[] prompt = loaded.vocabulary().encode("\n");
            GenerationResult r = null;
            double[] rates = new double[5];
            for (int i = -2; i < rates.length; i++) {
                r = generator.generateNow(new GenerationRequest(prompt, tokens, greedy, 1L, List.of()), t -> {
                });
                if (i >= 0) rates[i] = r.tokensPerSecond();
            }
            Arrays.sort(rates);
            System.out.printf(Locale.ROOT, "decode, bundled model %s (%s parameters): %,.0f tokens/s (median of %d runs of %d tokens, KV cache, greedy)%n",
                    loaded.name(), loaded.info().parameters(), rates[rates.length / 2], rates.length, tokens);
        }
    }

    private static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) pool.resetPeakUsage();
    }

    private static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) sum += pool.getPeakUsage().getUsed();
        }
        return sum;
    }
}
