package dev.rill.nn;

import dev.rill.spi.PositionalEncoder;
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
        if (!pe.rotates()) return;
        int hs = C / NH;
        Parallel.forRange(B * T, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = r % T, base = r * 3 * C;
                for (int h = 0; h < NH; h++) {
                    pe.rotate(qkv, base + h * hs, t);
                    pe.rotate(qkv, base + C + h * hs, t);
                }
            }
        });
    }

    /** Applies the transpose of the rotation to the query and key gradients in place. */
    public static void rotateBackward(float[] dqkv, PositionalEncoder pe, int B, int T, int C, int NH) {
        if (!pe.rotates()) return;
        int hs = C / NH;
        Parallel.forRange(B * T, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = r % T, base = r * 3 * C;
                for (int h = 0; h < NH; h++) {
                    pe.rotateBackward(dqkv, base + h * hs, t);
                    pe.rotateBackward(dqkv, base + C + h * hs, t);
                }
            }
        });
    }

    /** {@code out (B,T,C)} = softmax(q·kᵀ/√hs + bias) · v, causal. */
    public static void forward(float[] out, float[] att, float[] qkv, PositionalEncoder pe, int B, int T, int C, int NH) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        boolean bias = pe.biasesScores();
        Parallel.forEach(B * NH, bh -> {
            int b = bh / NH, h = bh % NH;
            for (int t = 0; t < T; t++) {
                int q = (b * T + t) * C3 + h * hs;
                int a = (bh * T + t) * T;
                for (int t2 = 0; t2 <= t; t2++) {
                    att[a + t2] = scale * Vec.dot(qkv, q, qkv, (b * T + t2) * C3 + C + h * hs, hs);
                }
                if (bias) pe.scoreBias(h, t, 0, att, a, t + 1);
                float max = Vec.max(att, a, t + 1);
                float sum = Vec.expShift(att, a, t + 1, max);
                Vec.scale(1f / sum, att, a, t + 1);
                java.util.Arrays.fill(att, a + t + 1, a + T, 0f);
                int o = (b * T + t) * C + h * hs;
                java.util.Arrays.fill(out, o, o + hs, 0f);
                for (int t2 = 0; t2 <= t; t2++) {
                    Vec.axpy(att[a + t2], qkv, (b * T + t2) * C3 + 2 * C + h * hs, out, o, hs);
                }
            }
        });
    }

    /** Given {@code dout (B,T,C)}, writes {@code dqkv (B,T,3C)} (overwritten). */
    public static void backward(float[] dqkv, float[] dout, float[] qkv, float[] att, int B, int T, int C, int NH) {
        int hs = C / NH, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(hs));
        Parallel.forEach(B * NH, bh -> {
            int b = bh / NH, h = bh % NH;
            float[] datt = new float[T];
            for (int t = 0; t < T; t++) {
                int r = (b * T + t) * C3 + h * hs;
                java.util.Arrays.fill(dqkv, r, r + hs, 0f);
                java.util.Arrays.fill(dqkv, r + C, r + C + hs, 0f);
                java.util.Arrays.fill(dqkv, r + 2 * C, r + 2 * C + hs, 0f);
            }
            // Later queries touch earlier keys and values: walk t downwards is not needed, since
            // every row's contributions are sums; any order gives the same result up to rounding.
            for (int t = 0; t < T; t++) {
                int a = (bh * T + t) * T;
                int d = (b * T + t) * C + h * hs;
                int q = (b * T + t) * C3 + h * hs;
                float dot = 0f;
                for (int t2 = 0; t2 <= t; t2++) {
                    int v = (b * T + t2) * C3 + 2 * C + h * hs;
                    float g = Vec.dot(dout, d, qkv, v, hs);
                    datt[t2] = g;
                    dot += g * att[a + t2];
                    Vec.axpy(att[a + t2], dout, d, dqkv, v, hs);
                }
                for (int t2 = 0; t2 <= t; t2++) {
                    float dpre = att[a + t2] * (datt[t2] - dot) * scale;
                    if (dpre == 0f) continue;
                    int k = (b * T + t2) * C3 + C + h * hs;
                    Vec.axpy(dpre, qkv, k, dqkv, q, hs);
                    Vec.axpy(dpre, qkv, q, dqkv, k, hs);
                }
            }
        });
    }
}
