package dev.rill.backend.cpu;

import dev.rill.spi.Architecture;
import dev.rill.spi.BlockFormats;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.Tensor.DType;
import dev.rill.spi.Tensor;
import dev.rill.spi.TensorView;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cpu backend against {@link ReferenceForward} (the description executed plainly in double) on
 * small random models of both shapes it runs: Llama-like (RMSNorm, SwiGLU, grouped-query attention,
 * per-head q/k norms, q/k/v biases, OUT_IN weights, untied head, rotating positions) and GPT-like
 * (LayerNorm with shifts, GELU, IN_OUT views into a fused q/k/v matrix, tied head, positions added to
 * the embeddings and a bias on scores); then the cache, batching, stored types, threads and bad input.
 */
class CpuForwardPassTest {

    static final int[] PROMPT = {3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 32};
    static final CpuBackend CPU = new CpuBackend();

    @Test
    void llamaShapedLogitsAreTheReferences() {
        ModelWeights w = llama(7);
        try (ForwardPass pass = CPU.prepare(w, Params.EMPTY)) {
            assertClose(new ReferenceForward(w).logits(PROMPT), run(pass, PROMPT), 1e-4, "llama-shaped");
        }
    }

    @Test
    void gptShapedLogitsAreTheReferences() {
        ModelWeights w = gpt(11);
        try (ForwardPass pass = CPU.prepare(w, Params.EMPTY)) {
            assertClose(new ReferenceForward(w).logits(PROMPT), run(pass, PROMPT), 1e-4, "gpt-shaped");
        }
    }

    /**
     * Everything Gemma adds: GeGLU, a scaled embedding, a score scale of its own, soft-capped scores
     * and logits, norms after attention and MLP, a sliding window (block 0) and a block rotating with
     * its own positional encoder (block 1); prompt at once and token by token.
     */
    @Test
    void gemmaShapedLogitsAreTheReferences() {
        ModelWeights w = gemma(13);
        ReferenceForward ref = new ReferenceForward(w);
        try (ForwardPass pass = CPU.prepare(w, Params.EMPTY); KvCache c = pass.newCache(32)) {
            assertClose(ref.logits(PROMPT), run(pass, PROMPT), 1e-4, "gemma-shaped");
            float[] logits = new float[w.arch().nVocab()];
            for (int t = 0; t < PROMPT.length; t++) {
                pass.forward(c, PROMPT, t, t + 1, logits);
                assertClose(ref.logits(java.util.Arrays.copyOf(PROMPT, t + 1)), logits, 1e-4, "gemma-shaped, token " + t);
            }
        }
    }

    @Test
    void aPromptInPiecesAndBatchedDecodeGiveWhatOneCallGives() {
        ModelWeights w = llama(3);
        int V = w.arch().nVocab();
        try (ForwardPass pass = CPU.prepare(w, Params.EMPTY)) {
            float[] whole = run(pass, PROMPT);
            float[] pieces = new float[V];
            try (KvCache c = pass.newCache(32)) {
                for (int[] range : new int[][]{{0, 5}, {5, 6}, {6, 7}, {7, PROMPT.length}}) pass.forward(c, PROMPT, range[0], range[1], pieces);
                assertEquals(PROMPT.length, c.length());
            }
            assertClose(toDouble(whole), pieces, 1e-5, "prompt in pieces");

            // Two sequences, one decode call: each as if run alone.
            float[][] batched = new float[2][V];
            try (KvCache a = pass.newCache(32); KvCache b = pass.newCache(32)) {
                pass.forward(a, PROMPT, 0, 6, batched[0]);
                pass.forward(b, PROMPT, 3, 5, batched[1]);
                pass.decode(new KvCache[]{a, b}, new int[]{40, 41}, batched);
                assertThrows(IllegalArgumentException.class, () -> pass.decode(new KvCache[]{a, a}, new int[]{1, 2}, new float[2][V]));
            }
            assertClose(toDouble(run(pass, new int[]{3, 14, 15, 9, 26, 5, 40})), batched[0], 1e-5, "batched row 0");
            assertClose(toDouble(run(pass, new int[]{9, 26, 41})), batched[1], 1e-5, "batched row 1");

            // A truncated cache continues as if the forgotten positions were never run.
            float[] again = new float[V];
            try (KvCache c = pass.newCache(32)) {
                pass.forward(c, PROMPT, 0, 8, again);
                c.truncate(3);
                pass.forward(c, new int[]{50, 51}, 0, 2, again);
            }
            assertClose(toDouble(run(pass, new int[]{3, 14, 15, 50, 51})), again, 1e-5, "after truncate");
        }
    }

