package dev.rill.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector math whose results do not depend on how the JVM runs it. The Vector API's own
 * {@code lanewise(EXP)} and {@code reduceLanes(ADD)} give slightly different results when
 * interpreted and when compiled (different summation order, a different exp library), which would
 * make training differ in the last bits between a fresh JVM and a warm one, so a resumed run could
 * not repeat an uninterrupted one. These use only IEEE-exact operations (add, multiply, fma,
 * integer bit tricks) in a fixed order.
 */
public final class VMath {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;   // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
    private static final float MAX_ARG = 88.3762626647949f, MIN_ARG = -87.3365478515625f;

    private VMath() {
    }

    /** e^x per lane (relative error ≈ 1e-7; 0 below −87.3, including −∞; +∞ above 88.37). */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.lt(MIN_ARG), over = x.compare(VectorOperators.GT, MAX_ARG);
        FloatVector xc = x.max(MIN_ARG).min(MAX_ARG);
        FloatVector t = xc.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUND));
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        // Cephes expf polynomial on |r| ≤ ln2/2
        FloatVector p = FloatVector.broadcast(S, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(S, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        p = p.mul(r).fma(r, r).add(1f);
        IntVector k = (IntVector) t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND));
        FloatVector scale = k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector result = p.mul(scale);
        return result.blend(0f, under).blend(Float.POSITIVE_INFINITY, over);
    }

    /** The same function for one float (so vector bodies and scalar tails agree). */
    public static float exp(float x) {
        if (x < MIN_ARG) return 0f;
        if (x > MAX_ARG) return Float.POSITIVE_INFINITY;
        float t = Math.fma(x, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = 1.9875691500e-4f;
        p = Math.fma(p, r, 1.3981999507e-3f);
        p = Math.fma(p, r, 8.3334519073e-3f);
        p = Math.fma(p, r, 4.1665795894e-2f);
        p = Math.fma(p, r, 1.6666665459e-1f);
        p = Math.fma(p, r, 5.0000001201e-1f);
        p = Math.fma(p * r, r, r) + 1f;
        int k = Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND);
        return p * Float.intBitsToFloat((k + 127) << 23);
    }

    /**
     * Σ of the lanes of a {@link #S} vector, added as a halving tree: lane {@code i} plus lane
     * {@code i + L/2}, then of those {@code i} plus {@code i + L/4}, … down to one (for 16 lanes
     * {@code (((v0+v8)+(v4+v12))+((v2+v10)+(v6+v14)))+(((v1+v9)+(v5+v13))+((v3+v11)+(v7+v15)))}).
     * A fixed order, so the same on every tier, at a permute and an add per halving where adding the
     * lanes one by one took an extraction and a dependent add per lane (attention's per-key scores
     * were 4× slower than its weighted sum of values).
     */
    public static float sum(FloatVector v) {
        if (L > 16) {
            for (int h = L / 2; h >= 16; h /= 2) v = v.add(v.rearrange(halving(h)));
            return sum16(v, 16);
        }
        return sum16(v, L);
    }

    /** The halving tree over the first {@code n ≤ 16} lanes (a power of two). */
    private static float sum16(FloatVector v, int n) {
        if (n >= 16) v = v.add(v.rearrange(DOWN_8));
        if (n >= 8) v = v.add(v.rearrange(DOWN_4));
        if (n >= 4) v = v.add(v.rearrange(DOWN_2));
        if (n >= 2) v = v.add(v.rearrange(DOWN_1));
        return v.lane(0);
    }

    static final int L = S.length();
    /** Lane {@code i} takes lane {@code i + h} (wrapping: only the low lanes are used). */
    private static final VectorShuffle<Float> DOWN_8 = halving(8), DOWN_4 = halving(4), DOWN_2 = halving(2), DOWN_1 = halving(1);

    static VectorShuffle<Float> halving(int h) {
        return VectorShuffle.fromOp(S, i -> (i + h) % L);
    }
}
