package dev.rill.nn;

import dev.rill.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** GELU, tanh approximation (GPT-2's): {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
public final class Gelu {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float K = (float) Math.sqrt(2.0 / Math.PI);
    private static final float C3 = 0.044715f;

    private Gelu() {
    }

    public static void forward(float[] out, float[] inp, int n) {
        Parallel.forRange(n, 4096, (i0, i1) -> {
            int i = i0;
            for (; i + S.length() <= i1; i += S.length()) {
                FloatVector x = FloatVector.fromArray(S, inp, i);
                FloatVector cube = x.mul(x).mul(x).mul(C3);
                FloatVector t = x.add(cube).mul(K).lanewise(VectorOperators.TANH);
                x.mul(0.5f).mul(t.add(1f)).intoArray(out, i);
            }
            for (; i < i1; i++) out[i] = scalar(inp[i]);
        });
    }

    /** {@code dinp += dout · gelu'(inp)}; {@code dinp} may be {@code dout} itself (then it is overwritten). */
    public static void backward(float[] dinp, float[] inp, float[] dout, int n, boolean accumulate) {
        Parallel.forRange(n, 4096, (i0, i1) -> {
            int i = i0;
            for (; i + S.length() <= i1; i += S.length()) {
                FloatVector x = FloatVector.fromArray(S, inp, i);
                FloatVector x2 = x.mul(x);
                FloatVector arg = x.add(x2.mul(x).mul(C3)).mul(K);
                FloatVector t = arg.lanewise(VectorOperators.TANH);
                FloatVector sech2 = t.mul(t).neg().add(1f);
                FloatVector local = t.add(1f).mul(0.5f)
                        .add(x.mul(0.5f).mul(sech2).mul(x2.mul(3f * C3).add(1f).mul(K)));
                FloatVector g = local.mul(FloatVector.fromArray(S, dout, i));
                if (accumulate) g = g.add(FloatVector.fromArray(S, dinp, i));
                g.intoArray(dinp, i);
            }
            for (; i < i1; i++) {
                float g = scalarGrad(inp[i]) * dout[i];
                dinp[i] = accumulate ? dinp[i] + g : g;
            }
        });
    }

    static float scalar(float x) {
        return 0.5f * x * (1f + (float) Math.tanh(K * (x + C3 * x * x * x)));
    }

    static float scalarGrad(float x) {
        float t = (float) Math.tanh(K * (x + C3 * x * x * x));
        float sech2 = 1f - t * t;
        return 0.5f * (1f + t) + 0.5f * x * sech2 * K * (1f + 3f * C3 * x * x);
    }
}