    /** Weights as a GGUF file stores them: Q8_0 and F16 projections in memory segments, a Q8_0 embedding. */
    @Test
    void storedTypesAreMultipliedAsTheirDecodedValues() {
        ModelWeights w = stored(llama(5), DType.Q8_0, DType.Q8_0, DType.Q8_0, DType.F16, DType.BF16, DType.Q8_0, DType.F16, DType.Q8_0, DType.F16);
        try (ForwardPass pass = CPU.prepare(w, Params.EMPTY)) {
            // The reference decodes the same stored bytes (and quantizes activations to int8 where the
            // kernels do), so only the kernels' float rounding separates them.
            assertClose(new ReferenceForward(w).logits(PROMPT), run(pass, PROMPT), 1e-4, "stored types");
        }
    }

    /**
     * A prompt over Q4_0 weights (every projection and the output): the prompt's rows take the
     * two-group tiles of the integer kernels (4 rows × 32 outputs) and, on two threads, the
     * row-wise steps and activation quantization split between threads. The logits are the
     * reference's (which quantizes activations as the kernels do), and two threads give bit for bit
     * what one gives.
     */
    @Test
    void quantizedPromptsMatchTheReferenceOnAnyNumberOfThreads() {
        DType q = DType.Q4_0;
        ModelWeights w = stored(llama(6), DType.Q8_0, q, q, q, q, q, q, q, q);
        int[] prompt = new SplittableRandom(9).ints(20, 0, w.arch().nVocab()).toArray(); // 5 tiles of 4 rows; 2 row tasks of 16 + 4
        try (ForwardPass one = CPU.prepare(w, CPU.params(Map.of("threads", 1))); ForwardPass two = CPU.prepare(w, CPU.params(Map.of("threads", 2)))) {
            float[] l1 = run(one, prompt), l2 = run(two, prompt);
            assertEquals(java.util.Arrays.toString(l1), java.util.Arrays.toString(l2), "1 and 2 threads");
            assertClose(new ReferenceForward(w).logits(prompt), l1, 1e-4, "Q4_0 prompt");
        }
    }

    /**
     * Decode deep into a context, where attention runs over several blocks of cached positions whose
     * softmax states are merged ({@link CpuForwardPass#KEY_BLOCK}): the logits at positions around
     * block edges are the reference's (grouped-query heads; scores biased by key position; soft-capped
     * scores beside a sliding window), and two threads give bit for bit what one gives.
     */
    @Test
    void longContextsDecodeAsTheReferenceOnAnyNumberOfThreads() {
        int T = 3 * CpuForwardPass.KEY_BLOCK + 8;
        int[] tokens = new SplittableRandom(17).ints(T, 0, 50).toArray();
        java.util.Set<Integer> checked = java.util.Set.of(20, 63, 64, 65, 128, 129, 150, T - 1);
        for (ModelWeights w : new ModelWeights[]{llama(21, T), gpt(22, T), gemma(23, T)}) {
            ReferenceForward ref = new ReferenceForward(w);
            String what = w.arch().activation() + " model";
            int V = w.arch().nVocab();
            try (ForwardPass one = CPU.prepare(w, CPU.params(Map.of("threads", 1))); ForwardPass two = CPU.prepare(w, CPU.params(Map.of("threads", 2)));
                 KvCache c1 = one.newCache(T); KvCache c2 = two.newCache(T)) {
                float[] l1 = new float[V], l2 = new float[V];
                one.forward(c1, tokens, 0, 20, l1);
                two.forward(c2, tokens, 0, 20, l2);
                for (int t = 20; t < T; t++) {
                    one.forward(c1, tokens, t, t + 1, l1);
                    two.forward(c2, tokens, t, t + 1, l2);
                    assertEquals(java.util.Arrays.toString(l1), java.util.Arrays.toString(l2), what + ": 1 and 2 threads at position " + t);
                    if (checked.contains(t)) assertClose(ref.logits(java.util.Arrays.copyOf(tokens, t + 1)), l1, 1e-4, what + " at position " + t);
                }
            }
        }
    }

