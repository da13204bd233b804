package dev.rill.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

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
    void horizontalSumAddsLanesInOrder() {
        var S = FloatVector.SPECIES_PREFERRED;
        float[] v = new float[S.length()];
        v[0] = 1e8f;
        for (int i = 1; i < v.length; i++) v[i] = 1f;
        float expected = v[0];
        for (int i = 1; i < v.length; i++) expected += v[i];
        assertEquals(expected, VMath.sum(FloatVector.fromArray(S, v, 0)));
    }
}
