package dev.rill.backend.tornadovm;

import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.spi.Architecture;
import dev.rill.spi.BlockFormats;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.Tensor;
import dev.rill.spi.Tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The paths GPT with learned positions does not take, against the cpu backend on small random
 * models: the Llama family (RMSNorm, SwiGLU, grouped-query attention, Qwen-3 q/k norms, OUT_IN
 * projections, untied head) with half-split RoPE; GPT with interleaved partial RoPE plus ALiBi;
 * and several sequences in their own KV slots, batched decode and truncation.
 */
class LlamaShapeOnDeviceTest {

    @Test
    void llamaShapeWithRopeMatchesCpuAcrossSlots() {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        int headDim = 16, T = 64;
        ModelWeights w = llama(96, 128, 2, 8, 2, 352, T, new ReferenceEncoders.Rope(headDim, headDim, 10000, false, T), 7);
        try (ForwardPass cpu = DeviceTests.cpu(w);
             ForwardPass device = DeviceTests.tornado(tornado, w, Map.of("max-sequences", 2))) {
            double worst = DeviceTests.greedyMatches(cpu, device, new int[]{3, 14, 15, 92, 65}, 24, "llama-shape");
            worst = Math.max(worst, slotsMatch(cpu, device));
            System.out.printf("llama-shape (GQA 8/2, q/k norm, half-split RoPE, SwiGLU): max relative logit difference %.3g%n", worst);
        }
    }

    /**
     * The same model as a GGUF file stores it: projections in Q8_0, the embedding in F16, the head in
     * BF16, all as memory segments ({@link MappedTensor}): the device decodes them to F32 on upload
     * and agrees with the cpu backend, which multiplies them in their stored types.
     */
    @Test
    void weightsStoredAsInAGgufFileRunOnTheDevice() {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        int headDim = 16, T = 64;
        ModelWeights f32 = llama(96, 128, 2, 8, 2, 352, T, new ReferenceEncoders.Rope(headDim, headDim, 10000, false, T), 7);
        ModelWeights w = new ModelWeights(f32.arch(), f32.positional(), stored(f32.tokenEmbedding(), DType.F16), List.of(),
                f32.blocks().stream().map(b -> new ModelWeights.Block(b.attnNorm(), stored(b.q()), stored(b.k()), stored(b.v()), stored(b.o()),
                        b.qNorm(), b.kNorm(), b.mlpNorm(), stored(b.up()), stored(b.gate()), stored(b.down()))).toList(),
                f32.finalNorm(), new Linear(stored(f32.output().weight(), DType.BF16), null, Linear.Layout.OUT_IN));
        try (ForwardPass cpu = DeviceTests.cpu(w);
             ForwardPass device = DeviceTests.tornado(tornado, w, Map.of("max-sequences", 1))) {
            double worst = DeviceTests.greedyMatches(cpu, device, new int[]{3, 14, 15, 92, 65}, 16, "llama-shape, stored Q8_0/F16/BF16");
            System.out.printf("llama-shape stored as Q8_0/F16/BF16 memory segments: max relative logit difference %.3g%n", worst);
        }
    }

    private static Linear stored(Linear l) {
        return new Linear(stored(l.weight(), DType.Q8_0), l.bias(), l.layout());
    }

    private static MappedTensor stored(Tensor t, DType type) {
        float[] x = t.toFloats();
        return new MappedTensor(type, t.rows(), t.cols(), MemorySegment.ofArray(BlockFormats.quantize(type, x, 0, x.length)));
    }

    @Test
    void gptWithInterleavedRopeAndAlibiMatchesCpu() {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        GptConfig config = new GptConfig(50, 48, 2, 4, 64, 0, "rope+alibi", Map.of());
        PositionalEncoder pe = new ReferenceEncoders.RopeAndAlibi(
                new ReferenceEncoders.Rope(config.headDim(), 8, 10000, true, 48), new ReferenceEncoders.Alibi(4, 48));
        Gpt gpt = new Gpt(config, pe);
        gpt.initialize(11);
        try (ForwardPass cpu = DeviceTests.cpu(gpt.weights());
             ForwardPass device = DeviceTests.tornado(tornado, gpt.weights(), Map.of("max-sequences", 1))) {
            double worst = DeviceTests.greedyMatches(cpu, device, new int[]{1, 2, 3}, 24, "gpt rope+alibi");
            System.out.printf("gpt (interleaved partial RoPE + ALiBi): max relative logit difference %.3g%n", worst);
        }
    }