    @Test
    void eachPreparedModelHasItsOwnThreadsAndTheyAgree() {
        ModelWeights w = gpt(2);
        try (ForwardPass one = CPU.prepare(w, CPU.params(Map.of("threads", 1)));
             ForwardPass two = CPU.prepare(w, CPU.params(Map.of("threads", 2)))) {
            assertEquals(1, ((CpuForwardPass) one).threads());
            assertEquals(2, ((CpuForwardPass) two).threads());
            assertClose(toDouble(run(one, PROMPT)), run(two, PROMPT), 1e-6, "1 against 2 threads");
        }
        assertThrows(IllegalArgumentException.class, () -> CPU.params(Map.of("threads", -1)));
    }

    /**
     * A cache holds {@link CpuKvCache#INITIAL} positions at first and grows as a prompt and decode
     * fill it (across two growths here, one in a prompt, one in decode): the logits are those of a
     * cache that held every position from the start, bit for bit; a copy made past both continues
     * as its source did.
     */
    @Test
    void aGrowingCacheGivesWhatAFullOneGives() {
        int T = 3 * CpuKvCache.INITIAL;
        ModelWeights w = llama(5, T);
        int V = w.arch().nVocab();
        SplittableRandom rnd = new SplittableRandom(9);
        int[] tokens = new int[T];
        for (int i = 0; i < T; i++) tokens[i] = rnd.nextInt(V);
        int prompt = CpuKvCache.INITIAL + 20, copyAt = 2 * CpuKvCache.INITIAL + 5;
        try (ForwardPass pass = CPU.prepare(w, Params.EMPTY); KvCache grown = pass.newCache(T); KvCache full = pass.newCache(T)) {
            CpuKvCache g = (CpuKvCache) grown;
            assertEquals(CpuKvCache.INITIAL, g.allocated());
            assertEquals(CpuKvCache.INITIAL * w.arch().kvDim(), g.keys[0].length, "a new cache takes INITIAL positions, not its capacity");
            full.reserve(T);
            float[][] a = new float[1][V], b = new float[1][V];
            pass.forward(grown, tokens, 0, prompt, a[0]);
            pass.forward(full, tokens, 0, prompt, b[0]);
            assertEquals(2 * CpuKvCache.INITIAL, g.allocated());
            KvCache copy = null;
            try {
                for (int t = prompt; t < T - 1; t++) {
                    pass.decode(new KvCache[]{grown, full}, new int[]{tokens[t], tokens[t]}, new float[][]{a[0], b[0]});
                    assertEquals(java.util.Arrays.toString(b[0]), java.util.Arrays.toString(a[0]), "token " + t);
                    if (t == copyAt) {
                        copy = pass.newCache(T);
                        assertTrue(pass.copyCache(grown, copy));
                    }
                }
                assertEquals(T, g.allocated());
                // The copy, made past two growths of its source, continues as its source did.
                float[] c = new float[V];
                for (int t = copyAt + 1; t < T - 1; t++) pass.forward(copy, tokens, t, t + 1, c);
                assertClose(toDouble(b[0]), c, 1e-5, "the copy (one row where the others ran two)");
            } finally {
                if (copy != null) copy.close();
            }
            var e = assertThrows(IllegalArgumentException.class, () -> grown.reserve(T + 1));
            assertTrue(e.getMessage().contains("cannot hold " + (T + 1) + " positions in a cache of capacity " + T), e.getMessage());
        }
    }

