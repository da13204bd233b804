package dev.rill.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Dot products and axpy against plain double-precision loops, at every length around the vector width (tails included). */
class VecTest {

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    @Test
    void dotIsTheSumOfProducts() {
        Random rnd = new Random(7);
        for (int n = 0; n <= 4 * Vec.L + 5; n++) {
            float[] a = random(rnd, n + 3), b = random(rnd, n + 5);
            double want = 0, scale = 0;
            for (int i = 0; i < n; i++) {
                want += (double) a[3 + i] * b[5 + i];
                scale += Math.abs((double) a[3 + i] * b[5 + i]);
            }
            assertEquals(want, Vec.dot(a, 3, b, 5, n), 1e-6 * scale + 1e-30, "n " + n);
        }
    }

    @Test
    void axpyAddsAScaledRow() {
        Random rnd = new Random(11);
        for (int n = 0; n <= 2 * Vec.L + 3; n++) {
            float[] x = random(rnd, n + 2), y = random(rnd, n + 4), y0 = y.clone();
            Vec.axpy(0.75f, x, 2, y, 4, n);
            for (int i = 0; i < y.length; i++) {
                double want = i >= 4 && i < 4 + n ? y0[i] + 0.75 * x[i - 2] : y0[i];
                assertEquals(want, y[i], 1e-6 * (Math.abs(want) + 1), "n " + n + ", element " + i);
            }
        }
    }

    @Test
    void softmaxStepsTouchOnlyTheirRangeAndMatchScalarMath() {
        Random rnd = new Random(13);
        for (int n = 1; n <= 3 * Vec.L + 2; n++) {
            // The range starts at 2 and ends one short of the array's end or flush with it: the steps
            // (vector body and scalar tail) must neither read nor write outside it.
            for (int pad : new int[]{0, 1}) {
                float[] x = random(rnd, 2 + n + pad), x0 = x.clone();
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) max = Math.max(max, x0[2 + i]);
                assertEquals((float) max, Vec.max(x, 2, n), "max, n " + n);
                // The same softmax two ways: a scaling pass then expShift, and expScaled in one pass.
                float[] y = x.clone();
                Vec.scale(0.5f, x, 2, n);
                float sum = Vec.expShift(x, 2, n, (float) max * 0.5f);
                float sumScaled = Vec.expScaled(y, 2, n, 0.5f, (float) max * 0.5f);
                double want = 0;
                for (int i = 0; i < x.length; i++) {
                    boolean in = i >= 2 && i < 2 + n;
                    double e = Math.exp(0.5 * x0[i] - 0.5 * max);
                    if (in) want += e;
                    assertEquals(in ? e : x0[i], x[i], in ? 1e-6 * e : 0, "n " + n + ", element " + i);
                    assertEquals(in ? e : x0[i], y[i], in ? 1e-6 * e : 0, "expScaled, n " + n + ", element " + i);
                }
                assertEquals(want, sum, 1e-6 * want, "sum of exp, n " + n);
                assertEquals(want, sumScaled, 1e-6 * want, "expScaled's sum, n " + n);
            }
        }
    }
}
