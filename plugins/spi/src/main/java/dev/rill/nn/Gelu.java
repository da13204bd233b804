package dev.rill.nn;

import dev.rill.tensor.Parallel;
import dev.rill.tensor.VMath;
import dev.rill.tensor.Vec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU, tanh approximation (GPT-2's): {@code 0.5·x·(1 + tanh(y))} with {@code y = √(2/π)·(x + 0.044715·x³)}.
 * Computed as {@code x·σ(2y)}, the same function, because one vector exp is much cheaper than a vector tanh.
 */
public final class Gelu {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float K = (float) Math.sqrt(2.0 / Math.PI);
    private static final float C3 = 0.044715f;

    private Gelu() {
    }

    public static void forward(float[] out, float[] inp, int n) {
        Parallel.forRange(n, 8192, (i0, i1) -> {
            int i = i0;
            for (; i + S.length() <= i1; i += S.length()) {
                FloatVector x = FloatVector.fromArray(S, inp, i);
                FloatVector minus2y = x.mul(x).mul(-2f * K * C3).sub(2f * K).mul(x);          // −2y
                FloatVector sig = VMath.exp(minus2y).add(1f);              // 1 + e^{−2y}
                x.div(sig).intoArray(out, i);
            }
            for (; i < i1; i++) out[i] = scalar(inp[i]);
        });
    }

    /**
     * Training's forward: {@code out = gelu(x)}, and {@code x} overwritten by {@code gelu'(x)}, all
     * that backward needs of it ({@link #backwardSaved}): the one exponential per value serves both,
     * where recomputing the output and the derivative in backward took two more. {@code out} is
     * {@link #forward}'s, bit for bit. With {@code s = σ(2y)}: {@code gelu' = s + x·s·(1−s)·2·y'},
     * {@code y' = √(2/π)(1 + 3·0.044715·x²)}.
     */
    public static void forwardSavingGrad(float[] out, float[] x, int n) {
        Parallel.forRange(n, 8192, (i0, i1) -> {
            int i = i0;
            for (; i + S.length() <= i1; i += S.length()) {
                FloatVector v = FloatVector.fromArray(S, x, i);
                FloatVector v2 = v.mul(v);
                FloatVector sig = VMath.exp(v2.mul(-2f * K * C3).sub(2f * K).mul(v)).add(1f);   // 1 + e^{−2y}
                v.div(sig).intoArray(out, i);
                FloatVector s = FloatVector.broadcast(S, 1f).div(sig);
                FloatVector dy2 = v2.mul(6f * K * C3).add(2f * K);
                v.mul(s).mul(s.neg().add(1f)).fma(dy2, s).intoArray(x, i);
            }
            for (; i < i1; i++) {
                float v = x[i];
                out[i] = scalar(v);
                x[i] = scalarGrad(v);
            }
        });
    }

    /** In place, {@code d *= grad}: the gradient through GELU, {@code grad} being what {@link #forwardSavingGrad} left. */
    public static void backwardSaved(float[] grad, float[] d, int n) {
        Parallel.forRange(n, 8192, (i0, i1) -> Vec.mul(grad, i0, d, i0, i1 - i0));
    }

    static float scalar(float x) {
        return x / (VMath.exp((x * x * (-2f * K * C3) - 2f * K) * x) + 1f);
    }

    static float scalarGrad(float x) {
        float x2 = x * x;
        float s = 1f / (VMath.exp((x2 * (-2f * K * C3) - 2f * K) * x) + 1f);
        return Math.fma(x * s * (1f - s), x2 * (6f * K * C3) + 2f * K, s);
    }
}
