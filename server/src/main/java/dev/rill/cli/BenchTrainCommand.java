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
import dev.rill.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code rill bench train}: training tokens/s, tokens per second of processor time and peak
 * resident memory of full steps (forward, backward, clipping, AdamW) for configs S and M, and decode
 * tokens/s of the default model. With {@code --pytorch PYTHON} each config also runs through the
 * independent PyTorch reference ({@code server/src/bench/pytorch_reference.py}) right after Rill's,
 * and the ratios are printed; {@code --rounds N} runs the two in turn N times and adds the median ratio.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Training tokens/s and peak memory for configs S and M; decode tokens/s of the bundled models.")
final class BenchTrainCommand implements Callable<Integer> {

    @Option(names = "--config", split = ",", paramLabel = "NAME", defaultValue = "S,M", description = "Which configs, comma-separated: S, M.")
    List<String> configs;
    @Option(names = "--steps", paramLabel = "N", defaultValue = "10", description = "Timed steps per config.")
    int steps;
    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed steps first, at least this many.")
    int warmup;
    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "5",
            description = "Warm-up goes on past --warmup steps until this many seconds have passed: the JIT compiles the kernels "
                    + "during the first seconds (on two threads, 3 steps of config S left some timed steps in slower code). "
                    + "PyTorch gets as many warm-up steps as Rill ran.")
    double warmupSeconds;
    @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
            description = "Rill and then PyTorch this many times in turn per config, each round printing its figures and ratios, "
                    + "then the median ratio: on a shared machine the neighbours' load moves both engines' figures from one minute to the next. "
                    + "Rill's peak RSS is the process's: after the first round it includes what earlier rounds left in the JVM.")
    int rounds;
    @Option(names = "--decode", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also measure decode tokens/s of the bundled models (shakespeare and chat).")
    boolean decode;
    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Compute threads for training (and PyTorch's); 0 = -Drill.threads or every core.")
    int threads;
    @Option(names = "--pytorch", paramLabel = "PYTHON",
            description = "A Python with PyTorch: run the PyTorch reference on each config right after Rill and print the ratios (default: Rill only).")
    String python;
    @Option(names = "--pytorch-script", paramLabel = "FILE", defaultValue = "server/src/bench/pytorch_reference.py",
            description = "The PyTorch reference script, for --pytorch (the path is the source tree's, from the repository root).")
    Path pytorchScript;

    record Shape(String name, int nVocab, int nLayer, int nHead, int nEmb, int T, int nBatch) {
    }

    static final Map<String, Shape> SHAPES = Map.of(
            "S", new Shape("S", 65, 4, 4, 128, 128, 16),
            "M", new Shape("M", 65, 6, 6, 384, 256, 64));

    /** One engine's figures for one config. */
    record Figures(double tokensPerSecond, double tokensPerCpuSecond, double peakRssMiB, int warmupSteps) {
    }

    private static final Pattern PYTORCH_LINE = Pattern.compile(
            "config (\\w+): ([\\d,.]+) tokens/s .*?, ([\\d,.]+) tokens per processor-second, peak RSS ([\\d,.]+|nan) MiB");

    @Override
    public Integer call() throws Exception {
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0 (0 = every core), got " + threads);
        if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        if (rounds < 1 || rounds > 100) throw new IllegalArgumentException("--rounds must be between 1 and 100, got " + rounds);
        if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) {
            throw new IllegalArgumentException("--warmup-seconds must be between 0 and 3600, got " + warmupSeconds);
        }
        if (python != null && !Files.isRegularFile(pytorchScript)) {
            throw new IllegalArgumentException("--pytorch-script " + pytorchScript + " is not a file (run from the repository root, or pass the script's path)");
        }
        if (python != null && !isCommand(python)) {
            throw new IllegalArgumentException("--pytorch " + python + " is neither an executable file nor a command on the PATH (pass a Python with PyTorch, e.g. python3)");
        }
        List<Shape> shapes = new ArrayList<>();
        for (String name : configs) {
            Shape s = SHAPES.get(name.trim().toUpperCase(Locale.ROOT));
            if (s == null) throw new IllegalArgumentException("unknown config '" + name + "'; accepted: S, M");
            shapes.add(s);
        }
        int n = threads > 0 ? threads : Parallel.defaultThreads();
        PluginRegistry registry = PluginRegistry.load();
        System.out.printf(Locale.ROOT, "rill bench train: %d threads, %d-bit vectors, JDK %s%n", n,
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), Runtime.version());
        List<String> compared = new ArrayList<>();
        for (Shape s : shapes) {
            double[] wall = new double[rounds], cpu = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                double load = BenchModelCommand.loadAverage();
                Figures ours = train(registry, s, n);
                if (python == null) continue;
                double refLoad = BenchModelCommand.loadAverage();
                Figures ref = pytorch(s, n, ours.warmupSteps());
                wall[r] = ours.tokensPerSecond() / ref.tokensPerSecond();
                cpu[r] = ours.tokensPerCpuSecond() / ref.tokensPerCpuSecond();
                compared.add(String.format(Locale.ROOT, "Rill / PyTorch, config %s, %s%s: %.2f× tokens/s, %.2f× tokens per processor-second; "
                                + "peak RSS %,.0f / %,.0f MiB (%.2f×); load %.2f / %.2f",
                        s.name(), threadCount(n), rounds > 1 ? ", round " + (r + 1) + " of " + rounds : "", wall[r], cpu[r],
                        ours.peakRssMiB(), ref.peakRssMiB(), ours.peakRssMiB() / ref.peakRssMiB(), load, refLoad));
            }
            if (python != null && rounds > 1) {
                compared.add(String.format(Locale.ROOT, "Rill / PyTorch, config %s, %s, median of %d rounds: %.2f× tokens/s (%s), %.2f× tokens per processor-second (%s)",
                        s.name(), threadCount(n), rounds, BenchModelCommand.median(wall), ratios(wall), BenchModelCommand.median(cpu), ratios(cpu)));
            }
        }
        compared.forEach(System.out::println);
        if (decode) {
            for (String bundled : new String[]{"shakespeare", "chat"}) decode(registry, "bundled:" + bundled);
        }
        return 0;
    }

    private Figures train(PluginRegistry registry, Shape s, int n) {
        PositionalEncoding learned = registry.get(PositionalEncoding.class, "learned");
        GptConfig c = new GptConfig(s.nVocab(), s.T(), s.nLayer(), s.nHead(), s.nEmb(), s.T(), "learned", Map.of());
        Gpt model = new Gpt(c, learned.create(Gpt.shape(c), Params.EMPTY));
        model.initialize(1);
        AdamW adam = new AdamW(model, 0.9, 0.99, 1e-8, 0.1);
        SplittableRandom random = new SplittableRandom(7);
        int tokens = s.nBatch() * s.T();
        int[] x = new int[tokens], y = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            x[i] = random.nextInt(s.nVocab());
            y[i] = random.nextInt(s.nVocab());
        }
        resetPeaks();
        double[] seconds = new double[steps], cpuSeconds = new double[steps];
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int warmed = 0;
        try (Parallel pool = new Parallel(n)) {
            int[] done = {0};
            Runnable step = () -> pool.burst(() -> Trainer.step(model, adam, x, y, s.nBatch(), s.T(), 1.0, 1e-4, ++done[0]));
            for (long w0 = System.nanoTime(); warmed < warmup || System.nanoTime() - w0 < warmupSeconds * 1e9; warmed++) step.run();
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                step.run();
                seconds[i] = (System.nanoTime() - t0) / 1e9;
                cpuSeconds[i] = (os.getProcessCpuTime() - c0) / 1e9;
            }
        }
        Arrays.sort(seconds);
        Arrays.sort(cpuSeconds);
        double median = seconds[steps / 2], medianCpu = cpuSeconds[steps / 2];
        Figures f = new Figures(tokens / median, tokens / medianCpu, peakRssMiB(), warmed);
        System.out.printf(Locale.ROOT, "config %s (nLayer %d, nHead %d, nEmb %d, T %d, nBatch %d; %,d parameters): "
                        + "%,.0f tokens/s (median of %d steps after %d warm-up steps, %.1f ms/step), %,.0f tokens per processor-second, peak heap %.0f MiB, peak RSS %,.0f MiB%n",
                s.name(), s.nLayer(), s.nHead(), s.nEmb(), s.T(), s.nBatch(), model.parameterCount(),
                f.tokensPerSecond(), steps, warmed, median * 1e3, f.tokensPerCpuSecond(), peakHeapBytes() / 1048576.0, f.peakRssMiB());
        model.releaseActivations();
        return f;
    }

    /** Runs the PyTorch reference on one config and reads its figures from the line it prints. */
    private Figures pytorch(Shape s, int n, int warmupSteps) throws IOException, InterruptedException {
        List<String> cmd = List.of(python, pytorchScript.toString(), "--threads", String.valueOf(n), "--steps", String.valueOf(steps),
                "--warmup", String.valueOf(warmupSteps), "--config", s.name());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + lastLine(out));
        Matcher m = PYTORCH_LINE.matcher(out);
        if (!m.find()) throw new IOException(String.join(" ", cmd) + " printed no figures for config " + s.name() + ": " + lastLine(out));
        out.lines().filter(l -> l.contains("config " + s.name() + ":")).findFirst().ifPresent(System.out::println);
        return new Figures(number(m.group(2)), number(m.group(3)), m.group(4).equals("nan") ? Double.NaN : number(m.group(4)), warmupSteps);
    }

    /** "1 thread", "2 threads": how the bench commands label a thread count. */
    static String threadCount(int n) {
        return n + (n == 1 ? " thread" : " threads");
    }

    private static String ratios(double[] r) {
        return Arrays.stream(r).mapToObj(x -> String.format(Locale.ROOT, "%.2f", x)).collect(java.util.stream.Collectors.joining(", "));
    }

    /** Whether {@code name} can be started: an executable file, or (without a slash) one on the PATH. */
    private static boolean isCommand(String name) {
        if (name.contains("/")) return Files.isExecutable(Path.of(name));
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) return true;
        }
        return false;
    }

    private static double number(String s) {
        return Double.parseDouble(s.replace(",", ""));
    }

    private static String lastLine(String out) {
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
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
        // Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM) to the current one.
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // elsewhere the peak is the process's since it started
        }
    }

    /** The process's peak resident set size ({@code VmHWM}), or NaN where /proc has none. */
    static double peakRssMiB() {
        try {
            Matcher m = Pattern.compile("VmHWM:\\s+(\\d+) kB").matcher(Files.readString(Path.of("/proc/self/status")));
            return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) sum += pool.getPeakUsage().getUsed();
        }
        return sum;
    }
}
