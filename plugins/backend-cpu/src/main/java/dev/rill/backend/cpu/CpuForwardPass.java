package dev.rill.backend.cpu;

import dev.rill.nn.Attention;
import dev.rill.nn.Gelu;
import dev.rill.nn.LayerNorm;
import dev.rill.nn.RmsNorm;
import dev.rill.nn.SwiGlu;
import dev.rill.spi.Architecture;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Linear;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.Tensor;
import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;

/**
 * One forward pass over any mix of rows: each row is a token of some sequence at some position.
 * A prompt is many rows of one sequence; a batched decode step is one row from each of several
 * sequences. Every linear layer runs once over all rows, so one pass over the weights serves them all.
 */
final class CpuForwardPass implements ForwardPass {

    private final ModelWeights w;
    private final Architecture a;
    private final PositionalEncoder pe;
    private final Parallel pool;
    /** Positions every block's encoder defines. */
    private final int maxPositions;
    private Scratch scratch;

    CpuForwardPass(ModelWeights weights, Parallel pool) {
        this.w = weights;
        this.a = weights.arch();
        this.pe = weights.positional();
        this.pool = pool;
        // Quantized weights are repacked for the integer kernels now, not on the first request.
        pool.run(() -> {
            for (ModelWeights.Block b : weights.blocks()) {
                for (Linear l : new Linear[]{b.q(), b.k(), b.v(), b.o(), b.up(), b.gate(), b.down()}) MatMul.prepare(l);
            }
            MatMul.prepare(weights.output());
        });
        int max = pe.maxPositions();
        for (int l = 0; l < a.nLayer(); l++) max = Math.min(max, weights.positional(l).maxPositions());
        this.maxPositions = max;
    }

