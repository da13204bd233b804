package dev.rill.nn;

import org.junit.jupiter.api.Test;

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

    /** A range from an offset (a prompt's rows split across threads) touches only its gates, each as the whole call computes it. */
    @Test
    void aRangeFromAnOffsetMatchesTheWholeCall() {
        int n = 300, off = 37, len = 200;
        float[] gate = new float[n], up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) Math.cos(0.3 * i) * 6f;
            up[i] = (float) Math.sin(i) * 3f;
        }
        float[] whole = gate.clone(), part = gate.clone();
        SwiGlu.forward(whole, up, n);
        SwiGlu.forward(part, up, off, len);
        for (int i = 0; i < n; i++) {
            float expected = i >= off && i < off + len ? whole[i] : gate[i];
            assertEquals(expected, part[i], 0f, "gate " + i);
        }
    }
}
