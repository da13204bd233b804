package dev.rill.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The many-row kernels of decode attention give, bit for bit, what the one-row kernels give row by row. */
class VecTest {

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    @Test
    void dotEachIsDotRowByRow() {
        Random rnd = new Random(7);
        for (int n : new int[]{4 * Vec.L, 3 * Vec.L, 2 * Vec.L + 3, 5}) {
            int count = 37, stride = n + 11, qo = 3, ro = 5;
            float[] q = random(rnd, qo + n), rows = random(rnd, ro + count * stride);
            float[] got = new float[count + 2];
            Vec.dotEach(q, qo, rows, ro, stride, count, n, 0.125f, got, 2);
            for (int t = 0; t < count; t++) {
                float want = 0.125f * Vec.dot(q, qo, rows, ro + t * stride, n);
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[2 + t]), "n " + n + ", row " + t);
            }
        }
    }

    @Test
    void addWeightedRowsIsAxpyRowByRow() {
        Random rnd = new Random(11);
        for (int n : new int[]{4 * Vec.L, 3 * Vec.L, 2 * Vec.L + 3, 5}) {
            int count = 29, stride = n + 7, ro = 4, yo = 6;
            float[] w = random(rnd, count + 1), rows = random(rnd, ro + count * stride), y0 = random(rnd, yo + n);
            float[] want = y0.clone(), got = y0.clone();
            for (int t = 0; t < count; t++) Vec.axpy(w[1 + t] * 0.5f, rows, ro + t * stride, want, yo, n);
            Vec.addWeightedRows(w, 1, 0.5f, rows, ro, stride, count, got, yo, n);
            assertArrayEquals(want, got, 0f, "n " + n);
        }
    }
}
