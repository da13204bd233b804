package dev.rill.nn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** SwiGLU's gate against {@code g / (1 + e^−g) · u} written out in double, over the float range's extremes too. */
class SwiGluTest {

    @Test
    void forwardFollowsTheDefinition() {
        int n = 1003; // not a multiple of any vector length: the scalar tail runs too
        float[] gate = new float[n], up = new float[n], g0 = new float[n];
        for (int i = 0; i < n; i++) {
            g0[i] = gate[i] = -100f + 200f * i / (n - 1);
            up[i] = (float) Math.sin(i) * 3f;
        }
        gate[0] = g0[0] = -Float.MAX_VALUE;
        gate[1] = g0[1] = Float.MAX_VALUE;
        SwiGlu.forward(gate, up, n);
        for (int i = 0; i < n; i++) {
            double g = g0[i], ref = g / (1 + Math.exp(-g)) * up[i];
            if (i == 1) ref = (double) Float.MAX_VALUE * up[i]; // silu(g) = g for large g
            assertEquals((float) ref, gate[i], 2e-6 * Math.max(1, Math.abs(ref)), "silu(" + g + ")·" + up[i]);
        }
    }

    /** In a two-thread pool (a prompt's gates, split into chunks) every gate is what the call on one thread gives, bit for bit. */
    @Test
    void twoThreadsGiveWhatOneGives() {
        int n = 8 * 8200 + 1; // eight chunks of 8,201 (two threads × four): they start off the vector width
        float[] gate = new float[n], up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) Math.cos(0.3 * i) * 6f;
            up[i] = (float) Math.sin(i) * 3f;
        }
        float[] one = gate.clone(), two = gate.clone();
        SwiGlu.forward(one, up, n);
        try (dev.rill.tensor.Parallel pool = new dev.rill.tensor.Parallel(2)) {
            pool.run(() -> SwiGlu.forward(two, up, n));
        }
        assertArrayEquals(one, two);
    }
}