    /** This model's compute threads. */
    int threads() {
        return pool.size();
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public ModelWeights weights() {
        return w;
    }

    @Override
    public KvCache newCache(int capacity) {
        return new CpuKvCache(a.nLayer(), capacity, a.kvDim());
    }

    @Override
    public boolean copyCache(KvCache source, KvCache target) {
        CpuKvCache from = (CpuKvCache) source, to = (CpuKvCache) target;
        if (from.length > to.capacity || from.kvDim != to.kvDim || from.keys.length != to.keys.length) {
            throw new IllegalArgumentException("cannot copy a cache of " + from.length + " positions into one of capacity " + to.capacity);
        }
        to.reserve(from.length);
        from.copyInto(to);
        to.length = from.length;
        return true;
    }

    @Override
    public void forward(KvCache cache, int[] tokens, int from, int to, float[] logits) {
        Rows r = rows(cache, tokens, from, to);
        pool.burst(() -> run(r.caches, r.tokens, r.pos, new int[]{r.tokens.length - 1}, new float[][]{logits}, null));
    }

    @Override
    public boolean hiddenStates(KvCache cache, int[] tokens, int from, int to, float[] hiddenSum) {
        if (hiddenSum.length != a.nEmb()) throw new IllegalArgumentException("hidden states have " + a.nEmb() + " values, not " + hiddenSum.length);
        Rows r = rows(cache, tokens, from, to);
        pool.burst(() -> run(r.caches, r.tokens, r.pos, new int[0], new float[0][], hiddenSum));
        return true;
    }

    /** The rows of {@code tokens[from..to)} of one sequence: its cache, each token, each position after the cache's. */
    private record Rows(CpuKvCache[] caches, int[] tokens, int[] pos) {
    }

    private static Rows rows(KvCache cache, int[] tokens, int from, int to) {
        int M = to - from;
        if (M <= 0) throw new IllegalArgumentException("no tokens to run");
        CpuKvCache c = (CpuKvCache) cache;
        CpuKvCache[] caches = new CpuKvCache[M];
        int[] pos = new int[M];
        int[] toks = new int[M];
        for (int i = 0; i < M; i++) {
            caches[i] = c;
            pos[i] = c.length + i;
            toks[i] = tokens[from + i];
        }
        return new Rows(caches, toks, pos);
    }

    @Override
    public void decode(KvCache[] caches, int[] tokens, float[][] logits) {
        int M = caches.length;
        CpuKvCache[] cs = new CpuKvCache[M];
        int[] pos = new int[M];
        int[] rows = new int[M];
        for (int i = 0; i < M; i++) {
            cs[i] = (CpuKvCache) caches[i];
            pos[i] = cs[i].length;
            rows[i] = i;
            for (int j = 0; j < i; j++) {
                if (cs[j] == cs[i]) throw new IllegalArgumentException("one cache twice in a decode batch");
            }
        }
        pool.burst(() -> run(cs, tokens, pos, rows, logits, null));
    }

    /**
     * Runs rows {@code tokens[r]} at {@code pos[r]} of {@code caches[r]}; writes logits of {@code outRows};
     * adds every row's final-norm hidden state into {@code hiddenSum} when it is not {@code null}.
     */
    private void run(CpuKvCache[] caches, int[] tokens, int[] pos, int[] outRows, float[][] logits, float[] hiddenSum) {
        int M = tokens.length, C = a.nEmb(), V = a.nVocab();
        for (int r = 0; r < M; r++) {
            if (tokens[r] < 0 || tokens[r] >= V) throw new IllegalArgumentException("token " + tokens[r] + " outside the vocabulary [0, " + V + ")");
            if (pos[r] >= caches[r].capacity) throw new IllegalArgumentException("position " + pos[r] + " beyond the cache's " + caches[r].capacity + " positions");
            if (pos[r] >= a.maxContext()) throw new IllegalArgumentException("position " + pos[r] + " beyond the model's maximum context of " + a.maxContext() + " positions");
            if (pos[r] >= maxPositions) throw new IllegalArgumentException("position " + pos[r] + " beyond the positional encoding's " + maxPositions + " positions");
        }
        // Room for every row's position before anything is computed: a cache that cannot grow fails the pass as it came.
        // Last row first: a prompt's cache (its positions rise with the rows) then grows once, to its last position.
        for (int r = M - 1; r >= 0; r--) caches[r].reserve(pos[r] + 1);
        Scratch s = scratch(M);
        float[] x = s.x;
        for (int r = 0; r < M; r++) {
            embedRow(tokens[r], x, r * C);
            if (a.embeddingScale() != 1f) Vec.scale(a.embeddingScale(), x, r * C, C);
            if (pe.addsToEmbeddings()) pe.embed(w.positionalWeights(), x, r * C, pos[r]);
        }
        for (int l = 0; l < a.nLayer(); l++) {
            ModelWeights.Block b = w.blocks().get(l);
            norm(b.attnNorm(), x, s.h, M);
            MatMul.forward(new Linear[]{b.q(), b.k(), b.v()}, s.h, M, new float[][]{s.q, s.k, s.v});
            prepareQueriesKeys(b, w.positional(l), s, pos, M);
            for (int r = 0; r < M; r++) caches[r].put(l, pos[r], s.k, r * a.kvDim(), s.v, r * a.kvDim());
            attention(l, b, caches, pos, s, M);
            MatMul.forward(b.o(), s.att, M, s.h);
            if (b.postAttnNorm() != null) postNorm(b.postAttnNorm(), s, M);
            residual(s.h, x, M);
            norm(b.mlpNorm(), x, s.h, M);
            if (a.gated()) MatMul.forward(new Linear[]{b.up(), b.gate()}, s.h, M, new float[][]{s.up, s.gate});
            else MatMul.forward(b.up(), s.h, M, s.up);
            switch (a.activation()) {
                case SWIGLU -> {
                    SwiGlu.forward(s.gate, s.up, M * a.nHidden());
                    MatMul.forward(b.down(), s.gate, M, s.h);
                }
                case GEGLU -> {
                    Gelu.forward(s.gate, s.gate, M * a.nHidden());
                    Vec.mul(s.up, 0, s.gate, 0, M * a.nHidden());
                    MatMul.forward(b.down(), s.gate, M, s.h);
                }
                case GELU_TANH -> {
                    Gelu.forward(s.up, s.up, M * a.nHidden());
                    MatMul.forward(b.down(), s.up, M, s.h);
                }
            }
            if (b.postMlpNorm() != null) postNorm(b.postMlpNorm(), s, M);
            residual(s.h, x, M);
        }
        for (int r = 0; r < M; r++) caches[r].length = Math.max(caches[r].length, pos[r] + 1);
        if (hiddenSum != null) {
            norm(w.finalNorm(), x, s.h, M);
            for (int r = 0; r < M; r++) Vec.add(s.h, r * C, hiddenSum, 0, C);
        }
        if (outRows.length == 0) return;
        // Only the requested rows need the final norm and the (large) output projection.
        int K = outRows.length;
        float[] last = new float[K * C];
        for (int i = 0; i < K; i++) System.arraycopy(x, outRows[i] * C, last, i * C, C);
        float[] normed = new float[K * C];
        norm(w.finalNorm(), last, normed, K);
        float[] out = K == 1 ? logits[0] : new float[K * V];
        MatMul.forward(w.output(), normed, K, out);
        if (a.finalSoftcap() > 0) softcap(out, 0, K * V, a.finalSoftcap());
        if (K > 1) for (int i = 0; i < K; i++) System.arraycopy(out, i * V, logits[i], 0, V);
    }

    private void embedRow(int token, float[] x, int off) {
        // Embeddings stay in their stored type (GGUF: often quantized); only the looked-up row is decoded.
        w.tokenEmbedding().dequantizeRow(token, x, off);
    }

    private void norm(ModelWeights.NormWeights n, float[] in, float[] out, int M) {
        int C = a.nEmb();
        F32Tensor wt = (F32Tensor) n.weight();
        if (a.norm() == Architecture.Norm.LAYER_NORM) {
            F32Tensor bt = (F32Tensor) n.bias();
            LayerNorm.forward(out, null, null, in, wt.data(), wt.offset(), bt.data(), bt.offset(), M, C);
        } else {
            byRows(M, (r0, r1) -> {
                for (int r = r0; r < r1; r++) RmsNorm.forward(out, r * C, in, r * C, wt.data(), wt.offset(), C, a.normEps());
            });
        }
    }

    /** {@code x += h} over {@code M} rows. */
    private void residual(float[] h, float[] x, int M) {
        int C = a.nEmb();
        byRows(M, (r0, r1) -> Vec.add(h, r0 * C, x, r0 * C, (r1 - r0) * C));
    }

    /** Rows per task of the row-wise steps between the products (norms, rotations, residuals). */
    private static final int ROWS_PER_TASK = 16;

    /**
     * A row-wise step over {@code M} rows, spread over the pool for a prompt: run on one thread,
     * these steps were ~5 % of a prompt, and the other core waited through them (a decode step's
     * few rows stay on the caller). Rows are independent, so results do not depend on threads.
     */
    private static void byRows(int M, Parallel.RangeBody body) {
        Parallel.forRange(M, ROWS_PER_TASK, body);
    }

    /** The norm after attention or after the MLP (Gemma), applied to {@code s.h} in place before the residual add. */
    private void postNorm(ModelWeights.NormWeights n, Scratch s, int M) {
        int C = a.nEmb();
        System.arraycopy(s.h, 0, s.post, 0, M * C);
        norm(n, s.post, s.h, M);
    }

    /** {@code x = cap·tanh(x/cap)}: soft-capping of scores or logits (Gemma 2). */
    private static void softcap(float[] x, int off, int n, float cap) {
        for (int i = off; i < off + n; i++) x[i] = (float) (cap * Math.tanh(x[i] / cap));
    }

    /** Per-head q/k RMSNorm (Qwen 3, Gemma 3) and rotation (RoPE) of this step's queries and keys. */
    private void prepareQueriesKeys(ModelWeights.Block b, PositionalEncoder pe, Scratch s, int[] pos, int M) {
        byRows(M, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                prepareHeads(s.q, r * a.qDim(), a.nHead(), b.qNorm(), pe, pos[r]);
                prepareHeads(s.k, r * a.kvDim(), a.nKvHead(), b.kNorm(), pe, pos[r]);
            }
        });
    }

    /** The {@code heads} heads of one row from {@code off}, at position {@code pos}: normed where the block has a norm, rotated. */
    private void prepareHeads(float[] v, int off, int heads, Tensor norm, PositionalEncoder pe, int pos) {
        int hs = a.headDim();
        for (int h = 0; h < heads; h++, off += hs) {
            if (norm != null) {
                F32Tensor n = (F32Tensor) norm;
                RmsNorm.forward(v, off, v, off, n.data(), n.offset(), hs, a.normEps());
            }
            if (pe.rotates()) pe.rotate(v, off, pos);
        }
    }

    /** From this many rows of one sequence on, attention runs as blocked matrix products ({@link Attention#prompt}). */
    private static final int PROMPT_ATTENTION_ROWS = 16;

    /**
     * Causal attention of each row's queries over its own cache, positions {@code 0..pos[r]} (or the
     * last {@code slidingWindow} of them), scores soft-capped where the architecture says so.
     */
    private void attention(int layer, ModelWeights.Block block, CpuKvCache[] caches, int[] pos, Scratch s, int M) {
        int hs = a.headDim(), NH = a.nHead(), group = a.nHead() / a.nKvHead(), kd = a.kvDim(), qd = a.qDim();
        float scale = a.attnScale(), cap = a.attnSoftcap();
        int window = block.slidingWindow();
        PositionalEncoder pe = w.positional(layer);
        // The blocked path knows no soft-capping and no window shorter than the prompt.
        if (M >= PROMPT_ATTENTION_ROWS && cap <= 0 && (window <= 0 || window >= pos[0] + M) && oneSequence(caches, pos)) {
            CpuKvCache c = caches[0];
            int n = pos[0] + M;
            if (s.promptValues == null || s.promptValues.length < n * kd) s.promptValues = new float[n * kd];
            c.valueRows(layer, n, s.promptValues);
            Attention.prompt(s.q, qd, (g, len, kT) -> c.transposedKeys(layer, g * hs, hs, len, kT), s.promptValues, kd,
                    pos[0], M, NH, a.nKvHead(), hs, scale, pe, s.att);
            nonFinite(layer, caches, pos, s, M);
            return;
        }
        boolean bias = pe.biasesScores();
        // Tasks are the KEY_BLOCK-aligned blocks of cached positions a row attends to, all heads at
        // once: each reads its keys and values contiguously. (Split by heads instead, each task read a
        // head's slice of every row, strided: 2.5x slower on one thread at 512 cached positions, and
        // two threads slower than one.) A block leaves its own softmax state — per head the largest
        // score m, Σ e^(s−m) and Σ e^(s−m)·v — and the blocks are merged in order afterwards, so the
        // result does not depend on how many threads ran them.
        int[] firstTask = new int[M + 1];
        for (int r = 0; r < M; r++) firstTask[r + 1] = firstTask[r] + pos[r] / KEY_BLOCK - first(pos[r], window) / KEY_BLOCK + 1;
        int tasks = firstTask[M];
        if (s.blockMax == null || s.blockMax.length < tasks * NH) {
            s.blockMax = new float[tasks * NH];
            s.blockSum = new float[tasks * NH];
            s.blockOut = new float[tasks * NH * hs];
        }
        float[] blockMax = s.blockMax, blockSum = s.blockSum, blockOut = s.blockOut;
        Parallel.forRange(tasks, 1, (t0, t1) -> {
            float[] scores = new float[NH * KEY_BLOCK];
            int r = 0;
            for (int t = t0; t < t1; t++) {
                while (firstTask[r + 1] <= t) r++;
                // Positions [p0, p1) of the block that starts at b0; scores from the key group of p0 on.
                int b0 = (first(pos[r], window) / KEY_BLOCK + t - firstTask[r]) * KEY_BLOCK;
                int p0 = Math.max(b0, first(pos[r], window)), p1 = Math.min(pos[r] + 1, b0 + KEY_BLOCK), len = p1 - p0;
                int g0 = p0 & -CpuKvCache.KEY_GROUP, groups = (p1 - g0 + CpuKvCache.KEY_GROUP - 1) / CpuKvCache.KEY_GROUP;
                CachedAttention.scores(s.q, r * qd, caches[r].keys[layer], g0, groups, kd, NH, group, hs, scale, scores, KEY_BLOCK);
                for (int h = 0; h < NH; h++) {
                    int so = h * KEY_BLOCK + p0 - g0;
                    if (cap > 0) softcap(scores, so, len, cap);
                    if (bias) pe.scoreBias(h, pos[r], p0, scores, so, len);
                    float max = Vec.max(scores, so, len);
                    blockMax[t * NH + h] = max;
                    blockSum[t * NH + h] = Vec.expShift(scores, so, len, max);
                }
                CachedAttention.values(scores, KEY_BLOCK, p0 - g0, caches[r].values[layer], p0, len, kd, NH, group, hs, blockOut, t * NH * hs);
            }
        });
        for (int r = 0; r < M; r++) {
            for (int h = 0; h < NH; h++) {
                float max = Float.NEGATIVE_INFINITY, sum = 0;
                for (int t = firstTask[r]; t < firstTask[r + 1]; t++) max = Math.max(max, blockMax[t * NH + h]);
                // Each block's weight e^(m_b − m) replaces its max: computed once, used for the sum and the output.
                for (int t = firstTask[r]; t < firstTask[r + 1]; t++) {
                    blockMax[t * NH + h] = (float) StrictMath.exp(blockMax[t * NH + h] - max);
                    sum += blockMax[t * NH + h] * blockSum[t * NH + h];
                }
                int o = r * qd + h * hs;
                java.util.Arrays.fill(s.att, o, o + hs, 0f);
                for (int t = firstTask[r]; t < firstTask[r + 1]; t++) Vec.axpy(blockMax[t * NH + h] / sum, blockOut, (t * NH + h) * hs, s.att, o, hs);
            }
        }
        nonFinite(layer, caches, pos, s, M);
    }

    /**
     * NaN for the attention of each row that attends to a key or value that was not finite: what float
     * arithmetic gives, and the halves cannot ({@link CpuKvCache#firstNonFinite}). The NaN then reaches
     * the logits, which the sampler refuses with an error, rather than drawing from garbage.
     */
    private void nonFinite(int layer, CpuKvCache[] caches, int[] pos, Scratch s, int M) {
        int qd = a.qDim();
        for (int r = 0; r < M; r++) {
            if (caches[r].attendsNonFinite(layer, pos[r])) java.util.Arrays.fill(s.att, r * qd, (r + 1) * qd, Float.NaN);
        }
    }

    /** Cached positions per attention block task ({@link #attention}); a multiple of {@link CpuKvCache#KEY_GROUP}. */
    static final int KEY_BLOCK = 64;

    /** The first cached position a query at {@code pos} attends to (0, or the start of its window). */
    private static int first(int pos, int window) {
        return window > 0 ? Math.max(0, pos + 1 - window) : 0;
    }

    /** Whether the rows are consecutive positions of one cache (a prompt). */
    private static boolean oneSequence(CpuKvCache[] caches, int[] pos) {
        for (int r = 1; r < pos.length; r++) if (caches[r] != caches[0] || pos[r] != pos[0] + r) return false;
        return true;
    }

    private Scratch scratch(int M) {
        if (scratch == null || scratch.M < M) scratch = new Scratch(a, Math.max(M, 1));
        return scratch;
    }

    private static final class Scratch {
        final int M;
        final float[] x, h, q, k, v, att, up, gate, post;
        /** Attention's per-block softmax state ({@link #attention}), grown as contexts grow. */
        float[] blockMax, blockSum, blockOut;
        /** A prompt's cached values as floats ({@link #attention}), grown as contexts grow. */
        float[] promptValues;

        Scratch(Architecture a, int M) {
            this.M = M;
            int C = a.nEmb();
            x = new float[M * C];
            h = new float[M * C];
            q = new float[M * a.qDim()];
            k = new float[M * a.kvDim()];
            v = new float[M * a.kvDim()];
            att = new float[M * a.qDim()];
            up = new float[M * a.nHidden()];
            gate = a.gated() ? new float[M * a.nHidden()] : null;
            post = new float[M * C];
        }
    }
}
