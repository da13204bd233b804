package dev.rill.nn;

import dev.rill.spi.PositionalEncoder;
import dev.rill.tensor.Gemm;
import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;

/**
 * Causal multi-head self-attention over a packed {@code qkv (B, T, 3C)} buffer (queries, keys,
 * values side by side, head {@code h} at columns {@code h·hs}), with the positional encoder's hooks:
 * queries and keys rotated in place (RoPE) and a bias added to scores (ALiBi). Saves the
 * attention weights {@code att (B, NH, T, T)} for backward. Position of token {@code t} is {@code t}.
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

    /**
     * {@code out (B,T,C)} = softmax(q·kᵀ/√hs + bias) · v, causal. Per (batch, head), block by
     * block of query rows, both products run as matrix multiplications on {@link Gemm}.
     */
    public static void forward(float[] out, float[] att, float[] qkv, PositionalEncoder pe, int B, int T, int C, int NH) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        boolean bias = pe.biasesScores();
        Parallel.forEach(B * NH, bh -> {
            int b = bh / NH, h = bh % NH;
            int q = b * T * C3 + h * hs, k = q + C, v = q + 2 * C, a = bh * T * T;
            float[] kT = new float[hs * T];
            Gemm.transpose(qkv, k, T, hs, C3, kT, 0);
            for (int i0 = 0; i0 < T; i0 += ROWS) {
                int i1 = Math.min(T, i0 + ROWS);
                // scores[i, j] for i in [i0, i1), j in [0, i1): only keys up to the block's last query.
                Gemm.gemm(i1 - i0, i1, hs, qkv, q + i0 * C3, C3, 1, kT, 0, T, att, a + i0 * T, T, false);
                for (int i = i0; i < i1; i++) {
                    int row = a + i * T;
                    Vec.scale(scale, att, row, i + 1);
                    if (bias) pe.scoreBias(h, i, 0, att, row, i + 1);
                    float max = Vec.max(att, row, i + 1);
                    float sum = Vec.expShift(att, row, i + 1, max);
                    Vec.scale(1f / sum, att, row, i + 1);
                    java.util.Arrays.fill(att, row + i + 1, row + T, 0f);
                }
                Gemm.gemm(i1 - i0, hs, i1, att, a + i0 * T, T, 1, qkv, v, C3, out, (b * T + i0) * C + h * hs, C, false);
            }
        });
    }

    /** Given {@code dout (B,T,C)}, writes {@code dqkv (B,T,3C)} (overwritten). */
    public static void backward(float[] dqkv, float[] dout, float[] qkv, float[] att, int B, int T, int C, int NH) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        Parallel.forEach(B * NH, bh -> {
            int b = bh / NH, h = bh % NH;
            int q = b * T * C3 + h * hs, k = q + C, v = q + 2 * C, a = bh * T * T, d = b * T * C + h * hs;
            float[] vT = new float[hs * T];
            float[] dS = new float[T * T];
            Gemm.transpose(qkv, v, T, hs, C3, vT, 0);
            // dP = dO · Vᵀ, then the softmax backward row by row: dS = P ⊙ (dP − Σ P⊙dP), scaled.
            for (int i0 = 0; i0 < T; i0 += ROWS) {
                int i1 = Math.min(T, i0 + ROWS);
                Gemm.gemm(i1 - i0, i1, hs, dout, d + i0 * C, C, 1, vT, 0, T, dS, i0 * T, T, false);
            }
            for (int i = 0; i < T; i++) {
                int row = i * T, p = a + i * T;
                float dot = Vec.dot(att, p, dS, row, i + 1);
                for (int j = 0; j <= i; j++) dS[row + j] = att[p + j] * (dS[row + j] - dot) * scale;
                java.util.Arrays.fill(dS, row + i + 1, row + T, 0f);
            }
            // dQ = dS · K ; dK = dSᵀ · Q ; dV = Pᵀ · dO  (zeros above the diagonal contribute nothing)
            for (int i0 = 0; i0 < T; i0 += ROWS) {
                int i1 = Math.min(T, i0 + ROWS);
                Gemm.gemm(i1 - i0, hs, i1, dS, i0 * T, T, 1, qkv, k, C3, dqkv, q + i0 * C3, C3, false);
            }
            Gemm.gemm(T, hs, T, dS, 0, 1, T, qkv, q, C3, dqkv, k, C3, false);
            Gemm.gemm(T, hs, T, att, a, 1, T, dout, d, C, dqkv, v, C3, false);
        });
    }
}
