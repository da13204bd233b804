package dev.rill.nn;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** GELU against GPT-2's tanh formula and its derivative, written out in double. */
class GeluTest {

    private static final double K = Math.sqrt(2 / Math.PI);

    private static double tanhOf(double v) {
        return Math.tanh(K * (v + 0.044715 * v * v * v));
    }

    private static double gelu(double v) {
        return 0.5 * v * (1 + tanhOf(v));
    }

    private static double geluGrad(double v) {
        double t = tanhOf(v);
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * 0.044715 * v * v);
    }

    /** Training's pair: forward saving the derivative, then backward applying it to {@code dy} in place, as Gpt calls them. */
    private static float[] backward(float[] x, float[] dy) {
        float[] saved = x.clone(), dx = dy.clone();
        Gelu.forwardSavingGrad(new float[x.length], saved, x.length);
        Gelu.backwardSaved(saved, dx, x.length);
        return dx;
    }

    @Test
    void forwardAndBackwardFollowTheTanhApproximation() {
        int n = 1003;
        float[] x = new float[n], y = new float[n], dy = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -12f + 24f * i / (n - 1);
            dy[i] = 1f;
        }
        Gelu.forward(y, x, n);
        float[] dx = backward(x, dy);
        for (int i = 0; i < n; i++) {
            double ref = gelu(x[i]), grad = geluGrad(x[i]);
            assertEquals(ref, y[i], 2e-6 * Math.max(1, Math.abs(ref)), "gelu(" + x[i] + ")");
            assertEquals(grad, dx[i], 2e-6 * Math.max(1, Math.abs(grad)), "gelu'(" + x[i] + ")");
        }
    }

    /** Training's forward gives forward's output bit for bit, and its derivative the formula's, at lengths that exercise the vector tails and the split across threads. */
    @Test
    void trainingForwardMatchesForwardAndTheDerivativeAtEveryLength() {
        for (int n : new int[]{1, 15, 16, 17, 1003, 20_011}) {
            float[] x = new float[n], dy = new float[n];
            SplittableRandom r = new SplittableRandom(n);
            for (int i = 0; i < n; i++) {
                x[i] = (float) (r.nextGaussian() * 3);
                dy[i] = (float) r.nextGaussian();
            }
            float[] y = new float[n], y2 = new float[n];
            Gelu.forward(y, x, n);
            Gelu.forwardSavingGrad(y2, x.clone(), n);
            assertArrayEquals(y, y2, "gelu, n " + n);
            float[] dx = backward(x, dy);
            for (int i = 0; i < n; i++) {
                double want = geluGrad(x[i]) * dy[i];
                assertEquals(want, dx[i], 2e-6 * Math.max(1, Math.abs(want)), "gelu'(" + x[i] + ") · dy, n " + n);
            }
        }
    }
}