    /**
     * A key or value that is not finite makes the logits of every row that attends to it NaN (which
     * the sampler refuses), as a float cache would: on decode, on a copy of the cache, and on a prompt's
     * blocked path. Forgetting its position makes them finite again. A value past the largest half
     * saturates to it and stays finite.
     */
    @Test
    void aNonFiniteKeyOrValueMakesTheLogitsThatAttendToItNaN() {
        ModelWeights w = llama(3);
        int V = w.arch().nVocab(), kd = w.arch().kvDim();
        int[] tokens = new int[24];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (7 * i + 1) % V;
        try (ForwardPass pass = CPU.prepare(w, Params.EMPTY)) {
            for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e6f}) {
                for (boolean inKey : new boolean[]{true, false}) {
                    String what = (inKey ? "key " : "value ") + bad;
                    try (KvCache c = pass.newCache(32); KvCache copy = pass.newCache(32)) {
                        float[] clean = new float[V], logits = new float[V];
                        pass.forward(c, tokens, 0, 4, clean);
                        // Position 2 of layer 1 as a projection gone wrong would have left it.
                        float[] k = new float[kd], v = new float[kd];
                        (inKey ? k : v)[5] = bad;
                        ((CpuKvCache) c).put(1, 2, k, 0, v, 0);
                        boolean finite = Float.isFinite(bad);
                        pass.forward(c, tokens, 4, 5, logits);
                        assertEquals(!finite, Float.isNaN(logits[0]) && Float.isNaN(logits[V - 1]), what + ", decode: " + logits[0]);
                        if (finite) {
                            for (float x : logits) assertTrue(Float.isFinite(x), what + ": " + x);
                            short h = inKey ? ((CpuKvCache) c).keys[1][((CpuKvCache) c).keyIndex(2, 5)] : ((CpuKvCache) c).values[1][2 * kd + 5];
                            assertEquals(65504f, Float.float16ToFloat(h), what + " saturates to the largest half");
                            continue;
                        }
                        assertTrue(pass.copyCache(c, copy));
                        pass.forward(copy, tokens, 5, 6, logits);
                        assertTrue(Float.isNaN(logits[1]), what + ", the copy: " + logits[1]);
                        pass.forward(c, tokens, 5, 5 + 16, logits);
                        assertTrue(Float.isNaN(logits[1]), what + ", a prompt: " + logits[1]);
                        c.truncate(2);
                        pass.forward(c, tokens, 2, 4, logits);
                        assertClose(toDouble(clean), logits, 1e-5, what + ", forgotten");
                    }
                }
            }
        }
    }

    @Test
    void badInputIsRefusedWithWhatIsAccepted() {
        ModelWeights w = llama(1);
        int V = w.arch().nVocab();
        try (ForwardPass pass = CPU.prepare(w, Params.EMPTY); KvCache c = pass.newCache(4)) {
            var e = assertThrows(IllegalArgumentException.class, () -> pass.forward(c, new int[]{V}, 0, 1, new float[V]));
            assertTrue(e.getMessage().contains("outside the vocabulary [0, " + V + ")"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> pass.forward(c, new int[]{1, 2, 3, 4, 5}, 0, 5, new float[V]));
            assertTrue(e.getMessage().contains("beyond the cache's 4 positions"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> pass.forward(c, new int[]{1}, 0, 0, new float[V]));
            assertThrows(IllegalArgumentException.class, () -> pass.newCache(0));
        }
    }

    // ---------------------------------------------------------------- models

    /** RMSNorm, SwiGLU, 4 query heads over 2 key/value heads of 16, q/k norms, q/k/v biases, untied head. */
    static ModelWeights llama(long seed) {
        return llama(seed, 32);
    }

    static ModelWeights llama(long seed, int T) {
        int V = 64, C = 64, L = 2, nHead = 4, nKvHead = 2, hs = 16, H = 96;
        SplittableRandom r = new SplittableRandom(seed);
        Architecture a = new Architecture(V, C, L, nHead, nKvHead, hs, H, T, T, Architecture.Norm.RMS_NORM, 1e-5f,
                Architecture.Activation.SWIGLU);
        List<ModelWeights.Block> blocks = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            blocks.add(new ModelWeights.Block(norm(C, false, r), outIn(C, nHead * hs, true, r), outIn(C, nKvHead * hs, true, r),
                    outIn(C, nKvHead * hs, true, r), outIn(nHead * hs, C, false, r), scale(hs, r), scale(hs, r), norm(C, false, r),
                    outIn(C, H, false, r), outIn(C, H, false, r), outIn(H, C, false, r)));
        }
        return new ModelWeights(a, new TestPositions(T, hs, true, false, false, 100), random(V, C, 1, r), List.of(), blocks,
                norm(C, false, r), outIn(C, V, false, r));
    }

    /** {@link #llama} with Gemma's extras: see {@link #gemmaShapedLogitsAreTheReferences}. */
    static ModelWeights gemma(long seed) {
        return gemma(seed, 32);
    }

    static ModelWeights gemma(long seed, int T) {
        ModelWeights l = llama(seed, T);
        SplittableRandom r = new SplittableRandom(seed + 1);
        Architecture b = l.arch();
        Architecture a = new Architecture(b.nVocab(), b.nEmb(), b.nLayer(), b.nHead(), b.nKvHead(), b.headDim(), b.nHidden(), b.T(),
                b.maxContext(), b.norm(), b.normEps(), Architecture.Activation.GEGLU, (float) Math.sqrt(b.nEmb()) / 4, 0.3f, 2f, 3f);
        List<ModelWeights.Block> blocks = new ArrayList<>();
        for (int i = 0; i < l.blocks().size(); i++) {
            ModelWeights.Block x = l.blocks().get(i);
            blocks.add(new ModelWeights.Block(x.attnNorm(), x.q(), x.k(), x.v(), x.o(), x.qNorm(), x.kNorm(), x.mlpNorm(), x.up(), x.gate(),
                    x.down(), norm(b.nEmb(), false, r), norm(b.nEmb(), false, r), i == 0 ? 3 : 0,
                    i == 1 ? new TestPositions(b.T(), b.headDim(), true, false, false, 10000) : null));
        }
        return new ModelWeights(a, l.positional(), l.tokenEmbedding(), List.of(), blocks, l.finalNorm(), l.output());
    }

    /** LayerNorm with shifts, GELU, q/k/v as column views of one fused (C, 3C) matrix, tied head. */
    static ModelWeights gpt(long seed) {
        return gpt(seed, 32);
    }

    static ModelWeights gpt(long seed, int T) {
        int V = 50, C = 32, L = 2, nHead = 4, hs = 8;
        SplittableRandom r = new SplittableRandom(seed);
        Architecture a = new Architecture(V, C, L, nHead, nHead, hs, 4 * C, T, T, Architecture.Norm.LAYER_NORM, 1e-5f,
                Architecture.Activation.GELU_TANH);
        List<ModelWeights.Block> blocks = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            F32Tensor qkv = random(C, 3 * C, 1 / Math.sqrt(C), r), bias = random(1, 3 * C, 0.3, r);
            Linear[] parts = new Linear[3];
            for (int p = 0; p < 3; p++) {
                parts[p] = new Linear(new F32Tensor(qkv.data(), p * C, C, C, 3 * C), F32Tensor.vector(bias.data(), p * C, C), Linear.Layout.IN_OUT);
            }
            blocks.add(new ModelWeights.Block(norm(C, true, r), parts[0], parts[1], parts[2], inOut(C, C, r), null, null, norm(C, true, r),
                    inOut(C, 4 * C, r), null, inOut(4 * C, C, r)));
        }
        F32Tensor embedding = random(V, C, 1, r);
        return new ModelWeights(a, new TestPositions(T, hs, false, true, true, 100), embedding, List.of(), blocks, norm(C, true, r),
                new Linear(embedding, null, Linear.Layout.OUT_IN));
    }

    /**
     * A positional encoder that uses every hook the backend calls, with arbitrary fixed formulas: the
     * backend must call them at the right places, which the reference (calling the same hooks) checks.
     */
    record TestPositions(int positions, int headDim, boolean rotates, boolean addsToEmbeddings, boolean biasesScores, double base)
            implements PositionalEncoder {
        @Override
        public Params params() {
            return Params.EMPTY;
        }

        @Override
        public int maxPositions() {
            return positions;
        }

        @Override
        public void embed(List<TensorView> weights, float[] x, int off, int pos) {
            for (int i = 0; i < 32; i++) x[off + i] += (float) (0.5 * Math.sin(pos + 0.7 * i));
        }

        @Override
        public void rotate(float[] v, int off, int pos) {
            for (int i = 0; i < headDim / 2; i++) {
                double angle = pos * Math.pow(base, -2.0 * i / headDim), c = Math.cos(angle), s = Math.sin(angle);
                float x = v[off + 2 * i], y = v[off + 2 * i + 1];
                v[off + 2 * i] = (float) (x * c - y * s);
                v[off + 2 * i + 1] = (float) (x * s + y * c);
            }
        }

        @Override
        public void scoreBias(int head, int queryPos, int keyPos0, float[] scores, int off, int n) {
            for (int j = 0; j < n; j++) scores[off + j] -= 0.25f * (head + 1) * (queryPos - keyPos0 - j);
        }
    }

    // ---------------------------------------------------------------- helpers

    static float[] run(ForwardPass pass, int[] tokens) {
        float[] logits = new float[pass.weights().arch().nVocab()];
        try (KvCache c = pass.newCache(32)) {
            pass.forward(c, tokens, 0, tokens.length, logits);
        }
        return logits;
    }

    /** ‖got − want‖∞ ≤ tolerance · ‖want‖∞. */
    static void assertClose(double[] want, float[] got, double tolerance, String what) {
        double max = 0, diff = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(got[i] - want[i]));
        }
        assertTrue(max > 0.1, what + ": the logits are all near zero, the test would prove nothing");
        assertTrue(diff <= tolerance * max, what + ": logits differ by " + diff + ", more than " + tolerance + " of " + max);
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /**
     * {@code f32} with its matrices stored as a GGUF file stores them: the embedding, the output and
     * each block's q, k, v, o, up, gate, down in the given types.
     */
    private static ModelWeights stored(ModelWeights f32, DType embedding, DType output, DType q, DType k, DType v, DType o,
                                       DType up, DType gate, DType down) {
        List<ModelWeights.Block> blocks = new ArrayList<>();
        for (ModelWeights.Block b : f32.blocks()) {
            blocks.add(new ModelWeights.Block(b.attnNorm(), stored(b.q(), q), stored(b.k(), k), stored(b.v(), v), stored(b.o(), o),
                    b.qNorm(), b.kNorm(), b.mlpNorm(), stored(b.up(), up), stored(b.gate(), gate), stored(b.down(), down)));
        }
        return new ModelWeights(f32.arch(), f32.positional(), stored(f32.tokenEmbedding(), embedding), List.of(), blocks,
                f32.finalNorm(), stored(f32.output(), output));
    }

    private static Linear stored(Linear l, DType type) {
        return new Linear(stored(l.weight(), type), l.bias(), l.layout());
    }

    private static MappedTensor stored(Tensor t, DType type) {
        float[] x = t.toFloats();
        return new MappedTensor(type, t.rows(), t.cols(), MemorySegment.ofArray(BlockFormats.quantize(type, x, 0, x.length)));
    }

    private static Linear outIn(int in, int out, boolean bias, SplittableRandom r) {
        return new Linear(random(out, in, 1 / Math.sqrt(in), r), bias ? random(1, out, 0.3, r) : null, Linear.Layout.OUT_IN);
    }

    private static Linear inOut(int in, int out, SplittableRandom r) {
        return new Linear(random(in, out, 1 / Math.sqrt(in), r), random(1, out, 0.3, r), Linear.Layout.IN_OUT);
    }

    private static ModelWeights.NormWeights norm(int n, boolean shift, SplittableRandom r) {
        return new ModelWeights.NormWeights(scale(n, r), shift ? random(1, n, 0.3, r) : null);
    }

    private static F32Tensor scale(int n, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.2 * r.nextGaussian());
        return F32Tensor.vector(v, 0, n);
    }

    static F32Tensor random(int rows, int cols, double std, SplittableRandom r) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * r.nextGaussian());
        return F32Tensor.of(v, 0, rows, cols);
    }
}
