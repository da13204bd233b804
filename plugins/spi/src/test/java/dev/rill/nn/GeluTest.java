package dev.rill.nn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** GELU against GPT-2's tanh formula and its derivative, written out in double. */
class GeluTest {

    @Test
    void forwardAndBackwardFollowTheTanhApproximation() {
        int n = 1003;
        float[] x = new float[n], y = new float[n], dy = new float[n], dx = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -12f + 24f * i / (n - 1);
            dy[i] = 1f;
        }
        Gelu.forward(y, x, n);
        Gelu.backward(dx, x, dy, n, false);
        double k = Math.sqrt(2 / Math.PI);
        for (int i = 0; i < n; i++) {
            double v = x[i], t = Math.tanh(k * (v + 0.044715 * v * v * v));
            double ref = 0.5 * v * (1 + t);
            double grad = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v);
            assertEquals(ref, y[i], 2e-6 * Math.max(1, Math.abs(ref)), "gelu(" + v + ")");
            assertEquals(grad, dx[i], 2e-6 * Math.max(1, Math.abs(grad)), "gelu'(" + v + ")");
        }
    }

    /** Training's pair (derivative saved in forward, applied in backward) gives forward's and backward's values bit for bit, tails included. */
    @Test
    void savedDerivativeGivesTheSameValuesAsBackward() {
        for (int n : new int[]{1, 15, 16, 17, 1003, 20_011}) {
            float[] x = new float[n], dy = new float[n];
            java.util.SplittableRandom r = new java.util.SplittableRandom(n);
            for (int i = 0; i < n; i++) {
                x[i] = (float) (r.nextGaussian() * 3);
                dy[i] = (float) r.nextGaussian();
            }
            float[] y = new float[n], dx = new float[n];
            Gelu.forward(y, x, n);
            Gelu.backward(dx, x, dy, n, false);
            float[] saved = x.clone(), y2 = new float[n], dx2 = dy.clone();
            Gelu.forwardSavingGrad(y2, saved, n);
            Gelu.backwardSaved(dx2, saved, dx2, n);   // in place, as Gpt calls it
            assertArrayEquals(y, y2, "gelu, n " + n);
            assertArrayEquals(dx, dx2, "gelu' · dy, n " + n);
        }
    }
}
