package dev.rill.nn;

import dev.rill.tensor.VMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SwiGLU's gate: {@code gate = silu(gate) · up}, in place in {@code gate}. Vectorized with
 * {@link VMath#exp} (vector body and scalar tail the same function): a prompt's 128 × 2048 gates
 * took 8–15 % of a stories110M prompt with {@code Math.exp}, serial between two parallel products.
 */
public final class SwiGlu {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private SwiGlu() {
    }

    public static void forward(float[] gate, float[] up, int n) {
        forward(gate, up, 0, n);
    }

    /** The {@code n} gates from {@code off}. */
    public static void forward(float[] gate, float[] up, int off, int n) {
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            g.div(VMath.exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
        }
        for (; i < end; i++) {
            float g = gate[i];
            gate[i] = g / (1f + VMath.exp(-g)) * up[i];
        }
    }
}
