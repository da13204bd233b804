package dev.rill.nn;

import dev.rill.spi.PositionalEncoder;
import dev.rill.tensor.Gemm;
import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;

/**
 * Causal multi-head self-attention over a packed {@code qkv (B, T, 3C)} buffer (queries, keys,
 * values side by side, head {@code h} at columns {@code h·hs}), with the positional encoder's hooks:
 * queries and keys rotated in place (RoPE) and a bias added to scores (ALiBi). Saves each query
 * row's log-sum-exp {@code (B, NH, T)} for backward, which recomputes the attention weights.
 * Position of token {@code t} is {@code t}.
 */
public final class Attention {

    private Attention() {
    }

    /** Rotates queries and keys in place when the encoder rotates; called before {@link #forward}. */
    public static void rotate(float[] qkv, PositionalEncoder pe, int B, int T, int C, int NH) {
        if (pe.rotates()) eachQueryAndKey(qkv, B, T, C, NH, pe::rotate);
    }

    /** Applies the transpose of the rotation to the query and key gradients in place. */
    public static void rotateBackward(float[] dqkv, PositionalEncoder pe, int B, int T, int C, int NH) {
        if (pe.rotates()) eachQueryAndKey(dqkv, B, T, C, NH, pe::rotateBackward);
    }

    /** A map applied in place to one head's vector at a position. */
    private interface HeadMap {
        void apply(float[] v, int off, int pos);
    }

