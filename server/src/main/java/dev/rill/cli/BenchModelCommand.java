package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.gguf.GgufValueType;
import dev.rill.gguf.GgufWriter;
import dev.rill.model.GgufModel;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.BlockFormats;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.Params;
import dev.rill.spi.Tensor.DType;
import dev.rill.spi.Tensor;
import dev.rill.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code rill bench model}: prompt processing and decode speed of a GGUF model on the CPU backend,
 * per thread count, beside the bandwidth bound (STREAM-triad bandwidth measured here ÷ bytes of
 * weights read per decoded token) and the machine's load average when each figure was taken; with
 * {@code --backend} another backend (e.g. {@code tornadovm}) is checked against the cpu and measured
 * the same way on the same file, beside the CPU's figures.
 * {@code --create} first writes a synthetic random-weight Llama model (default shaped like
 * stories110M; {@code --shape llama-1b} like Llama 3.2 1B, with grouped-query attention) in one
 * type, or in the {@code Q4_K_M} mix, to benchmark without downloading anything.
 */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Prompt-processing and decode tokens/s of a GGUF model, with the memory-bandwidth bound.")
final class BenchModelCommand implements Runnable {

    // Not ModelOptions: only a GGUF file, and required.
    @Option(names = {"--model", "--checkpoint"}, required = true, paramLabel = "FILE", description = "The GGUF file (written first with --create).")
    Path model;

    @Option(names = "--create", paramLabel = "TYPE",
            description = "Write a synthetic Llama model to --model first, weights in TYPE: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, "
                    + "or Q4_K_M (Q4_K with Q6_K output and ffn_down, as llama.cpp's Q4_K_M mixes them) (default: none, --model must exist).")
    String create;

    @Option(names = "--shape", paramLabel = "SHAPE", defaultValue = "stories110m",
            description = "Shape of the synthetic model: DIM,LAYERS,HEADS,[KV_HEADS,]HIDDEN,VOCAB, or stories15m (288,6,6,768,32000), "
                    + "stories110m (768,12,12,2048,32000) or llama-1b (Llama 3.2 1B: 2048,16,32,8,8192,128256).")
    String shape;

    @Option(names = "--threads", split = ",", paramLabel = "N", defaultValue = "1,2", description = "Thread counts to measure, comma-separated.")
    int[] threads;

    @Option(names = "--prompt-tokens", split = ",", paramLabel = "N", defaultValue = "128,512", description = "Prompt lengths for prompt processing (pp), comma-separated.")
    int[] prompt;

    @Option(names = "--tokens", paramLabel = "N", defaultValue = "64", description = "Tokens decoded one at a time (tg).")
    int gen;

    @Option(names = "--depth", paramLabel = "N", defaultValue = "0",
            description = "Tokens already in the context before each pp and tg run (filled untimed), as llama-bench's -d: "
                    + "what a reply costs deep into a conversation, where attention reads the whole cache per token (default: 0, an empty context).")
    int depth;

    @Mixin
    PluginOptions plugins;

    @Option(names = "--llama-bench", paramLabel = "PATH",
            description = "Also run llama.cpp's llama-bench (built from source, CPU) on the same file and thread counts, one after the other, and print the ratios (default: Rill only).")
    Path llamaBench;

