package dev.rill.backend.tornadovm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.model.GgufModel;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GGUF files of every family the loader serves, in every format the device keeps as stored,
 * written to disk and read through the loader, run on the device against two references on the
 * CPU: the {@code cpu} backend on the same file, and the {@code cpu} backend on the same weights
 * decoded to float32 (what the stored blocks mean exactly).
 *
 * <p>Tolerances, as ‖device − reference‖∞ / ‖reference‖∞ over the logits at every step:
 * <ul>
 *   <li>against the decoded weights, {@value #EXACT} for every format: the device decodes F16,
 *       Q8_0 and Q4_0 exactly and sums in FP32, so only the order of FP32 additions differs;</li>
 *   <li>against the {@code cpu} backend on the file, {@value #EXACT} plus the cpu's own distance from
 *       the decoded weights at that step (the triangle inequality: the device may not be further
 *       from the cpu than the cpu is from the exact result, plus the device's own rounding). For
 *       F32, F16 and Q8_0 the cpu's kernels decode exactly too, so that is {@value #EXACT} in effect;
 *       for Q4_0 the cpu's decode kernel first rounds the activations to int8 per block of 32 (as
 *       llama.cpp does), which the device does not, and its distance (printed) grows through the
 *       layers of these random models to a few percent.</li>
 * </ul>
 * A greedy token may differ from the cpu's only where the cpu's top two logits are closer than that
 * tolerance, and must always be the decoded weights' token.
 */
class GgufOnDeviceTest {

    static final double EXACT = 1e-4;
    /** The tolerance against the cpu: {@link #EXACT} plus the cpu's distance from the decoded weights (see {@link #tolerance}). */
    static final double CALIBRATED = Double.NaN;
    /**
     * A mixed-format file against the cpu backend: Q4_0's int8 activations on the CPU, and the
     * Q6_K → Q8_0 conversion's second rounding on the device (at most 0.56 of a Q8_0 step per weight).
     */
    static final double MIXED = 3e-2;
    /**
     * Prompts longer than 8 tokens run in several passes; llama and qwen2 get one task graph per
     * block (activations handed from graph to graph), qwen3 both blocks in one graph.
     */
    static Map<String, Integer> device(String arch) {
        return Map.of("max-sequences", 4, "prefill-rows", 8, "chunk-mib", arch.equals("qwen3") ? 256 : 0);
    }

    /** Each architecture in F32, F16, Q8_0 and Q4_0. */
    private static Stream<Arguments> inEveryFormat(String... archs) {
        List<Arguments> all = new ArrayList<>();
        for (String arch : archs) {
            for (DType type : List.of(DType.F32, DType.F16, DType.Q8_0, DType.Q4_0)) all.add(Arguments.of(arch, type));
        }
        return all.stream();
    }

    static Stream<Arguments> familiesAndFormats() {
        return inEveryFormat("llama", "qwen2", "qwen3");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("familiesAndFormats")
    void greedyAndBatchedDecodeMatchTheCpu(String arch, DType type, @TempDir Path dir) throws IOException {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        Path file = TinyGgufModels.write(arch, type, Map.of(), dir.resolve("tiny-" + arch + "-" + type + ".gguf"), 42);
        matchesTheCpu(tornado, file, arch, type, false);
    }

    static Stream<Arguments> referenceFamiliesAndFormats() {
        return inEveryFormat("gemma2", "gemma3", "phi3");
    }

    /**
     * The engine's Gemma 2, Gemma 3 and Phi-3 fixtures (src/test/python/make_reference_families.py:
     * GeGLU, norms before the residual adds, embedding scaling, soft-capped scores and logits, sliding
     * windows of 4 positions, Gemma 3's local layers with their own RoPE base, Phi-3's fused q/k/v and
     * gate/up read as views), as F32 and re-encoded in each format, against the cpu and the decoded
     * weights as above; the F32 files also against the logits transformers computed for their
     * 14-token prompt (the engine's own check, 1e-4 of the largest logit).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("referenceFamiliesAndFormats")
    void gemmaAndPhi3MatchTheCpu(String arch, DType type, @TempDir Path dir) throws IOException {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        Path fixture = fixtures().resolve("tiny-" + arch + ".gguf");
        Path file = type == DType.F32 ? fixture : TinyGgufModels.reencode(fixture, type, dir.resolve("tiny-" + arch + "-" + type + ".gguf"));
        matchesTheCpu(tornado, file, arch, type, type == DType.F32);
    }

    /** {@link #greedy} and {@link #batched} on {@code file} read through the loader, and optionally transformers' logits. */
    private static void matchesTheCpu(ComputeBackend tornado, Path file, String arch, DType type, boolean transformers) throws IOException {
        try (GgufModel m = GgufModel.load(file, DeviceTests.REGISTRY, 64);
             ForwardPass cpu = DeviceTests.cpu(m.weights());
             ForwardPass exact = DeviceTests.cpu(TinyGgufModels.decoded(m.weights()));
             ForwardPass device = DeviceTests.tornado(tornado, m.weights(), device(arch))) {
            String hf = transformers ? "; " + matchesTransformers(device, arch) : "";
            double[] greedy = greedy(cpu, exact, device, CALIBRATED, EXACT, arch + " " + type);
            double[] batched = batched(cpu, exact, device, arch + " " + type);
            System.out.printf("%s %s from %s: %s; batched (4 sequences of 3/6/9/14 prompt tokens, then 6 decode steps): %s%s%n",
                    arch, type, file.getFileName(), summary(greedy, 32), summary(batched, 28), hf);
        }
    }

    /**
     * Hidden states (embeddings' material): the sum of every token's final-norm output for an 11-token
     * prompt given in two calls (5 + 6 tokens, run 4 rows a pass), on the Gemma 3 fixture, against the cpu's within {@value #EXACT}.
     */
    @Test
    void hiddenStatesMatchTheCpu() throws IOException {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        try (GgufModel m = GgufModel.load(fixtures().resolve("tiny-gemma3.gguf"), DeviceTests.REGISTRY, 64);
             ForwardPass cpu = DeviceTests.cpu(m.weights());
             ForwardPass device = DeviceTests.tornado(tornado, m.weights(), device("gemma3"));
             KvCache c = cpu.newCache(16); KvCache d = device.newCache(16)) {
            int C = m.weights().arch().nEmb();
            int[] prompt = new SplittableRandom(5).ints(11, 0, m.weights().arch().nVocab()).toArray();
            float[] want = new float[C], got = new float[C];
            for (int[] part : new int[][]{{0, 5}, {5, 11}}) {
                assertTrue(cpu.hiddenStates(c, prompt, part[0], part[1], want));
                assertTrue(device.hiddenStates(d, prompt, part[0], part[1], got));
            }
            assertEquals(11, d.length());
            double rel = DeviceTests.compare(want, got, "gemma3 hidden states", EXACT);
            System.out.printf("gemma3 hidden states of 11 tokens (5 + 6) summed: max relative difference %.3g against cpu (tolerance %.0e)%n", rel, EXACT);
        }
    }

    /** The fixture's prompt at once on the device, its last logits against transformers' (src/test/resources/gguf/tiny-logits-families.json). */
    private static String matchesTransformers(ForwardPass device, String arch) throws IOException {
        JsonNode c = new ObjectMapper().readTree(fixtures().resolve("tiny-logits-families.json").toFile()).get(arch);
        int[] tokens = new int[c.get("tokens").size()];
        for (int i = 0; i < tokens.length; i++) tokens[i] = c.get("tokens").get(i).asInt();
        JsonNode want = c.get("logits").get(tokens.length - 1);
        float[] got = new float[device.weights().arch().nVocab()];
        try (KvCache cache = device.newCache(tokens.length)) {
            device.forward(cache, tokens, 0, tokens.length, got);
        }
        double scale = 0, diff = 0;
        for (int i = 0; i < got.length; i++) scale = Math.max(scale, Math.abs(want.get(i).asDouble()));
        for (int i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - want.get(i).asDouble()));
        assertTrue(diff <= 1e-4 * scale + 1e-5, arch + ": device logits differ from transformers' by " + diff + " (largest logit " + scale + ")");
        return String.format("transformers' logits for the %d-token prompt within %.3g (largest %.3g)", tokens.length, diff, scale);
    }

    /**
     * A Q4_0 file as llama.cpp writes them in practice, with tensors in other formats: v in Q8_0 (so
     * q/k/v stack as Q8_0), one gate in Q8_0 beside its Q4_0 up, one down projection in Q6_K (held
     * as Q8_0 on the device), one in BF16 (held as F32), the token embedding in F16 (looked up on the
     * host). Against the cpu backend within {@value #MIXED}.
     */
    @Test
    void aMixedFormatFileMatchesTheCpu(@TempDir Path dir) throws IOException {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        Map<String, DType> overrides = Map.of("token_embd.weight", DType.F16, "blk.0.attn_v.weight", DType.Q8_0,
                "blk.1.attn_v.weight", DType.Q8_0, "blk.1.ffn_gate.weight", DType.Q8_0,
                "blk.0.ffn_down.weight", DType.Q6_K, "blk.1.ffn_down.weight", DType.BF16);
        Path file = TinyGgufModels.write("llama", DType.Q4_0, overrides, dir.resolve("tiny-llama-mixed.gguf"), 7);
        try (GgufModel m = GgufModel.load(file, DeviceTests.REGISTRY, 64);
             ForwardPass cpu = DeviceTests.cpu(m.weights());
             ForwardPass device = DeviceTests.tornado(tornado, m.weights(), device("llama"))) {
            double[] greedy = greedy(cpu, cpu, device, MIXED, MIXED, "mixed");
            System.out.printf("llama Q4_0 + Q8_0/Q6_K/BF16/F16 tensors: greedy tokens identical to cpu %d/32, max relative logit difference %.3g"
                    + " (tolerance %.0e)%n", (int) greedy[2], greedy[0], MIXED);
        }
    }

    /** The engine's GGUF fixtures (the pom sets the folder). */
    private static Path fixtures() {
        return Path.of(System.getProperty("rill.gguf.fixtures", "../../src/test/resources/gguf"));
    }

    /** What {@link #greedy} and {@link #batched} found, for the test's printout. */
    private static String summary(double[] r, int tokens) {
        return String.format("tokens identical to cpu %d/%d (to the decoded weights %d/%d); max relative logit difference %.3g against cpu"
                + " (tolerance at most %.3g), %.3g against the decoded weights (tolerance %.0e)", (int) r[2], tokens, tokens, tokens, r[0], r[3], r[1], EXACT);
    }

    /**
     * {@code fixed}, or if it is {@link #CALIBRATED}, the triangle inequality's bound here:
     * {@code ‖dev − cpu‖∞ ≤ ‖dev − exact‖∞ + ‖exact − cpu‖∞ ≤ EXACT·‖exact‖∞ + ‖exact − cpu‖∞},
     * relative to {@code ‖cpu‖∞} as the comparison against the cpu measures it.
     */
    private static double tolerance(double fixed, float[] cpu, float[] exact) {
        if (!Double.isNaN(fixed)) return fixed;
        double apart = 0, exactMax = 0, cpuMax = 0;
        for (int i = 0; i < cpu.length; i++) {
            apart = Math.max(apart, Math.abs(cpu[i] - exact[i]));
            exactMax = Math.max(exactMax, Math.abs(exact[i]));
            cpuMax = Math.max(cpuMax, Math.abs(cpu[i]));
        }
        return (EXACT * exactMax + apart) / cpuMax;
    }

    /**
     * Whether the device picks the cpu's greedy token: it must, unless the cpu's top two logits are
     * closer than the tolerance against the cpu (then the cpu's own rounding decides), and it must
     * always pick the token of the {@code exact} reference.
     */
    private static int sameToken(float[] want, float[] ref, float[] got, double tolerance, String where) {
        int token = DeviceTests.argmax(want), mine = DeviceTests.argmax(got);
        assertEquals(DeviceTests.argmax(ref), mine, where + ": greedy token differs from the decoded weights'");
        if (token == mine) return 1;
        double maxAbs = 0;
        for (float v : want) maxAbs = Math.max(maxAbs, Math.abs(v));
        double gap = (want[token] - want[mine]) / maxAbs;
        assertTrue(gap <= tolerance, where + ": greedy token " + mine + " differs from the cpu's " + token + " whose lead is " + gap
                + " (relative), more than the tolerance " + tolerance);
        System.out.printf("%s: a near tie, the cpu's token %d leads the device's %d by %.3g (relative), within the tolerance %.0e%n",
                where, token, mine, gap, tolerance);
        return 0;
    }

    /**
     * An 11-token prompt (a pass of 8 rows, then 3) and 32 greedy tokens (the cpu's), one pass each;
     * returns the largest differences against {@code cpu} and against {@code exact}, and how many tokens matched.
     */
    private static double[] greedy(ForwardPass cpu, ForwardPass exact, ForwardPass device, double fixed, double exactTolerance,
                                   String what) {
        int V = cpu.weights().arch().nVocab(), steps = 32;
        int[] prompt = new SplittableRandom(3).ints(11, 0, V - 2).toArray();
        float[] want = new float[V], ref = new float[V], got = new float[V];
        double[] worst = new double[4];
        try (KvCache c = cpu.newCache(64); KvCache e = exact.newCache(64); KvCache d = device.newCache(64)) {
            cpu.forward(c, prompt, 0, prompt.length, want);
            exact.forward(e, prompt, 0, prompt.length, ref);
            device.forward(d, prompt, 0, prompt.length, got);
            for (int s = 0; ; s++) {
                double tolerance = tolerance(fixed, want, ref);
                worst[3] = Math.max(worst[3], tolerance);
                worst[0] = Math.max(worst[0], DeviceTests.compare(want, got, what + " step " + s + " against cpu", tolerance));
                worst[1] = Math.max(worst[1], DeviceTests.compare(ref, got, what + " step " + s + " against the reference", exactTolerance));
                if (s == steps) break;
                worst[2] += sameToken(want, ref, got, tolerance, what + " step " + s);
                int[] next = {DeviceTests.argmax(want)};
                cpu.forward(c, next, 0, 1, want);
                exact.forward(e, next, 0, 1, ref);
                device.forward(d, next, 0, 1, got);
            }
            assertEquals(prompt.length + steps, d.length());
        }
        return worst;
    }

    /**
     * Four sequences with prompts of 3, 6, 9 and 14 tokens (passes of up to 4 rows take the
     * matrix–vector kernels, longer ones the tiled kernels, 14 runs as 8 + 6), then 6 decode steps
     * of all four as one batch, each feeding its own greedy token.
     */
    private static double[] batched(ForwardPass cpu, ForwardPass exact, ForwardPass device, String what) {
        int V = cpu.weights().arch().nVocab(), n = 4;
        int[] lengths = {3, 6, 9, 14};
        SplittableRandom random = new SplittableRandom(11);
        KvCache[] c = new KvCache[n], e = new KvCache[n], d = new KvCache[n];
        float[][] want = new float[n][V], ref = new float[n][V], got = new float[n][V];
        double[] worst = new double[4];
        try {
            for (int i = 0; i < n; i++) {
                c[i] = cpu.newCache(32);
                e[i] = exact.newCache(32);
                d[i] = device.newCache(32);
                int[] prompt = random.ints(lengths[i], 0, V - 2).toArray();
                cpu.forward(c[i], prompt, 0, prompt.length, want[i]);
                exact.forward(e[i], prompt, 0, prompt.length, ref[i]);
                device.forward(d[i], prompt, 0, prompt.length, got[i]);
            }
            for (int step = 0; ; step++) {
                int[] next = new int[n];
                for (int i = 0; i < n; i++) {
                    String where = what + " sequence " + i + " step " + step;
                    double tolerance = tolerance(CALIBRATED, want[i], ref[i]);
                    worst[3] = Math.max(worst[3], tolerance);
                    worst[0] = Math.max(worst[0], DeviceTests.compare(want[i], got[i], where + " against cpu", tolerance));
                    worst[1] = Math.max(worst[1], DeviceTests.compare(ref[i], got[i], where + " against the decoded weights", EXACT));
                    next[i] = DeviceTests.argmax(want[i]);
                    worst[2] += sameToken(want[i], ref[i], got[i], tolerance, where);
                }
                if (step == 6) break;
                cpu.decode(c, next, want);
                exact.decode(e, next, ref);
                device.decode(d, next, got);
            }
            for (int i = 0; i < n; i++) assertEquals(lengths[i] + 6, d[i].length());
        } finally {
            for (int i = 0; i < n; i++) {
                if (c[i] != null) c[i].close();
                if (e[i] != null) e[i].close();
                if (d[i] != null) d[i].close();
            }
        }
        return worst;
    }
}