    private static void eachQueryAndKey(float[] qkv, int B, int T, int C, int NH, HeadMap map) {
        int hs = C / NH;
        Parallel.forRange(B * T, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = r % T, base = r * 3 * C;
                for (int h = 0; h < NH; h++) {
                    map.apply(qkv, base + h * hs, t);
                    map.apply(qkv, base + C + h * hs, t);
                }
            }
        });
    }

    /** Query rows handled together: the causal mask lets a block skip every key after its last row. */
    private static final int ROWS = 64;

    /** Each thread's scratch (transposed keys or values, score and gradient blocks), kept between calls. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);

    private static float[] scratch(int i, int n) {
        float[][] s = SCRATCH.get();
        if (s[i].length < n) s[i] = new float[n];
        return s[i];
    }

    /**
     * {@code out (B,T,C)} = softmax(q·kᵀ/√hs + bias) · v, causal. Per (batch, head), block by
     * block of query rows, both products run as matrix multiplications on {@link Gemm}. Keeps only
     * each row's log-sum-exp, {@code lse (B,NH,T)}, for backward — not the {@code T×T} attention
     * weights, which {@link #backward} recomputes (as FlashAttention does): {@code B·NH·T²} floats
     * per layer are most of a training step's activations at long contexts.
     */
    public static void forward(float[] out, float[] lse, float[] qkv, PositionalEncoder pe, int B, int T, int C, int NH) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        boolean bias = pe.biasesScores();
        Parallel.forEach(B * NH, bh -> {
            int b = bh / NH, h = bh % NH;
            int q = b * T * C3 + h * hs, k = q + C, v = q + 2 * C;
            float[] kT = scratch(0, hs * T), att = scratch(1, ROWS * T), inv = scratch(3, ROWS);
            Gemm.transpose(qkv, k, T, hs, C3, kT, 0);
            for (int i0 = 0; i0 < T; i0 += ROWS) {
                int i1 = Math.min(T, i0 + ROWS);
                // scores[i, j] for i in [i0, i1), j in [0, i1): only keys up to the block's last query.
                Gemm.gemm(i1 - i0, i1, hs, qkv, q + i0 * C3, C3, 1, kT, 0, T, att, 0, T, false);
                // Each row's exponentials are left unnormalised and its output row (hs values, not
                // i+1) divided by their sum after the product with V: one pass over the row fewer,
                // and without a bias the scale rides in the exponential's argument, another.
                for (int i = i0; i < i1; i++) {
                    int row = (i - i0) * T;
                    float s = scale;
                    if (bias) {   // the bias is added to scaled scores: scale first
                        Vec.scale(scale, att, row, i + 1);
                        pe.scoreBias(h, i, 0, att, row, i + 1);
                        s = 1f;
                    }
                    float max = s * Vec.max(att, row, i + 1);   // s > 0: the same score is the largest
                    float sum = Vec.expScaled(att, row, i + 1, s, max);
                    java.util.Arrays.fill(att, row + i + 1, row + i1, 0f);
                    inv[i - i0] = 1f / sum;
                    lse[bh * T + i] = max + (float) Math.log(sum);
                }
                Gemm.gemm(i1 - i0, hs, i1, att, 0, T, 1, qkv, v, C3, out, (b * T + i0) * C + h * hs, C, false);
                for (int i = i0; i < i1; i++) Vec.scale(inv[i - i0], out, (b * T + i) * C + h * hs, hs);
            }
        });
    }

    /**
     * Causal attention of a prompt (inference): {@code M} query rows at positions
     * {@code p0 .. p0+M−1} of one sequence over that sequence's cached keys and values (positions
     * {@code 0 .. p0+M−1}, already stored). Query head {@code h} reads key/value head
     * {@code h / (NH/NKV)} (grouped-query attention). Per head and block of query rows, scores and
     * the weighted sum of values are matrix products on {@link Gemm} (a query at a time would be
     * a dot product per key); each row's softmax covers its own positions only.
     *
     * @param q        queries: row {@code i}, head {@code h} at {@code i·qStride + h·hs}
     * @param keys     the cached keys of a key/value head, transposed (the cache's layout is the caller's)
     * @param values   cached values: position {@code t}, head {@code g} at {@code t·kvStride + g·hs}
     * @param scale    factor on the scores ({@code 1/√hs} unless the architecture says otherwise)
     * @param out      attention output, laid out as {@code q}
     */
    public static void prompt(float[] q, int qStride, TransposedKeys keys, float[] values, int kvStride, int p0, int M,
                              int NH, int NKV, int hs, float scale, PositionalEncoder pe, float[] out) {
        int group = NH / NKV, blocks = (M + ROWS - 1) / ROWS, n = p0 + M;
        boolean bias = pe.biasesScores();
        Parallel.forRange(NH * blocks, 1, (t0, t1) -> {
            float[] kT = new float[hs * n], scores = new float[ROWS * n];
            int transposed = -1;
            for (int t = t0; t < t1; t++) {
                int h = t / blocks, i0 = t % blocks * ROWS, i1 = Math.min(M, i0 + ROWS), kvh = h / group, cols = p0 + i1;
                if (kvh != transposed) {
                    keys.write(kvh, n, kT);
                    transposed = kvh;
                }
                Gemm.gemm(i1 - i0, cols, hs, q, i0 * qStride + h * hs, qStride, 1, kT, 0, n, scores, 0, n, false);
                for (int i = i0; i < i1; i++) {
                    int row = (i - i0) * n, len = p0 + i + 1;
                    Vec.scale(scale, scores, row, len);
                    if (bias) pe.scoreBias(h, p0 + i, 0, scores, row, len);
                    float max = Vec.max(scores, row, len);
                    float sum = Vec.expShift(scores, row, len, max);
                    Vec.scale(1f / sum, scores, row, len);
                    java.util.Arrays.fill(scores, row + len, row + cols, 0f);
                }
                Gemm.gemm(i1 - i0, hs, cols, scores, 0, n, 1, values, kvh * hs, kvStride, out, i0 * qStride + h * hs, qStride, false);
            }
        });
    }

    /** A key/value head's cached keys, as {@link #prompt} reads them. */
    @FunctionalInterface
    public interface TransposedKeys {
        /** Writes key/value head {@code g}'s keys of positions {@code [0, n)} into {@code kT}: channel {@code i} of position {@code t} at {@code i·n + t}. */
        void write(int g, int n, float[] kT);
    }

    /**
     * Given {@code dout (B,T,C)}, writes {@code dqkv (B,T,3C)} (overwritten). The attention
     * weights are recomputed from q, k and the saved {@code lse}: {@code P = exp(s − lse)}.
     */
    public static void backward(float[] dqkv, float[] dout, float[] qkv, float[] lse, PositionalEncoder pe, int B, int T, int C, int NH) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        boolean bias = pe.biasesScores();
        Parallel.forEach(B * NH, bh -> {
            int b = bh / NH, h = bh % NH;
            int q = b * T * C3 + h * hs, k = q + C, v = q + 2 * C, d = b * T * C + h * hs;
            float[] tr = scratch(0, hs * T), att = scratch(1, T * T), dS = scratch(2, T * T);
            // P, row by row: the scores as forward computed them, exp(s − lse) up to the diagonal.
            Gemm.transpose(qkv, k, T, hs, C3, tr, 0);
            for (int i0 = 0; i0 < T; i0 += ROWS) {
                int i1 = Math.min(T, i0 + ROWS);
                Gemm.gemm(i1 - i0, i1, hs, qkv, q + i0 * C3, C3, 1, tr, 0, T, att, i0 * T, T, false);
                for (int i = i0; i < i1; i++) {
                    int row = i * T;
                    float s = scale;
                    if (bias) {
                        Vec.scale(scale, att, row, i + 1);
                        pe.scoreBias(h, i, 0, att, row, i + 1);
                        s = 1f;
                    }
                    Vec.expScaled(att, row, i + 1, s, lse[bh * T + i]);
                    java.util.Arrays.fill(att, row + i + 1, row + T, 0f);
                }
            }
            // dP = dO · Vᵀ, then the softmax backward row by row: dS = P ⊙ (dP − Σ P⊙dP), scaled.
            Gemm.transpose(qkv, v, T, hs, C3, tr, 0);
            for (int i0 = 0; i0 < T; i0 += ROWS) {
                int i1 = Math.min(T, i0 + ROWS);
                Gemm.gemm(i1 - i0, i1, hs, dout, d + i0 * C, C, 1, tr, 0, T, dS, i0 * T, T, false);
            }
            for (int i = 0; i < T; i++) {
                int row = i * T;
                float dot = Vec.dot(att, row, dS, row, i + 1);
                for (int j = 0; j <= i; j++) dS[row + j] = att[row + j] * (dS[row + j] - dot) * scale;
                java.util.Arrays.fill(dS, row + i + 1, row + T, 0f);
            }
            // dQ = dS · K ; dK = dSᵀ · Q ; dV = Pᵀ · dO. Zeros above the diagonal contribute nothing:
            // query block i0 reads keys before i1 only, key block j0 gets queries from j0 on only.
            for (int i0 = 0; i0 < T; i0 += ROWS) {
                int i1 = Math.min(T, i0 + ROWS);
                Gemm.gemm(i1 - i0, hs, i1, dS, i0 * T, T, 1, qkv, k, C3, dqkv, q + i0 * C3, C3, false);
                Gemm.gemm(i1 - i0, hs, T - i0, dS, i0 * T + i0, 1, T, qkv, q + i0 * C3, C3, dqkv, k + i0 * C3, C3, false);
                Gemm.gemm(i1 - i0, hs, T - i0, att, i0 * T + i0, 1, T, dout, d + i0 * C, C, dqkv, v + i0 * C3, C3, false);
            }
        });
    }
}
