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
}
