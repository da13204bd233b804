package dev.rill.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VMathTest {

    @Test
    void expMatchesMathExpToAFewUlpsAndVectorEqualsScalar() {
        SplittableRandom r = new SplittableRandom(3);
        var S = FloatVector.SPECIES_PREFERRED;
        float[] x = new float[S.length() * 4096], y = new float[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 170 - 86);
        for (int i = 0; i < x.length; i += S.length()) VMath.exp(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double ref = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - ref) / ref);
            assertEquals(VMath.exp(x[i]), y[i], "vector and scalar exp differ at " + x[i]);
        }
        assertEquals(0, worst, 3e-7, "worst relative error");
        assertEquals(0f, VMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, VMath.exp(-100f));
        assertEquals(Float.POSITIVE_INFINITY, VMath.exp(100f));
        assertEquals(1f, VMath.exp(0f));
    }

    @Test
    void horizontalSumIsTheHalvingTree() {
        var S = FloatVector.SPECIES_PREFERRED;
        Random rnd = new Random(5);
        for (int rep = 0; rep < 200; rep++) {
            float[] v = new float[S.length()];
            // Magnitudes from 1e-4 to 1e8, so that a different order of additions rounds differently.
            for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-4, 9)));
            float[] tree = v.clone();
            for (int h = tree.length / 2; h >= 1; h /= 2) for (int i = 0; i < h; i++) tree[i] = tree[i] + tree[i + h];
            assertEquals(Float.floatToIntBits(tree[0]), Float.floatToIntBits(VMath.sum(FloatVector.fromArray(S, v, 0))), "lanes " + java.util.Arrays.toString(v));
        }
    }
}