    /** Two sequences interleaved by batched decode, then one truncated and continued, as on the CPU. */
    private static double slotsMatch(ForwardPass cpu, ForwardPass device) {
        int V = cpu.weights().arch().nVocab();
        float[][] want = new float[2][V], got = new float[2][V];
        double worst = 0;
        try (KvCache c0 = cpu.newCache(32); KvCache c1 = cpu.newCache(32);
             KvCache d0 = device.newCache(32); KvCache d1 = device.newCache(32)) {
            assertThrows(IllegalStateException.class, () -> device.newCache(8), "a third sequence with max-sequences 2");
            int[] a = {5, 6, 7, 8}, b = {40, 41};
            cpu.forward(c0, a, 0, a.length, want[0]);
            cpu.forward(c1, b, 0, b.length, want[1]);
            device.forward(d0, a, 0, a.length, got[0]);
            device.forward(d1, b, 0, b.length, got[1]);
            for (int step = 0; step < 6; step++) {
                for (int s = 0; s < 2; s++) worst = Math.max(worst, DeviceTests.compare(want[s], got[s], "slot " + s + " step " + step));
                int[] next = {DeviceTests.argmax(want[0]), DeviceTests.argmax(want[1])};
                cpu.decode(new KvCache[]{c0, c1}, next, want);
                device.decode(new KvCache[]{d0, d1}, next, got);
            }
            c0.truncate(2);
            d0.truncate(2);
            cpu.forward(c0, new int[]{77}, 0, 1, want[0]);
            device.forward(d0, new int[]{77}, 0, 1, got[0]);
            worst = Math.max(worst, DeviceTests.compare(want[0], got[0], "after truncate"));
            assertEquals(3, d0.length());
        }
        try (KvCache again = device.newCache(8)) {
            assertEquals(0, again.length(), "a closed cache's slot is free again");
        }
        return worst;
    }

    /** A random Llama-family model: OUT_IN projections without biases, per-head q/k norms, untied head. */
    static ModelWeights llama(int V, int C, int L, int nHead, int nKvHead, int hidden, int T, PositionalEncoder pe, long seed) {
        int headDim = C / nHead;
        var arch = new Architecture(V, C, L, nHead, nKvHead, headDim, hidden, T, T,
                Architecture.Norm.RMS_NORM, 1e-5f, Architecture.Activation.SWIGLU);
        SplittableRandom random = new SplittableRandom(seed);
        List<ModelWeights.Block> blocks = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            blocks.add(new ModelWeights.Block(norm(C, random), linear(C, nHead * headDim, random), linear(C, nKvHead * headDim, random),
                    linear(C, nKvHead * headDim, random), linear(nHead * headDim, C, random),
                    scale(headDim, random), scale(headDim, random), norm(C, random),
                    linear(C, hidden, random), linear(C, hidden, random), linear(hidden, C, random)));
        }
        return new ModelWeights(arch, pe, random(V, C, 1.0, random), List.of(), blocks, norm(C, random), linear(C, V, random));
    }

    private static Linear linear(int in, int out, SplittableRandom random) {
        return new Linear(random(out, in, 1 / Math.sqrt(in), random), null, Linear.Layout.OUT_IN);
    }

    private static ModelWeights.NormWeights norm(int n, SplittableRandom random) {
        return new ModelWeights.NormWeights(scale(n, random), null);
    }

    private static F32Tensor scale(int n, SplittableRandom random) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.1 * random.nextGaussian());
        return F32Tensor.vector(v, 0, n);
    }

    private static F32Tensor random(int rows, int cols, double std, SplittableRandom random) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * random.nextGaussian());
        return F32Tensor.of(v, 0, rows, cols);
    }
}
