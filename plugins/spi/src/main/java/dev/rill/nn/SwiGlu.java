package dev.rill.nn;

/** SwiGLU's gate: {@code gate = silu(gate) · up}, in place in {@code gate}. */
public final class SwiGlu {

    private SwiGlu() {
    }

    public static void forward(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