    @Option(names = "--cpu-time",
            description = "With --llama-bench, on 1 thread, also compare processor time per token (Rill's thread CPU time; llama-bench's through bash's times): "
                    + "what a token costs whatever the machine's load, where wall time on a shared machine mostly measures the neighbours.")
    boolean cpuTime;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "3", description = "Runs per figure; the median is printed.")
    int repeat;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
            description = "With --llama-bench, measure Rill and llama.cpp in turn N times per thread count, the first of each pair "
                    + "alternating, and print each round's ratios and then their median with its range: on a shared machine one "
                    + "round's ratio moves by up to 0.3x as the neighbours come and go.")
    int rounds;

    /** A backend measured beside the cpu (default: the cpu alone). */
    @Mixin
    BackendOptions backend;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1",
            description = "Also decode N sequences at once and print the aggregate tokens/s (1: not measured).")
    int batch;

    @Option(names = "--check", paramLabel = "N", defaultValue = "32",
            description = "Greedy tokens run on both --backend and the cpu before measuring, to compare their logits (0: none).")
    int check;

    @Option(names = "--bandwidth", paramLabel = "GB/s",
            description = "Memory bandwidth of --backend's device for its bandwidth bound, e.g. a triad measured on the GPU (default: no bound shown).")
    Double bandwidth;

    @Override
    public void run() {
        if (check < 0) throw new IllegalArgumentException("--check must be >= 0 (got " + check + ")");
        if (depth < 0) throw new IllegalArgumentException("--depth must be >= 0 tokens (got " + depth + ")");
        if (depth > 0 && cpuTime) {
            throw new IllegalArgumentException("--cpu-time compares runs from an empty context (llama-bench's processor time would include filling --depth); drop one of them");
        }
        if (Arrays.stream(prompt).min().orElse(0) < 1 || gen < 1 || repeat < 1 || batch < 1) {
            throw new IllegalArgumentException("--prompt-tokens, --tokens, --repeat and --batch must be >= 1 (got " + Arrays.toString(prompt) + ", " + gen + ", "
                    + repeat + ", " + batch + ")");
        }
        if (bandwidth != null && bandwidth <= 0) throw new IllegalArgumentException("--bandwidth must be > 0 GB/s (got " + bandwidth + ")");
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1 (got " + rounds + ")");
        if (rounds > 1 && llamaBench == null) throw new IllegalArgumentException("--rounds " + rounds + " alternates Rill with llama.cpp: it needs --llama-bench PATH");
        for (int t : threads) if (t < 1) throw new IllegalArgumentException("--threads: each count must be >= 1 (got " + t + ")");
        if (llamaBench != null && !java.nio.file.Files.isExecutable(llamaBench)) {
            throw new IllegalArgumentException("--llama-bench " + llamaBench + " is not an executable file (build llama.cpp's llama-bench target and pass its path)");
        }
        try {
            if (create != null) createSynthetic();
            bench();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Synthetic shapes by name: the models the README's tables are measured on. */
    private static final java.util.Map<String, String> SHAPES = java.util.Map.of(
            "stories15m", "288,6,6,6,768,32000",
            "stories110m", "768,12,12,12,2048,32000",
            "llama-1b", "2048,16,32,8,8192,128256");

    /** {@code dim, layers, heads, kvHeads, hidden, vocab} from {@code --shape}. */
    static int[] shape(String spec) {
        String v = SHAPES.getOrDefault(spec.trim().toLowerCase(Locale.ROOT), spec);
        int[] s;
        try {
            s = Arrays.stream(v.split(",")).mapToInt(x -> Integer.parseInt(x.trim())).toArray();
        } catch (NumberFormatException e) {
            s = new int[0];
        }
        if (s.length == 5) s = new int[]{s[0], s[1], s[2], s[2], s[3], s[4]};
        if (s.length != 6 || Arrays.stream(s).min().getAsInt() < 1 || s[0] % s[2] != 0 || s[2] % s[3] != 0) {
            throw new IllegalArgumentException("--shape needs DIM,LAYERS,HEADS,[KV_HEADS,]HIDDEN,VOCAB (positive; DIM a multiple of HEADS, HEADS of KV_HEADS) or one of "
                    + new java.util.TreeSet<>(SHAPES.keySet()) + ", got " + spec);
        }
        return s;
    }

    /** The type of each synthetic tensor: one type, or Q4_K_M's mix (Q6_K for the output matrix and ffn_down). */
    static DType typeOf(String create, String tensor) {
        String t = create.trim().toUpperCase(Locale.ROOT);
        if (t.equals("Q4_K_M")) return tensor.equals("output.weight") || tensor.endsWith("ffn_down.weight") ? DType.Q6_K : DType.Q4_K;
        try {
            return DType.valueOf(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--create " + create + ": not a weight type (accepted: " + Arrays.toString(DType.values()) + " or Q4_K_M)");
        }
    }

    /** Positions a synthetic model holds: room for --depth 4096 with a 512-token prompt. */
    static final int SYNTHETIC_CONTEXT = 8192;

    private void createSynthetic() throws java.io.IOException {
        int[] s = shape(shape);
        int dim = s[0], layers = s[1], heads = s[2], kvHeads = s[3], hidden = s[4], vocab = s[5];
        int kvDim = dim / heads * kvHeads;
        typeOf(create, "output.weight");
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama").putString("general.name", "synthetic " + shape + " " + create)
                .putUInt32("llama.context_length", SYNTHETIC_CONTEXT).putUInt32("llama.embedding_length", dim)
                .putUInt32("llama.block_count", layers).putUInt32("llama.feed_forward_length", hidden)
                .putUInt32("llama.attention.head_count", heads).putUInt32("llama.attention.head_count_kv", kvHeads)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f).putFloat32("llama.rope.freq_base", 10000f)
                .putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", "gpt-2");
        // The 256 byte-level tokens first (GPT-2's byte → character table), so that any text,
        // "\n" included, tokenizes in Rill and in llama.cpp alike; then filler tokens.
        List<String> tokens = new ArrayList<>(vocab);
        for (int b = 0, extra = 0; b < 256 && b < vocab; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            tokens.add(String.valueOf((char) (printable ? b : 256 + extra++)));
        }
        for (int i = tokens.size(); i < vocab; i++) tokens.add("t" + i);
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens).putArray("tokenizer.ggml.merges", GgufValueType.STRING, List.of());
        SplittableRandom r = new SplittableRandom(110);
        matrix(w, "token_embd.weight", vocab, dim, r.split());
        norm(w, "output_norm.weight", dim);
        matrix(w, "output.weight", vocab, dim, r.split());
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            norm(w, b + "attn_norm.weight", dim);
            matrix(w, b + "attn_q.weight", dim, dim, r.split());
            matrix(w, b + "attn_k.weight", kvDim, dim, r.split());
            matrix(w, b + "attn_v.weight", kvDim, dim, r.split());
            matrix(w, b + "attn_output.weight", dim, dim, r.split());
            norm(w, b + "ffn_norm.weight", dim);
            matrix(w, b + "ffn_gate.weight", hidden, dim, r.split());
            matrix(w, b + "ffn_up.weight", hidden, dim, r.split());
            matrix(w, b + "ffn_down.weight", dim, hidden, r.split());
        }
        w.write(model);
        System.out.printf("wrote %s (%.1f MB)%n", model, java.nio.file.Files.size(model) / 1e6);
    }

    private void matrix(GgufWriter w, String name, int rows, int cols, SplittableRandom r) {
        float std = (float) (1 / Math.sqrt(cols));
        w.addTensor(name, typeOf(create, name), rows, cols, () -> {
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * std);
            return x;
        });
    }

    private static void norm(GgufWriter w, String name, int n) {
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        w.addTensor(name, DType.F32, 1, n, ones);
    }

    private void bench() throws java.io.IOException {
        PluginRegistry registry = plugins.registry();
        ComputeBackend cpu = registry.get(ComputeBackend.class, "cpu");
        String otherName = backend.name();
        ComputeBackend other = otherName.equals(BackendOptions.DEFAULT) ? null : backend.backend(registry);
        // Checked before any measuring, so that a bad parameter does not wait for the cpu's rows.
        Params otherParams = null;
        if (other != null) {
            Map<String, Object> params = backend.given();
            params.putIfAbsent("max-sequences", Math.max(2, batch));
            otherParams = other.params(params);
        }
        int maxPrompt = Arrays.stream(prompt).max().getAsInt();
        try (GgufModel m = GgufModel.load(model, registry, depth + maxPrompt + Math.max(gen, check) + 8)) {
            Progress reading = Progress.console("loading " + model.getFileName());
            m.file().readTensorData(reading);
            reading.clear();
            long bytesPerToken = weightBytesPerToken(m.weights());
            var info = m.info();
            if (depth + maxPrompt + gen + 1 > info.maxContext()) {
                throw new IllegalArgumentException("--depth " + depth + " + the longest --prompt-tokens " + maxPrompt + " + --tokens " + gen + " need "
                        + (depth + maxPrompt + gen + 1) + " positions; " + model.getFileName() + " holds " + info.maxContext());
            }
            System.out.printf(Locale.ROOT, "model %s: %s %s, %.1fM parameters, %.1f MB of weights read per token%n",
                    model.getFileName(), info.architecture(), info.quantization(), info.parameters() / 1e6, bytesPerToken / 1e6);
            StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-9s", "threads"));
            String at = depth > 0 ? "@d" + depth : "";
            // pp/tg columns as wide as their labels ("pp512@d4096 tok/s"), at least 14.
            int width = Math.max(14, ("pp" + maxPrompt + at + " tok/s").length());
            String col = " %" + width + "s", num = " %" + width + ".1f";
            for (int p : prompt) head.append(String.format(Locale.ROOT, col, "pp" + p + at + " tok/s"));
            head.append(String.format(Locale.ROOT, col + " %14s %16s %10s %8s", "tg" + gen + at + " tok/s", "triad GB/s", "bound tok/s", "tg/bound", "load"));
            System.out.println(head);
            List<String> compared = new ArrayList<>();
            List<String> batched = new ArrayList<>();
            int V = m.weights().arch().nVocab();
            int[] tokens = new SplittableRandom(7).ints(depth + maxPrompt + gen + 1, 0, Math.min(V, m.vocabulary().size())).toArray();
            for (int t : threads) {
                // Each thread count its own prepared model, with a compute pool of that size.
                try (ForwardPass fp = cpu.prepare(m.weights(), cpu.params(Map.of("threads", t))); Parallel pool = new Parallel(t)) {
                    float[] logits = new float[V];
                    // Warm-up until the kernels on this path are compiled: at least twice and 5 s (a
                    // loaded machine leaves the compiler threads little time, and vector code runs
                    // many times slower before C2 has compiled it).
                    long warmStart = System.nanoTime();
                    for (int w = 0; w < 2 || System.nanoTime() - warmStart < 5_000_000_000L; w++) warmUp(fp, tokens, 16, logits);
                    // Each round's ratios, pp then tg: their median and range close the thread count when rounds > 1.
                    double[][] ratios = new double[prompt.length + 1][rounds];
                    for (int round = 0; round < rounds; round++) {
                        // llama.cpp first in every other round, so that neither engine always runs after the other.
                        boolean llamaFirst = round % 2 == 1;
                        LlamaRun ref = llamaBench != null && llamaFirst ? llamaRun(t) : null;
                        Figures own = rillRun(fp, pool, tokens, logits, t);
                        if (llamaBench != null && !llamaFirst) ref = llamaRun(t);
                        double bound = own.bandwidth() / bytesPerToken;
                        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-9d", t));
                        for (double[] p : own.pp()) row.append(String.format(Locale.ROOT, num, median(p)));
                        row.append(String.format(Locale.ROOT, num + " %14.1f %16.1f %9.0f%% %8.2f", median(own.tg()), own.bandwidth() / 1e9, bound,
                                100 * median(own.tg()) / bound, own.load()));
                        System.out.println(row);
                        if (batch > 1 && round == 0) batched.add(String.format(Locale.ROOT, "cpu, %s: %.1f tok/s", BenchTrainCommand.threadCount(t), decodeBatch(fp, tokens)));
                        if (ref == null) continue;
                        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-9s", "llama.cpp"));
                        StringBuilder ratio = new StringBuilder(BenchTrainCommand.threadCount(t) + (rounds > 1 ? ", round " + (round + 1) : "") + ":");
                        for (int j = 0; j < prompt.length; j++) {
                            double r = ref.result().pp(prompt[j]);
                            line.append(String.format(Locale.ROOT, num, r));
                            ratios[j][round] = median(own.pp()[j]) / r;
                            ratio.append(String.format(Locale.ROOT, " pp%d%s %.2f×,", prompt[j], at, ratios[j][round]));
                        }
                        ratios[prompt.length][round] = median(own.tg()) / ref.result().tg();
                        line.append(String.format(Locale.ROOT, num + " %14s %16s %9.0f%% %8.2f", ref.result().tg(), "", "", 100 * ref.result().tg() / bound, ref.load()));
                        System.out.println(line);
                        compared.add(ratio + String.format(Locale.ROOT, " tg%d%s %.2f× llama.cpp (load %.2f / %.2f)", gen, at, ratios[prompt.length][round], own.load(), ref.load()));
                        if (cpuTime && t == 1 && round == 0) compared.add(processorTime(own.ppCpu(), own.tgCpu()));
                    }
                    if (rounds > 1) {
                        StringBuilder summary = new StringBuilder(BenchTrainCommand.threadCount(t) + ", median of " + rounds + " rounds (range):");
                        for (int j = 0; j <= prompt.length; j++) {
                            double[] r = ratios[j].clone();
                            Arrays.sort(r);
                            String label = j < prompt.length ? "pp" + prompt[j] : "tg" + gen;
                            summary.append(String.format(Locale.ROOT, " %s%s %.2f× (%.2f–%.2f)%s", label, at, median(r), r[0], r[r.length - 1], j < prompt.length ? "," : ""));
                        }
                        compared.add(summary.toString());
                    }
                }
            }
            if (other != null) {
                try (ForwardPass dev = other.prepare(m.weights(), otherParams)) {
                    if (check > 0) {
                        try (ForwardPass ref = cpu.prepare(m.weights(), cpu.params(Map.of("threads", threads[threads.length - 1])))) {
                            System.out.println(agreement(ref, dev, tokens));
                        }
                    }
                    double[] speed = measure(dev, tokens, otherName);
                    String bound = "", fraction = "", bw = "";
                    if (bandwidth != null) {
                        double b = bandwidth * 1e9 / bytesPerToken;
                        bw = String.format(Locale.ROOT, "%.1f", bandwidth);
                        bound = String.format(Locale.ROOT, "%.1f", b);
                        fraction = String.format(Locale.ROOT, "%.0f%%", 100 * speed[prompt.length] / b);
                    }
                    StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-9s", otherName));
                    for (double v : speed) row.append(String.format(Locale.ROOT, num, v));
                    row.append(String.format(Locale.ROOT, " %14s %16s %10s %8.2f", bw, bound, fraction, loadAverage()));
                    System.out.println(row);
                    if (batch > 1) batched.add(String.format(Locale.ROOT, "%s: %.1f tok/s", otherName, decodeBatch(dev, tokens)));
                }
            }
            compared.forEach(c -> System.out.println("Rill / llama.cpp, " + c));
            if (!batched.isEmpty()) System.out.println("decode of " + batch + " sequences at once (aggregate), " + String.join("; ", batched));
        }
    }

    /** Rill's and llama.cpp's tokens per second of processor time on one thread, and their ratios. */
    /** One round of Rill's figures on a thread count: medians come from {@link #repeat} runs each. */
    private record Figures(double[][] pp, double[][] ppCpu, double[] tg, double[] tgCpu, double bandwidth, double load) {
    }

    /** {@link #repeat} prompt and decode runs of {@code fp}, the triad on its thread count, and the highest load average seen meanwhile. */
    private Figures rillRun(ForwardPass fp, Parallel pool, int[] tokens, float[] logits, int t) {
        double[][] pp = new double[prompt.length][repeat], ppCpu = new double[prompt.length][repeat];
        double[] tg = new double[repeat], tgCpu = new double[repeat];
        double load = loadAverage();
        Progress progress = Progress.console(BenchTrainCommand.threadCount(t) + ", run");
        for (int k = 0; k < repeat; k++) {
            for (int j = 0; j < prompt.length; j++) {
                double[] speed = promptRun(fp, tokens, prompt[j], logits);
                pp[j][k] = speed[0];
                ppCpu[j][k] = speed[1];
            }
            double[] speed = decodeRun(fp, tokens, logits);
            tg[k] = speed[0];
            tgCpu[k] = speed[1];
            progress.update(k + 1, repeat, "");   // outside the timed parts
        }
        progress.clear();
        load = Math.max(load, loadAverage());
        double bw = pool.call(BenchModelCommand::triadBandwidth);
        return new Figures(pp, ppCpu, tg, tgCpu, bw, load);
    }

    private record LlamaRun(LlamaBench.Result result, double load) {
    }

    /** llama-bench on the same file and thread count, with the highest load average seen around it. */
    private LlamaRun llamaRun(int t) throws java.io.IOException {
        double load = loadAverage();
        LlamaBench.Result ref = LlamaBench.run(llamaBench, model, prompt, gen, depth, t, repeat);
        return new LlamaRun(ref, Math.max(load, loadAverage()));
    }

    private String processorTime(double[][] ppCpu, double[] tgCpu) throws java.io.IOException {
        StringBuilder ours = new StringBuilder(), theirs = new StringBuilder(), ratio = new StringBuilder();
        for (int j = 0; j < prompt.length; j++) {
            double r = prompt[j] / LlamaBench.cpuSecondsPerRun(llamaBench, model, prompt[j], 0, repeat), o = median(ppCpu[j]);
            ours.append(String.format(Locale.ROOT, " pp%d %.1f,", prompt[j], o));
            theirs.append(String.format(Locale.ROOT, " pp%d %.1f,", prompt[j], r));
            ratio.append(String.format(Locale.ROOT, " pp%d %.2f×,", prompt[j], o / r));
        }
        double r = gen / LlamaBench.cpuSecondsPerRun(llamaBench, model, 0, gen, repeat), o = median(tgCpu);
        return String.format(Locale.ROOT, "1 thread, per second of processor time: Rill%s tg%d %.1f tok/s; llama.cpp%s tg%d %.1f tok/s; ratio%s tg%d %.2f×",
                ours, gen, o, theirs, gen, r, ratio, gen, o / r);
    }

    /** The one-minute load average ({@code /proc/loadavg}), or NaN where there is none. */
    static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * The prompt and {@link #check} greedy tokens (the cpu's) on both passes: how many of the other
     * backend's greedy choices are the cpu's, and the largest difference of their logits relative to
     * the cpu's largest.
     */
    private String agreement(ForwardPass cpu, ForwardPass other, int[] tokens) {
        int V = cpu.weights().arch().nVocab(), same = 0;
        float[] want = new float[V], got = new float[V];
        double worst = 0;
        try (KvCache c = cpu.newCache(prompt[0] + check + 1); KvCache o = other.newCache(prompt[0] + check + 1)) {
            cpu.forward(c, tokens, 0, prompt[0], want);
            other.forward(o, tokens, 0, prompt[0], got);
            for (int s = 0; s < check; s++) {
                double diff = 0, max = 0;
                for (int i = 0; i < V; i++) {
                    diff = Math.max(diff, Math.abs(got[i] - want[i]));
                    max = Math.max(max, Math.abs(want[i]));
                }
                worst = Math.max(worst, Double.isFinite(diff) ? diff / max : Double.POSITIVE_INFINITY);
                int[] next = {argmax(want)};
                if (argmax(got) == next[0]) same++;
                cpu.forward(c, next, 0, 1, want);
                other.forward(o, next, 0, 1, got);
            }
        }
        return String.format(Locale.ROOT, "%s against cpu: %d/%d greedy tokens identical, logits within %.3g of the cpu's largest (relative)",
                backend.name(), same, check, worst);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** A cache for {@link #depth} + {@code extra} tokens, holding the first {@link #depth} (untimed): the context each pp and tg run starts from. */
    private KvCache context(ForwardPass fp, int[] tokens, int extra, float[] logits) {
        KvCache c = fp.newCache(depth + extra);
        if (depth > 0) fp.forward(c, tokens, 0, depth, logits);
        return c;
    }

    /** One untimed prompt of {@code prompt[0]} tokens and {@code steps} decode steps (at most {@link #gen}), for the JIT or a device's first runs. */
    private void warmUp(ForwardPass fp, int[] tokens, int steps, float[] logits) {
        try (KvCache warm = context(fp, tokens, prompt[0] + gen, logits)) {
            fp.forward(warm, tokens, depth, depth + prompt[0], logits);
            for (int i = depth; i < depth + Math.min(steps, gen); i++) fp.forward(warm, tokens, prompt[0] + i, prompt[0] + i + 1, logits);
        }
    }

    /** A prompt of {@code n} tokens after the context: tokens per second of wall time and of this thread's processor time. */
    private double[] promptRun(ForwardPass fp, int[] tokens, int n, float[] logits) {
        try (KvCache c = context(fp, tokens, n + gen, logits)) {
            long t0 = System.nanoTime(), c0 = CPU_CLOCK.getCurrentThreadCpuTime();
            fp.forward(c, tokens, depth, depth + n, logits);
            return new double[]{n / ((System.nanoTime() - t0) / 1e9), n / ((CPU_CLOCK.getCurrentThreadCpuTime() - c0) / 1e9)};
        }
    }

    /** {@link #gen} tokens decoded one at a time after the context and one more token: tokens per second of wall time and of this thread's processor time. */
    private double[] decodeRun(ForwardPass fp, int[] tokens, float[] logits) {
        try (KvCache d = context(fp, tokens, gen + 1, logits)) {
            fp.forward(d, tokens, depth, depth + 1, logits);
            long t0 = System.nanoTime(), c0 = CPU_CLOCK.getCurrentThreadCpuTime();
            for (int i = depth + 1; i <= depth + gen; i++) fp.forward(d, tokens, i, i + 1, logits);
            return new double[]{gen / ((System.nanoTime() - t0) / 1e9), gen / ((CPU_CLOCK.getCurrentThreadCpuTime() - c0) / 1e9)};
        }
    }

    private static final java.lang.management.ThreadMXBean CPU_CLOCK = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Median prompt-processing tokens/s for each prompt length, then decode tokens/s, of {@code fp}, after a warm-up (the JIT, or a device's first runs). */
    private double[] measure(ForwardPass fp, int[] tokens, String label) {
        float[] logits = new float[fp.weights().arch().nVocab()];
        warmUp(fp, tokens, 8, logits);
        double[][] pp = new double[prompt.length][repeat];
        double[] tg = new double[repeat];
        Progress progress = Progress.console(label + ", run");
        for (int k = 0; k < repeat; k++) {
            for (int j = 0; j < prompt.length; j++) pp[j][k] = promptRun(fp, tokens, prompt[j], logits)[0];
            tg[k] = decodeRun(fp, tokens, logits)[0];
            progress.update(k + 1, repeat, "");   // outside the timed parts
        }
        progress.clear();
        double[] speed = new double[prompt.length + 1];
        for (int j = 0; j < prompt.length; j++) speed[j] = median(pp[j]);
        speed[prompt.length] = median(tg);
        return speed;
    }

    /** Aggregate tokens/s of {@link #batch} sequences decoded together ({@link ForwardPass#decode}), median of the runs. */
    private double decodeBatch(ForwardPass fp, int[] tokens) {
        int V = fp.weights().arch().nVocab();
        double[] speed = new double[repeat];
        for (int k = 0; k < repeat; k++) {
            KvCache[] caches = new KvCache[batch];
            try {
                float[][] logits = new float[batch][V];
                for (int s = 0; s < batch; s++) {
                    caches[s] = fp.newCache(gen + 1);
                    fp.forward(caches[s], tokens, s, s + 1, logits[s]);
                }
                int[] next = new int[batch];
                long t0 = System.nanoTime();
                for (int i = 1; i <= gen; i++) {
                    for (int s = 0; s < batch; s++) next[s] = tokens[(i + s) % tokens.length];
                    fp.decode(caches, next, logits);
                }
                speed[k] = (double) batch * gen / ((System.nanoTime() - t0) / 1e9);
            } finally {
                for (KvCache c : caches) if (c != null) c.close();
            }
        }
        return median(speed);
    }

    /** Bytes of every matrix a decode step reads once (all linear layers and the head) plus one embedding row. */
    static long weightBytesPerToken(ModelWeights w) {
        long sum = bytes(w.output().weight());
        Tensor e = w.tokenEmbedding();
        sum += bytes(e) / e.rows();
        for (ModelWeights.Block b : w.blocks()) {
            for (Linear l : new Linear[]{b.q(), b.k(), b.v(), b.o(), b.up(), b.gate(), b.down()}) if (l != null) sum += bytes(l.weight());
        }
        return sum;
    }

    private static long bytes(Tensor t) {
        return t instanceof MappedTensor m ? m.data().byteSize() : (long) t.rows() * BlockFormats.rowBytes(t.type(), t.cols());
    }

    /** STREAM triad {@code a = b + s·c} over 3 × 64 MB on the current compute pool's threads, best of 5, in bytes/s counted as STREAM does (12 bytes per element). */
    static double triadBandwidth() {
        int n = 16 << 20;
        float[] a = new float[n], b = new float[n], c = new float[n];
        Arrays.fill(b, 1f);
        Arrays.fill(c, 2f);
        double best = 0;
        for (int k = 0; k < 6; k++) {
            long t0 = System.nanoTime();
            Parallel.forRange(n, 1 << 16, (i0, i1) -> {
                var S = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
                int i = i0;
                var s = jdk.incubator.vector.FloatVector.broadcast(S, 3f);
                for (; i + S.length() <= i1; i += S.length()) {
                    jdk.incubator.vector.FloatVector.fromArray(S, c, i).fma(s, jdk.incubator.vector.FloatVector.fromArray(S, b, i)).intoArray(a, i);
                }
                for (; i < i1; i++) a[i] = b[i] + 3f * c[i];
            });
            double secs = (System.nanoTime() - t0) / 1e9;
            if (k > 0) best = Math.max(best, 12.0 * n / secs);
        }
        return best;
    }

    /** The middle value; for an even count the mean of the two middle ones (two rounds of {@code bench train}, two repeats). */
    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int h = s.length / 2;
        return s.length % 2 == 1 ? s[h] : (s[h - 1] + s[h]) / 2;
    }
}
